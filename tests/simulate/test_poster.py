"""The poster against a real (tiny) ingest endpoint: batching, gzip, retries, errors and pacing."""

from __future__ import annotations

import socket
import time

import httpx
import msgspec
import pytest

from livebridge.ingest.schemas import Enter, LiveEvent
from livebridge.simulate import simulate
from livebridge.simulate.poster import PostError, PostOptions, PostTarget, post_events
from tests.simulate.conftest import API_KEY, START, FakeIngest, event_ids, tiny_scenario

TARGET = PostTarget(base_url="http://ingest.test", session_id="7", api_key=API_KEY)


@pytest.fixture(scope="module")
def stream() -> list[LiveEvent]:
    return list(simulate(tiny_scenario(seconds=600, viewers=400)).events())


async def test_batches_of_n_in_order(stream: list[LiveEvent], ingest: FakeIngest,
                                     ingest_client: httpx.AsyncClient) -> None:
    report = await post_events(stream, TARGET, PostOptions(batch_size=1_000), client=ingest_client)
    sizes = [len(request.event_ids) for request in ingest.requests]
    assert sizes == [1_000] * (len(stream) // 1_000) + [len(stream) % 1_000]
    assert [event_id for request in ingest.requests for event_id in request.event_ids] == event_ids(stream)
    assert {request.session_id for request in ingest.requests} == {"7"}
    assert (report.events, report.batches, report.accepted, report.duplicates, report.rejected, report.retries) == (
        len(stream), len(sizes), len(stream), 0, 0, 0)
    assert report.events_per_s > 0


async def test_gzip_bodies_are_smaller_and_read_the_same(stream: list[LiveEvent], ingest: FakeIngest,
                                                         ingest_client: httpx.AsyncClient) -> None:
    plain = len(msgspec.json.Encoder().encode_lines(stream))
    report = await post_events(stream, TARGET, PostOptions(use_gzip=True), client=ingest_client)
    assert all(request.gzipped for request in ingest.requests)
    assert report.accepted == len(stream)
    assert report.bytes_sent < plain / 4


async def test_a_failed_batch_is_sent_again_unchanged(stream: list[LiveEvent], ingest: FakeIngest,
                                                      ingest_client: httpx.AsyncClient) -> None:
    ingest.failures_before_success = 2
    options = PostOptions(batch_size=2_000, retry_backoff_s=0.01)
    report = await post_events(stream, TARGET, options, client=ingest_client)
    assert report.retries == 2
    assert ingest.attempts[0] == ingest.attempts[1] == ingest.attempts[2]  # the same bytes each time
    assert (report.accepted, report.duplicates) == (len(stream), 0)


async def test_posting_again_counts_duplicates(stream: list[LiveEvent], ingest: FakeIngest,
                                               ingest_client: httpx.AsyncClient) -> None:
    await post_events(stream, TARGET, client=ingest_client)
    again = await post_events(stream, TARGET, client=ingest_client)
    assert (again.accepted, again.duplicates) == (0, len(stream))


async def test_rejected_lines_are_counted_and_named(ingest_client: httpx.AsyncClient) -> None:
    good = Enter(event_id="e-1", occurred_at=START, viewer_id="v1", is_simulated=True)
    bad = Enter(event_id="", occurred_at=START, viewer_id="v2", is_simulated=True)  # an empty id is invalid
    report = await post_events([good, bad, good], TARGET, PostOptions(batch_size=2), client=ingest_client)
    assert (report.accepted, report.duplicates, report.rejected) == (1, 1, 1)
    [rejection] = report.first_rejections
    assert (rejection.batch, rejection.line, rejection.event_id, rejection.code) == (0, 2, "", "invalid_field")
    assert "event_id" in rejection.message


async def test_a_refused_key_stops_at_once(stream: list[LiveEvent], ingest: FakeIngest,
                                           ingest_client: httpx.AsyncClient) -> None:
    wrong = PostTarget(base_url=TARGET.base_url, session_id="7", api_key="nope")
    with pytest.raises(PostError, match="401") as raised:
        await post_events(stream, wrong, client=ingest_client)
    assert raised.value.status_code == 401
    assert ingest.calls == 1  # not retried


async def test_retries_give_up_after_the_limit(ingest: FakeIngest, ingest_client: httpx.AsyncClient) -> None:
    ingest.failures_before_success = 100
    event = Enter(event_id="e-1", occurred_at=START, viewer_id="v1", is_simulated=True)
    with pytest.raises(PostError, match="after 3 attempts"):
        await post_events([event], TARGET, PostOptions(max_retries=2, retry_backoff_s=0.01), client=ingest_client)
    assert len(ingest.attempts) == 3


async def test_a_server_that_is_not_there_is_retried_then_reported() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    target = PostTarget(base_url=f"http://127.0.0.1:{closed_port}", session_id="7", api_key=API_KEY)
    event = Enter(event_id="e-1", occurred_at=START, viewer_id="v1", is_simulated=True)
    with pytest.raises(PostError, match="ConnectError"):
        await post_events([event], target, PostOptions(max_retries=1, retry_backoff_s=0.01))


async def test_over_real_http_with_gzip(stream: list[LiveEvent], ingest: FakeIngest, ingest_server: str) -> None:
    target = PostTarget(base_url=ingest_server, session_id="s 9", api_key=API_KEY)
    report = await post_events(stream, target, PostOptions(batch_size=500, use_gzip=True))
    assert report.accepted == len(stream)
    assert {request.session_id for request in ingest.requests} == {"s 9"}  # quoted in the path
    assert all(request.gzipped for request in ingest.requests)


async def test_speed_10x_takes_a_tenth_of_the_scenario_time(ingest: FakeIngest,
                                                            ingest_client: httpx.AsyncClient) -> None:
    events = list(simulate(tiny_scenario(seconds=20, viewers=60)).events())
    span = (events[-1].occurred_at - events[0].occurred_at).total_seconds()
    started = time.perf_counter()
    report = await post_events(events, TARGET, PostOptions(speed=10.0, flush_interval_s=0.2), client=ingest_client)
    elapsed = time.perf_counter() - started
    assert span / 10 * 0.9 <= elapsed <= span / 10 + 0.5
    assert report.accepted == len(events)
    assert report.batches >= 5  # paced runs send small batches often rather than waiting for 1,000 events


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        PostOptions(batch_size=5_001)
    with pytest.raises(ValueError, match="speed"):
        PostOptions(speed=0)
    assert TARGET.events_url == "http://ingest.test/api/v1/sessions/7/events"
