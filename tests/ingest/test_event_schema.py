from __future__ import annotations

import json
from pathlib import Path

from livebridge.ingest.schemas import EventType, json_schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "events.schema.json"


def test_documented_schema_is_the_code_schema() -> None:
    documented = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert documented == json.loads(json.dumps(json_schema())), "regenerate docs/events.schema.json"
    assert set(documented["discriminator"]["mapping"]) == {t.value for t in EventType}
