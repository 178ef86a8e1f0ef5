"""The streaming connection: lines in text frames, one acknowledgement per stored batch."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from livebridge.db import Database
from tests.factories import make_tenant

T0 = datetime.now(UTC) - timedelta(minutes=10)


def line(number: int) -> str:
    return json.dumps({"type": "comment", "event_id": f"ws{number}", "occurred_at": T0.isoformat(),
                       "viewer_id": f"v{number}", "text": "直播间有优惠券吗"})


async def test_stream_acknowledges_in_batches(live_server: str, database: Database) -> None:
    tenant = await make_tenant(database)
    url = live_server.replace("http://", "ws://") + f"/api/v1/sessions/{tenant.session_id}/events/stream"
    acks: list[dict[str, Any]] = []
    async with connect(url, additional_headers=tenant.headers()) as socket:
        await socket.send("\n".join([line(1), line(2), "{broken"]))
        await socket.send("\n".join([line(3), line(1)]))
        while not acks or acks[-1]["through"] < 5:
            acks.append(json.loads(await socket.recv()))
    assert sum(a["accepted"] for a in acks) == 3
    assert sum(a["duplicates"] for a in acks) == 1
    assert [(r["line"], r["code"]) for a in acks for r in a["rejected"]] == [(3, "malformed_json")]


async def test_bad_key_closes_with_a_reason(live_server: str, database: Database) -> None:
    tenant = await make_tenant(database)
    url = live_server.replace("http://", "ws://") + f"/api/v1/sessions/{tenant.session_id}/events/stream"
    async with connect(url + "?api_key=lbk_wrong") as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008
    assert "invalid_api_key" in closed.value.rcvd.reason
