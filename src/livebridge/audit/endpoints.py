"""HTTP API of the audit chain: a tenant verifies its own chain."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from livebridge.audit import service
from livebridge.web.deps import ApiSubject, DbSession

router = APIRouter(prefix="/audit", tags=["audit chain"])


class ChainProblem(BaseModel):
    seq: int
    kind: Literal["changed", "removed", "reordered", "rewritten"]
    message: str


class ChainVerification(BaseModel):
    ok: bool
    entries: int
    head_seq: int
    checkpoints: int
    counts_by_kind: dict[str, int]
    problem: ChainProblem | None


@router.get("/verify", response_model=ChainVerification)
async def verify_chain(session: DbSession, subject: ApiSubject) -> ChainVerification:
    """Recompute the caller's tenant's audit chain; name the first entry changed, removed or reordered."""
    report = await service.access_verify(session, subject)
    problem = report.problem
    return ChainVerification(
        ok=report.ok,
        entries=report.entries,
        head_seq=report.head_seq,
        checkpoints=report.checkpoints,
        counts_by_kind=report.counts_by_kind,
        problem=ChainProblem(seq=problem.seq, kind=problem.kind, message=problem.message) if problem else None,
    )
