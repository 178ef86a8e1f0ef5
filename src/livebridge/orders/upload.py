"""Files uploaded through the API or the console, read as numbered rows."""

from __future__ import annotations

from fastapi import UploadFile

from livebridge.exceptions import InvalidInput, PayloadTooLarge
from livebridge.orders.formats import RawRow, read_rows

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UPLOAD_ROWS = 50_000


async def read_upload(file: UploadFile) -> list[tuple[int, RawRow]]:
    """An uploaded CSV, .xlsx or NDJSON file as numbered rows (limited in size; larger files: the CLI)."""
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge("the file is larger than 20 MB; use `livebridge import` for it", code="file_too_large")
    try:
        rows = list(read_rows(data, file.filename or ""))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(str(exc), code="unreadable_file", field="file") from exc
    if len(rows) > MAX_UPLOAD_ROWS:
        raise PayloadTooLarge(f"more than {MAX_UPLOAD_ROWS} rows; use `livebridge import`", code="too_many_rows")
    return rows
