"""HTTP API of the live domain: hosts, sessions, shelf and explanation segments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from livebridge.kit.pagination import Page, PageParams
from livebridge.live import service
from livebridge.live.schemas import (
    HostCreate,
    HostRead,
    HostUpdate,
    SegmentCreate,
    SessionCreate,
    SessionRead,
    SessionTransition,
    SessionUpdate,
    ShelfItemCreate,
)
from livebridge.models import Platform, SessionStatus
from livebridge.web.deps import ApiSubject, DbSession

router = APIRouter(tags=["live"])
Paging = Annotated[PageParams, Depends()]


@router.get("/hosts", response_model=Page[HostRead])
async def list_hosts(
    session: DbSession, subject: ApiSubject, paging: Paging, q: Annotated[str | None, Query(max_length=100)] = None
) -> Page[HostRead]:
    page = await service.list_hosts(session, subject, paging, q)
    return Page.build([HostRead.model_validate(h) for h in page.items], page.pagination.total_count, paging)


@router.post("/hosts", response_model=HostRead, status_code=status.HTTP_201_CREATED)
async def create_host(payload: HostCreate, session: DbSession, subject: ApiSubject) -> HostRead:
    return HostRead.model_validate(await service.do_create_host(session, subject, payload))


@router.get("/hosts/{host_id}", response_model=HostRead)
async def read_host(host_id: int, session: DbSession, subject: ApiSubject) -> HostRead:
    return HostRead.model_validate(await service.access_host(session, subject, host_id))


@router.patch("/hosts/{host_id}", response_model=HostRead)
async def update_host(host_id: int, payload: HostUpdate, session: DbSession, subject: ApiSubject) -> HostRead:
    return HostRead.model_validate(await service.do_update_host(session, subject, host_id, payload))


@router.get("/sessions", response_model=Page[SessionRead])
async def list_sessions(
    session: DbSession,
    subject: ApiSubject,
    paging: Paging,
    session_status: Annotated[SessionStatus | None, Query(alias="status")] = None,
    platform: Annotated[Platform | None, Query()] = None,
    host_id: Annotated[int | None, Query()] = None,
) -> Page[SessionRead]:
    page = await service.list_sessions(
        session, subject, paging, status=session_status, platform=platform, host_id=host_id
    )
    return Page.build([service.session_read(s) for s in page.items], page.pagination.total_count, paging)


@router.post("/sessions", response_model=SessionRead, status_code=status.HTTP_201_CREATED)
async def create_session(payload: SessionCreate, session: DbSession, subject: ApiSubject) -> SessionRead:
    return service.session_read(await service.do_create_session(session, subject, payload))


@router.get("/sessions/{session_id}", response_model=SessionRead)
async def read_session(session_id: int, session: DbSession, subject: ApiSubject) -> SessionRead:
    return service.session_read(await service.access_session(session, subject, session_id))


@router.patch("/sessions/{session_id}", response_model=SessionRead)
async def update_session(
    session_id: int, payload: SessionUpdate, session: DbSession, subject: ApiSubject
) -> SessionRead:
    return service.session_read(await service.do_update_session(session, subject, session_id, payload))


@router.post("/sessions/{session_id}/start", response_model=SessionRead)
async def start_session(
    session_id: int, payload: SessionTransition, session: DbSession, subject: ApiSubject
) -> SessionRead:
    live_session = await service.do_transition_session(session, subject, session_id, SessionStatus.LIVE, payload.at)
    return service.session_read(live_session)


@router.post("/sessions/{session_id}/end", response_model=SessionRead)
async def end_session(
    session_id: int, payload: SessionTransition, session: DbSession, subject: ApiSubject
) -> SessionRead:
    live_session = await service.do_transition_session(session, subject, session_id, SessionStatus.ENDED, payload.at)
    return service.session_read(live_session)


@router.post("/sessions/{session_id}/shelf", response_model=SessionRead, status_code=status.HTTP_201_CREATED)
async def add_to_shelf(
    session_id: int, payload: ShelfItemCreate, session: DbSession, subject: ApiSubject
) -> SessionRead:
    return service.session_read(await service.do_add_to_shelf(session, subject, session_id, payload))


@router.delete("/sessions/{session_id}/shelf/{shelf_item_id}", response_model=SessionRead)
async def remove_from_shelf(
    session_id: int, shelf_item_id: int, session: DbSession, subject: ApiSubject
) -> SessionRead:
    return service.session_read(await service.do_remove_from_shelf(session, subject, session_id, shelf_item_id))


@router.post("/sessions/{session_id}/segments", response_model=SessionRead, status_code=status.HTTP_201_CREATED)
async def add_segment(session_id: int, payload: SegmentCreate, session: DbSession, subject: ApiSubject) -> SessionRead:
    return service.session_read(await service.do_add_segment(session, subject, session_id, payload))


@router.delete("/sessions/{session_id}/segments/{segment_id}", response_model=SessionRead)
async def remove_segment(session_id: int, segment_id: int, session: DbSession, subject: ApiSubject) -> SessionRead:
    return service.session_read(await service.do_remove_segment(session, subject, session_id, segment_id))
