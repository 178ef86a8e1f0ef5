"""Product linking rules on their own, and the catalogue pattern following catalogue changes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from hypothesis import given
from hypothesis import strategies as st

from livebridge.catalog import service as catalog_service
from livebridge.catalog.schemas import ProductUpdate
from livebridge.db import Database
from livebridge.insight import service
from livebridge.insight.linking import CatalogTerm, ProductMatcher, SessionLinker, build_trie_pattern
from tests.insight.conftest import T0, Room, comment, insights_by_event, push

MATCHER = ProductMatcher([
    CatalogTerm("空气炸锅 AF5", 1), CatalogTerm("炸锅", 1), CatalogTerm("AF5-001", 1),
    CatalogTerm("电暖器", 2), CatalogTerm("暖器", 3), CatalogTerm("AF50 烤箱", 4), CatalogTerm("AF50", 4),
    CatalogTerm("小太阳", 5), CatalogTerm("小太阳", 6),  # one alias, two products
    CatalogTerm("锅", 7),  # one character: too short to mean a product
])


def test_the_longest_term_at_the_first_position_wins() -> None:
    assert MATCHER.find("这个空气炸锅af5好用吗", frozenset()) == 1
    assert MATCHER.find("电暖器怎么样", frozenset()) == 2  # not 暖器 (product 3) inside it
    assert MATCHER.find("小暖器 和 电暖器", frozenset()) == 3  # the first mention


def test_latin_and_digit_terms_stand_alone() -> None:
    assert MATCHER.find("af50多少钱", frozenset()) == 4
    assert MATCHER.find("af5-001有货吗", frozenset()) == 1
    assert MATCHER.find("型号af5-0012是什么", frozenset()) is None
    assert MATCHER.find("xaf50 呢", frozenset()) is None


def test_a_shared_alias_counts_only_when_the_shelf_decides() -> None:
    assert MATCHER.find("小太阳费电吗", frozenset()) is None
    assert MATCHER.find("小太阳费电吗", frozenset({6, 2})) == 6
    assert MATCHER.find("小太阳费电吗", frozenset({5, 6})) is None
    assert MATCHER.find("这个锅好", frozenset({7})) is None


TERMS = st.lists(st.text(alphabet="abc炸锅暖器-1", min_size=1, max_size=6), min_size=1, max_size=12)


@given(TERMS, st.text("abc炸锅暖器-1 ", max_size=30))
def test_the_trie_pattern_finds_what_a_longest_first_alternation_finds(terms: list[str], text: str) -> None:
    longest_first = re.compile("|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True)))
    found = [(m.start(), m.group()) for m in re.compile(build_trie_pattern(terms)).finditer(text)]
    assert found == [(m.start(), m.group()) for m in longest_first.finditer(text)]


def test_an_open_segment_runs_on_and_segments_are_half_open() -> None:
    start = datetime(2026, 11, 23, 12, tzinfo=UTC)
    segments = [(start, start + timedelta(minutes=5), 1), (start + timedelta(minutes=5), None, 4)]
    linker = SessionLinker(MATCHER, {1: 2}, segments)
    assert linker.explained_at(start - timedelta(seconds=1)) is None
    assert linker.explained_at(start) == 1
    assert linker.explained_at(start + timedelta(minutes=5)) == 4
    assert linker.explained_at(start + timedelta(days=1)) == 4
    assert linker.link("1号链接多少钱", 1, start) == (2, "link_number")


async def test_a_new_alias_is_used_for_the_next_comments(
    client: httpx.AsyncClient, database: Database, room: Room
) -> None:
    late = T0 + timedelta(hours=1)  # nothing explained then
    await push(client, room.tenant, [comment("before", "暖宝宝有货吗", late)])
    await service.catch_up(database, room.tenant.session_id)
    async with database.transaction() as session:
        await catalog_service.do_update_product(
            session, room.tenant.subject, room.heater_id, ProductUpdate(aliases=["小太阳", "暖宝宝"]))
    await push(client, room.tenant, [comment("after", "暖宝宝有货吗", late)])
    await service.catch_up(database, room.tenant.session_id)
    insights = await insights_by_event(database, room.tenant.session_id)
    assert insights["before"].product_id is None
    assert (insights["after"].product_id, insights["after"].product_link) == (room.heater_id, "name")
