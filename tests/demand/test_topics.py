"""Demand topics: near-duplicates, stability across rebuilds, user merges and splits, ranking, exclusions."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Subject
from livebridge.db import Database
from livebridge.demand import service
from livebridge.demand.grouping import group_comments
from livebridge.demand.repository import TopicRepository
from livebridge.demand.schemas import RebuildRead
from livebridge.exceptions import AppError
from livebridge.integrity import service as integrity_service
from livebridge.kit.pagination import PageParams
from livebridge.models import CommentInsight, DemandTopic
from tests.demand.factories import BASE_TIME, Said, add_comments, add_paid_order, subject_of
from tests.factories import TenantFixture
from tests.integrity.test_api import _fill as fill_with_bots

NOW = BASE_TIME + timedelta(days=1)
ALL = PageParams(page=1, page_size=200)

SIZE = ["出个大号的吧", "出个大号的吧🤔", "主播 出个大号的吧", "能不能出个大号的", "希望出个大号的"]
PINK = ["有没有粉色的", "有没有粉色", "姐妹们 有没有粉色的啊"]
TIMER = ["希望加个定时功能", "加个定时功能吧", "能不能加个定时功能"]


async def rebuild(database: Database, tenant: TenantFixture, **options: object) -> RebuildRead:
    async with database.transaction() as session:
        return await service.rebuild_topics(session, subject_of(tenant.tenant_id), now=NOW, **options)  # type: ignore[arg-type]


async def partition(database: Database, tenant: TenantFixture) -> dict[int, set[int]]:
    """topic id → its comments' event row ids."""
    async with database.transaction(write=False) as session:
        members = await TopicRepository(session).members(subject_of(tenant.tenant_id))
    topics: dict[int, set[int]] = {}
    for event_id, topic_id in members.items():
        topics.setdefault(topic_id, set()).add(event_id)
    return topics


def says(texts: Sequence[str], *, start: int = 0, **fields: object) -> list[Said]:
    return [Said(text, viewer=f"v{start + i}", minute=start + i, **fields) for i, text in enumerate(texts)]  # type: ignore[arg-type]


def topic_of(topics: Mapping[int, set[int]], event_id: int) -> int:
    return next(t for t, members in topics.items() if event_id in members)


async def test_near_duplicates_and_paraphrases_form_one_topic_each(database: Database, tenant: TenantFixture) -> None:
    ids = await add_comments(database, tenant.tenant_id, tenant.session_id, tenant.product_id,
                             says(SIZE + PINK + TIMER))
    result = await rebuild(database, tenant)
    assert result.comments_placed == len(ids)
    assert result.topics_created == 3
    topics = await partition(database, tenant)
    groups = sorted(sorted(members) for members in topics.values())
    assert groups == [ids[:5], ids[5:8], ids[8:]]
    async with database.transaction(write=False) as session:
        page = await service.list_topics(session, subject_of(tenant.tenant_id), ALL)
    labels = {t.label for t in page.items}
    assert labels == {"出个大号的吧", "有没有粉色的", "加个定时功能吧"}, labels
    size_topic = next(t for t in page.items if t.label == "出个大号的吧")
    assert "大号" in size_topic.key_phrases
    # The near-duplicates of the first comment are recorded as such.
    async with database.transaction(write=False) as session:
        detail = await service.topic_detail(session, subject_of(tenant.tenant_id), size_topic.id)
    assert detail.topic.comment_count == 5
    assert detail.topic.viewer_count == 5
    assert 3 <= len(detail.quotes) <= 5
    assert {q.text for q in detail.quotes} <= set(SIZE)
    assert all(q.hosts == ["小暖"] and q.session_title == "测试专场" for q in detail.quotes)


async def test_grouping_is_the_same_for_the_same_comments(database: Database, tenant: TenantFixture,
                                                          other_tenant: TenantFixture) -> None:
    texts = SIZE + PINK + TIMER + ["物流太慢了", "发货太慢了吧", "什么时候发货"]
    shapes = []
    for fixture in (tenant, other_tenant):
        ids = await add_comments(database, fixture.tenant_id, fixture.session_id, fixture.product_id, says(texts))
        await rebuild(database, fixture)
        position = {event_id: index for index, event_id in enumerate(ids)}
        topics = await partition(database, fixture)
        shapes.append(sorted(sorted(position[e] for e in members) for members in topics.values()))
    assert shapes[0] == shapes[1]


async def test_rerun_keeps_topics_and_new_comments_join_them(database: Database, tenant: TenantFixture) -> None:
    first = await add_comments(database, tenant.tenant_id, tenant.session_id, tenant.product_id, says(SIZE + PINK))
    await rebuild(database, tenant)
    before = await partition(database, tenant)
    async with database.transaction(write=False) as session:
        listed = await service.list_topics(session, subject_of(tenant.tenant_id), ALL)
    labels_before = {t.id: t.label for t in listed.items}

    again = await rebuild(database, tenant)
    assert again.comments_placed == 0
    assert again.topics_created == 0
    assert await partition(database, tenant) == before

    later = await add_comments(database, tenant.tenant_id, tenant.session_id, tenant.product_id,
                               says(["能出个大号的吗", "有没有粉色的呢"], start=50))
    result = await rebuild(database, tenant)
    assert result.comments_placed == 2
    assert result.topics_created == 0
    after = await partition(database, tenant)
    assert set(after) == set(before)
    assert topic_of(after, later[0]) == topic_of(before, first[0])
    assert topic_of(after, later[1]) == topic_of(before, first[5])
    async with database.transaction(write=False) as session:
        listed = await service.list_topics(session, subject_of(tenant.tenant_id), ALL)
    labels_after = {t.id: t.label for t in listed.items}
    assert labels_after == labels_before


async def test_merges_and_splits_survive_rebuilds(database: Database, tenant: TenantFixture) -> None:
    ids = await add_comments(database, tenant.tenant_id, tenant.session_id, tenant.product_id,
                             says(SIZE + PINK + TIMER))
    await rebuild(database, tenant)
    topics = await partition(database, tenant)
    size, pink, timer = topic_of(topics, ids[0]), topic_of(topics, ids[5]), topic_of(topics, ids[8])
    subject = subject_of(tenant.tenant_id)
    async with database.transaction() as session:
        await service.do_merge_topics(session, subject, size, [pink])
        part = await service.do_split_topic(session, subject, timer, [ids[9]])
    merged = await partition(database, tenant)
    assert merged[size] == set(ids[:8])
    assert pink not in merged
    assert merged[part.id] == {ids[9]}
    assert merged[timer] == {ids[8], ids[10]}

    later = await add_comments(database, tenant.tenant_id, tenant.session_id, tenant.product_id,
                               says(["有没有粉色的呀", "加个定时功能吧!"], start=60))
    await rebuild(database, tenant)
    after = await partition(database, tenant)
    assert after[size] == set(ids[:8]) | {later[0]}  # a comment like the merged-away topic joins the merge
    assert after[part.id] == {ids[9], later[1]}  # the split-off part lives on and takes its look-alikes
    assert after[timer] == {ids[8], ids[10]}
    async with database.transaction(write=False) as session:
        gone = await service.access_topic(session, subject, pink)
    assert gone.status == "merged"
    assert gone.merged_into_id == size


async def test_the_regroup_task_groups_without_holding_the_write_lock(
    database: Database, tenant: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the comments are grouped (seconds on a real tenant), another writer, such as an ingest
    batch, can take SQLite's write lock: only the short write of the result holds it."""
    if database.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's one write lock; PostgreSQL writers of other rows never wait for each other")
    path = make_url(database.settings.database_url).database
    assert path is not None
    others_could_write: list[bool] = []

    def grouping_while_someone_writes(*args: Any, **kwargs: Any) -> Any:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            others_could_write.append(True)
        except sqlite3.OperationalError:  # database is locked
            others_could_write.append(False)
        finally:
            other.close()
        return group_comments(*args, **kwargs)

    monkeypatch.setattr(service, "group_comments", grouping_while_someone_writes)
    ids = await add_comments(database, tenant.tenant_id, tenant.session_id, tenant.product_id, says(SIZE + PINK))
    [(_, result)] = await service.regroup_tenants(database, [tenant.tenant_id])
    assert result.comments_placed == len(ids)
    assert others_could_write
    assert all(others_could_write)


async def test_a_regroup_overtaken_by_a_merge_plans_again(database: Database, tenant: TenantFixture) -> None:
    ids = await add_comments(database, tenant.tenant_id, tenant.session_id, tenant.product_id, says(SIZE + PINK))
    await rebuild(database, tenant)
    topics = await partition(database, tenant)
    size, pink = topic_of(topics, ids[0]), topic_of(topics, ids[5])
    later = await add_comments(database, tenant.tenant_id, tenant.session_id, tenant.product_id,
                               says(["有没有粉色的呀"], start=60))
    subject = subject_of(tenant.tenant_id)
    async with database.transaction(write=False) as session:
        plan = await service.plan_rebuild(session, subject, now=NOW)
    assert [(e, t) for e, t, _ in plan.placed] == [(later[0], pink)]
    async with database.transaction() as session:
        await service.do_merge_topics(session, subject, size, [pink])
    async with database.transaction() as session:
        assert await service.apply_rebuild(session, subject, plan, check=True) is None  # nothing written
    assert await partition(database, tenant) == {size: set(ids)}

    [(_, result)] = await service.regroup_tenants(database, [tenant.tenant_id])
    assert result.comments_placed == 1
    assert await partition(database, tenant) == {size: {*ids, later[0]}}  # joins the topic pink was merged into


async def test_bad_edits_are_refused(database: Database, tenant: TenantFixture) -> None:
    ids = await add_comments(database, tenant.tenant_id, tenant.session_id, tenant.product_id, says(SIZE + PINK))
    await rebuild(database, tenant)
    topics = await partition(database, tenant)
    size, pink = topic_of(topics, ids[0]), topic_of(topics, ids[5])
    subject = subject_of(tenant.tenant_id)
    attempts: list[tuple[Callable[[AsyncSession], Awaitable[object]], str]] = [
        (lambda s: service.do_split_topic(s, subject, size, sorted(topics[size])), "split_takes_all"),
        (lambda s: service.do_split_topic(s, subject, size, [ids[6]]), "not_in_topic"),
        (lambda s: service.do_merge_topics(s, subject, size, [size]), "nothing_to_merge"),
        (lambda s: service.do_merge_topics(s, subject, size, [999_999]), "topic_not_found"),
    ]
    for attempt, code in attempts:
        async with database.transaction() as session:
            with pytest.raises(AppError) as caught:
                await attempt(session)
        assert caught.value.code == code
    assert await partition(database, tenant) == topics
    assert pink in topics


async def test_ranking_favours_viewers_buyers_negativity_and_recency(database: Database, tenant: TenantFixture) -> None:
    # Identical texts per topic: this test is about the order, not the grouping.
    one_loud_viewer = [Said("出个大号的吧", viewer="loud", minute=i) for i in range(6)]
    three_viewers = says(["有没有粉色的"] * 3, start=10)
    three_with_buyer = says(["加个定时功能吧"] * 3, start=20)
    three_negative = says(["塑料味很大"] * 3, start=30, sentiment="negative", intent="complaint")
    three_old = [Said("线再长点就好了", viewer=f"o{i}", minute=-60 * 24 * 60 + i) for i in range(3)]
    await add_comments(database, tenant.tenant_id, tenant.session_id, tenant.product_id,
                       one_loud_viewer + three_viewers + three_with_buyer + three_negative + three_old)
    await add_paid_order(database, tenant.tenant_id, tenant.session_id, "v21")
    await rebuild(database, tenant)
    subject = subject_of(tenant.tenant_id)
    async with database.transaction(write=False) as session:
        page = await service.list_topics(session, subject, ALL)
    by_label = {t.label: t for t in page.items}
    expected = ["塑料味很大", "加个定时功能吧", "有没有粉色的", "出个大号的吧", "线再长点就好了"]
    assert [t.label for t in page.items] == expected
    assert by_label["加个定时功能吧"].buyer_count == 1
    assert by_label["出个大号的吧"].comment_count == 6
    assert by_label["出个大号的吧"].viewer_count == 1
    assert by_label["塑料味很大"].negative_count == 3
    assert by_label["塑料味很大"].kind == "complaint"


async def test_spam_and_excluded_viewers_never_count(database: Database, tenant: TenantFixture) -> None:
    await add_comments(database, tenant.tenant_id, tenant.session_id, tenant.product_id, [
        Said("加V领优惠券", intent="spam", viewer="spammer"),
        Said("出个大号的吧", viewer="spammer", minute=1),
        Said("出个大号的吧", viewer="bot", minute=2),
        Said("出个大号的吧", viewer="fan", minute=3),
        Said("主播好美", intent="chitchat", viewer="fan", minute=4),
    ])

    async def bots(session: AsyncSession, subject: Subject, session_ids: Sequence[int]) -> dict[int, frozenset[str]]:
        return {tenant.session_id: frozenset({"bot"})}

    result = await rebuild(database, tenant, excluded=(*service.DEFAULT_EXCLUSIONS, bots))
    assert result.comments_considered == 3
    assert result.comments_excluded == 2
    assert result.comments_placed == 1
    async with database.transaction(write=False) as session:
        topics: list[DemandTopic] = (await service.list_topics(session, subject_of(tenant.tenant_id), ALL)).items
    assert [(t.label, t.comment_count, t.viewer_count) for t in topics] == [("出个大号的吧", 1, 1)]

    # Flagging a viewer later takes their comments out of the topics they were in.
    await add_comments(database, tenant.tenant_id, tenant.session_id, tenant.product_id,
                       [Said("出个大号的吧", viewer="late-bot", minute=5)])
    await rebuild(database, tenant)
    assert sum(len(m) for m in (await partition(database, tenant)).values()) == 3

    await add_comments(database, tenant.tenant_id, tenant.session_id, tenant.product_id,
                       [Said("线太短了 再长点", viewer="late-bot", minute=6)])
    await rebuild(database, tenant)
    async with database.transaction(write=False) as session:
        assert (await service.list_topics(session, subject_of(tenant.tenant_id), ALL)).pagination.total_count == 2

    async def late_bots(session: AsyncSession, subject: Subject, ids: Sequence[int]) -> dict[int, frozenset[str]]:
        return {tenant.session_id: frozenset({"late-bot", "bot"})}

    await rebuild(database, tenant, excluded=(*service.DEFAULT_EXCLUSIONS, late_bots))
    assert sum(len(m) for m in (await partition(database, tenant)).values()) == 1
    async with database.transaction(write=False) as session:
        listed = await service.list_topics(session, subject_of(tenant.tenant_id), ALL)
    assert [t.label for t in listed.items] == ["出个大号的吧"]  # the flagged viewer's own topic is gone


async def test_comments_the_model_is_unsure_of_stay_out(database: Database, tenant: TenantFixture) -> None:
    await add_comments(database, tenant.tenant_id, tenant.session_id, tenant.product_id,
                       [Said("大家晚饭吃的啥", intent="question", viewer="a")])
    async with database.transaction() as session:
        await session.execute(update(CommentInsight).where(CommentInsight.tenant_id == tenant.tenant_id)
                              .values(intent_confidence=0.58))
    result = await rebuild(database, tenant)
    assert result.comments_considered == 0
    assert await partition(database, tenant) == {}


async def test_viewers_flagged_by_integrity_do_not_count_by_default(database: Database, tenant: TenantFixture) -> None:
    await fill_with_bots(database, tenant)  # a simulated session with 300 entry-burst bots and an order brusher
    async with database.transaction() as session:
        await integrity_service.assess_session(session, tenant.subject, tenant.session_id)
    await add_comments(database, tenant.tenant_id, tenant.session_id, tenant.product_id, [
        Said("出个大号的吧", viewer="bot1"), Said("出个大号的吧", viewer="brusher", minute=1),
        Said("出个大号的吧", viewer="fan", minute=2)])
    await rebuild(database, tenant)
    async with database.transaction(write=False) as session:
        found = (await service.list_topics(session, subject_of(tenant.tenant_id), ALL)).items
    (size,) = [t for t in found if t.label == "出个大号的吧"]
    assert (size.comment_count, size.viewer_count) == (1, 1)
