"""Demand topics over the API and console: ranked lists, the host's question panel, reports."""

from __future__ import annotations

import io

import httpx
from openpyxl import load_workbook

from livebridge.db import Database
from livebridge.models import Role
from tests.demand.factories import Said, add_comments, make_topics
from tests.factories import TenantFixture, console_login


async def test_topics_are_listed_ranked_with_quotes_and_paginated(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    topics = await make_topics(database, tenant.tenant_id, tenant.session_id, tenant.product_id)
    listed = await client.get("/api/v1/demand/topics", params={"page_size": 1}, headers=tenant.headers())
    assert listed.status_code == 200
    body = listed.json()
    assert body["pagination"]["total_count"] == 2
    assert body["pagination"]["max_page"] == 2
    (first,) = body["items"]
    # 3 viewers + a third more for the negativity of all three beats 4 viewers with one buyer (4 + 2).
    assert first["label"] == "出个大号的吧"
    questions = await client.get("/api/v1/demand/topics", params={"kind": "question"}, headers=tenant.headers())
    (question,) = questions.json()["items"]
    assert (question["viewer_count"], question["buyer_count"], question["comment_count"]) == (4, 1, 4)
    detail = (await client.get(f"/api/v1/demand/topics/{topics['尺码怎么选']}", headers=tenant.headers())).json()
    assert detail["quotes"][0]["is_buyer"] is True  # buyers' words come first
    assert [p["comments"] for p in detail["trend"]] == [4]
    bad = await client.get("/api/v1/demand/topics", params={"kind": "chitchat"}, headers=tenant.headers())
    assert bad.status_code == 422


async def test_split_and_merge_over_the_api(client: httpx.AsyncClient, database: Database,
                                            tenant: TenantFixture) -> None:
    topics = await make_topics(database, tenant.tenant_id, tenant.session_id, tenant.product_id)
    size = topics["尺码怎么选"]
    listed = (await client.get(f"/api/v1/demand/topics/{size}/comments", headers=tenant.headers())).json()
    assert listed["pagination"]["total_count"] == 4
    comments = listed["items"]
    second_page = await client.get(f"/api/v1/demand/topics/{size}/comments", params={"page_size": 3, "page": 2},
                                   headers=tenant.headers())
    assert [c["event_row_id"] for c in second_page.json()["items"]] == [comments[3]["event_row_id"]]
    split = await client.post(f"/api/v1/demand/topics/{size}/split",
                              json={"event_row_ids": [comments[0]["event_row_id"]]}, headers=tenant.headers())
    assert split.status_code == 201, split.text
    part = split.json()
    assert part["comment_count"] == 1
    merged = await client.post("/api/v1/demand/topics/merge", json={"into_topic_id": size, "topic_ids": [part["id"]]},
                               headers=tenant.headers())
    assert merged.status_code == 200
    assert merged.json()["comment_count"] == 4
    across = await client.post("/api/v1/demand/topics/merge",
                               json={"into_topic_id": size, "topic_ids": [part["id"]]}, headers=tenant.headers())
    assert across.status_code == 409
    assert across.json()["error"]["code"] == "topic_merged"


async def test_host_panel_groups_open_questions_and_marks_them_answered(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    topics = await make_topics(database, tenant.tenant_id, tenant.session_id, tenant.product_id)
    detail = await client.get(f"/sessions/{tenant.session_id}", follow_redirects=False)
    assert detail.status_code == 303  # login first
    csrf = await console_login(client, tenant.member_emails[Role.HOST])
    session_page = await client.get(f"/sessions/{tenant.session_id}")
    assert f'href="/sessions/{tenant.session_id}/questions"' in session_page.text
    page = await client.get(f"/sessions/{tenant.session_id}/questions")
    assert page.status_code == 200
    assert "尺码怎么选" in page.text
    assert "×4" in page.text
    assert "出个大号的吧" in page.text  # the hottest demands of the session
    answered = await client.post(f"/sessions/{tenant.session_id}/questions/{topics['尺码怎么选']}/answered",
                                 headers={"X-CSRF-Token": csrf, "HX-Request": "true"})
    assert answered.status_code == 200
    assert "暂无待回答的问题" in answered.text
    again = await client.post(f"/api/v1/demand/topics/{topics['尺码怎么选']}/answered",
                              json={"session_id": tenant.session_id}, headers={"X-CSRF-Token": csrf})
    assert again.json()["answered"] == 0


async def test_reports_as_excel_and_printable_page(client: httpx.AsyncClient, database: Database,
                                                   tenant: TenantFixture) -> None:
    topics = await make_topics(database, tenant.tenant_id, tenant.session_id, tenant.product_id)
    await client.post("/api/v1/demand/proposals", headers=tenant.headers(), json={
        "product_id": tenant.product_id, "title": "推出大号款", "topic_ids": [topics["出个大号的吧"]]})
    await console_login(client, tenant.owner_email)
    response = await client.get("/demand/report.xlsx", params={"product_id": tenant.product_id})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["需求排行", "改进提案"]
    demands = list(book["需求排行"].iter_rows(min_row=2, values_only=True))
    header, first, second = demands[0], demands[1], demands[2]
    assert header[:8] == ("排名", "商品", "话题", "类型", "评论", "观众数", "买家数", "负面占比")
    assert first[:8] == (1, "空气炸锅 AF5", "出个大号的吧", "需求", 3, 3, 0, 1)
    assert second[:8] == (2, "空气炸锅 AF5", "尺码怎么选", "问询", 4, 4, 1, 0)
    assert "「" in first[12]
    proposals = list(book["改进提案"].iter_rows(min_row=2, values_only=True))
    assert proposals[0][1:5] == ("空气炸锅 AF5", "推出大号款", "新建", "出个大号的吧")

    page = await client.get("/demand/report")
    assert page.status_code == 200
    assert 'href="/static/css/print.css" media="print"' in page.text
    assert "推出大号款" in page.text
    assert page.text.index("出个大号的吧") < page.text.index("尺码怎么选")


async def test_demand_board_and_topic_page(client: httpx.AsyncClient, database: Database,
                                           tenant: TenantFixture) -> None:
    topics = await make_topics(database, tenant.tenant_id, tenant.session_id, tenant.product_id)
    await console_login(client, tenant.member_emails[Role.ANALYST])
    board = await client.get("/demand")
    assert board.status_code == 200
    assert "需求看板" in board.text
    assert "出个大号的吧" in board.text
    assert "用所选话题创建提案" not in board.text  # analysts read only
    topic = await client.get(f"/demand/topics/{topics['尺码怎么选']}")
    assert topic.status_code == 200
    assert "测试专场" in topic.text


async def test_console_pages_answer_404_for_another_tenants_topics_and_proposals(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    theirs = await make_topics(database, other_tenant.tenant_id, other_tenant.session_id, other_tenant.product_id)
    created = await client.post("/api/v1/demand/proposals", headers=other_tenant.headers(), json={
        "product_id": other_tenant.product_id, "title": "别人的提案", "topic_ids": [theirs["出个大号的吧"]]})
    await console_login(client, tenant.owner_email)
    for path in (f"/demand/topics/{theirs['出个大号的吧']}", f"/demand/proposals/{created.json()['id']}",
                 f"/demand/proposals/new?topic_ids={theirs['出个大号的吧']}"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "出个大号的吧" not in response.text
        assert "别人的提案" not in response.text
    board = await client.get("/demand")
    assert "出个大号的吧" not in board.text


async def test_merge_and_split_from_the_console(client: httpx.AsyncClient, database: Database,
                                                tenant: TenantFixture) -> None:
    topics = await make_topics(database, tenant.tenant_id, tenant.session_id, tenant.product_id)
    size, bigger = topics["尺码怎么选"], topics["出个大号的吧"]
    csrf = await console_login(client, tenant.member_emails[Role.OPERATOR])
    alone = await client.post("/demand/topics/merge", data={"csrf_token": csrf, "topic_ids": [str(size)]})
    assert alone.status_code == 303
    shown = await client.get(alone.headers["location"])
    assert "请至少选择两个话题进行合并。" in shown.text

    merged = await client.post("/demand/topics/merge", data={"csrf_token": csrf, "topic_ids": [str(size), str(bigger)]})
    assert merged.headers["location"] == f"/demand/topics/{min(size, bigger)}"
    page = await client.get(merged.headers["location"])
    assert "全部评论</h2>" not in page.text  # the heading carries the count
    assert "(7)" in page.text
    members = (await client.get(f"/api/v1/demand/topics/{min(size, bigger)}/comments",
                                headers={"X-CSRF-Token": csrf})).json()["items"]
    split = await client.post(f"/demand/topics/{min(size, bigger)}/split", data={
        "csrf_token": csrf, "event_row_ids": [str(m["event_row_id"]) for m in members[:2]]})
    assert split.status_code == 303
    part = await client.get(split.headers["location"])
    assert "(2)" in part.text


async def test_new_questions_show_ungrouped_until_regrouped_from_the_panel(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    await make_topics(database, tenant.tenant_id, tenant.session_id, tenant.product_id)
    await add_comments(database, tenant.tenant_id, tenant.session_id, tenant.product_id,
                       [Said("尺码怎么选呢", intent="question", viewer="late", minute=30)])
    csrf = await console_login(client, tenant.member_emails[Role.OPERATOR])
    panel = await client.get(f"/sessions/{tenant.session_id}/questions/panel")
    assert "新问题（尚未归类）" in panel.text
    assert "×4" in panel.text
    regrouped = await client.post("/demand/rebuild", data={
        "csrf_token": csrf, "next": f"/sessions/{tenant.session_id}/questions"})
    assert regrouped.headers["location"] == f"/sessions/{tenant.session_id}/questions"
    panel = await client.get(f"/sessions/{tenant.session_id}/questions/panel")
    assert "新问题（尚未归类）" not in panel.text
    assert "×5" in panel.text
    elsewhere = await client.post("/demand/rebuild", data={"csrf_token": csrf, "next": "//evil.example/"})
    assert elsewhere.headers["location"] == "/demand"


async def test_proposal_title_owner_and_notes_are_edited_in_the_console(
    client: httpx.AsyncClient, database: Database, tenant: TenantFixture
) -> None:
    topics = await make_topics(database, tenant.tenant_id, tenant.session_id, tenant.product_id)
    created = await client.post("/api/v1/demand/proposals", headers=tenant.headers(), json={
        "product_id": tenant.product_id, "title": "推出大号款", "topic_ids": [topics["出个大号的吧"]]})
    pid = created.json()["id"]
    members = (await client.get("/api/v1/members", headers=tenant.headers())).json()["items"]
    analyst = next(m for m in members if m["role"] == "analyst")
    csrf = await console_login(client, tenant.owner_email)
    saved = await client.post(f"/demand/proposals/{pid}", data={
        "csrf_token": csrf, "title": "推出 6L 大号款", "owner_user_id": str(analyst["user_id"]), "notes": "样机下月"})
    assert saved.status_code == 303
    read = (await client.get(f"/api/v1/demand/proposals/{pid}", headers=tenant.headers())).json()
    assert (read["title"], read["owner_user_id"], read["notes"]) == ("推出 6L 大号款", analyst["user_id"], "样机下月")
    empty = await client.post(f"/demand/proposals/{pid}", data={"csrf_token": csrf, "title": " " * 3})
    assert empty.status_code == 422


async def test_the_board_shows_only_its_own_error_messages(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    await console_login(client, tenant.owner_email)
    crafted = await client.get("/demand", params={"error": "请拨打 400 领奖"})
    assert "请拨打" not in crafted.text
    known = await client.get("/demand", params={"error": "merge_across_products"})
    assert "不同商品的话题不能合并。" in known.text
