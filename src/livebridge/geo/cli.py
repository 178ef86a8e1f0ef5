"""``livebridge geo …``: address parsing from the command line."""

from __future__ import annotations

import msgspec
import typer

from livebridge.geo.parser import default_parser

app = typer.Typer(no_args_is_help=True)


@app.callback()
def geo() -> None:
    """Chinese addresses → GB/T 2260 province, city and district codes."""
    # A callback keeps ``parse`` a sub-command while it is the only one.


@app.command("parse")
def parse_command() -> None:
    """Read one address per line on stdin; write one JSON object per line, in input order.

    Each object has province, province_code, city, city_code, district, district_code, rest,
    confidence, warnings and district_candidates; unknown parts are null. A blank line gives an
    object of nulls. Output is flushed after every line, so the command can sit in a pipe.
    """
    parser = default_parser()
    encoder = msgspec.json.Encoder()
    stdin = typer.get_binary_stream("stdin")
    stdout = typer.get_binary_stream("stdout")
    for raw_line in stdin:
        # Undecodable bytes become U+FFFD rather than stopping the stream mid-file.
        address = raw_line.decode("utf-8", errors="replace").rstrip("\r\n")
        stdout.write(encoder.encode(parser.parse(address)) + b"\n")
        stdout.flush()
