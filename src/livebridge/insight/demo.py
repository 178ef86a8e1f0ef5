"""Comment insight for the demo tenant: its simulated sessions' comments, understood at load time.

The insights inherit ``is_simulated`` from their comments. Without the models the comments wait
(with the logged error naming ``livebridge nlp train``); the sweep of a running server understands
them once the models exist.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Permission, Subject
from livebridge.insight import service

logger = logging.getLogger(__name__)


async def understand_demo(session: AsyncSession, tenant_id: int) -> int:
    """Understand every comment of the tenant's sessions in the caller's transaction; return how many."""
    subject = Subject(display_name="demo loader", tenant_id=tenant_id, permissions=frozenset({Permission.READ}))
    understood = 0
    for session_id, _ in await service.tenant_session_ids(session, subject):
        more = True
        while more:
            chunk, more = await service.understand_chunk(session, session_id, None)
            if chunk.error:
                logger.warning("demo comments stay waiting: %s", chunk.error)
                return understood
            understood += chunk.understood
    return understood
