"""What a subject may see and do. Tenant scoping lives here and only here.

Every repository builds its ``readable(...)`` statement on ``scoped``; anything that bypasses it
is named ``dangerously_*``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select

from livebridge.exceptions import NotAuthenticated, PermissionDenied
from livebridge.models import ApiKeyRole, Role

SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


class Permission(enum.StrEnum):
    READ = "read"
    MANAGE_CATALOG = "manage_catalog"
    MANAGE_LIVE = "manage_live"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_API_KEYS = "manage_api_keys"
    INGEST_EVENTS = "ingest_events"
    MANAGE_ORDERS = "manage_orders"
    MANAGE_DEALERS = "manage_dealers"
    SERVE_TICKETS = "serve_tickets"
    MANAGE_DEMAND = "manage_demand"  # rebuild, merge and split demand topics; write C2M proposals
    ANSWER_QUESTIONS = "answer_questions"  # mark viewers' questions answered during a session


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.OPERATOR: frozenset(
        {
            Permission.READ,
            Permission.MANAGE_CATALOG,
            Permission.MANAGE_LIVE,
            Permission.INGEST_EVENTS,
            Permission.MANAGE_ORDERS,
            Permission.MANAGE_DEALERS,
            Permission.SERVE_TICKETS,
            Permission.MANAGE_DEMAND,
            Permission.ANSWER_QUESTIONS,
        }
    ),
    Role.HOST: frozenset({Permission.READ, Permission.ANSWER_QUESTIONS}),
    Role.ANALYST: frozenset({Permission.READ}),
    # Dealer staff work in the dealer portal on their own organization's tickets and orders
    # (see ``organization_restriction``); the brand's catalog and live rooms are not theirs.
    Role.DEALER_STAFF: frozenset({Permission.SERVE_TICKETS}),
}

API_KEY_PERMISSIONS: dict[ApiKeyRole, frozenset[Permission]] = {
    ApiKeyRole.INGEST: frozenset({Permission.INGEST_EVENTS}),
    ApiKeyRole.OPERATOR: ROLE_PERMISSIONS[Role.OPERATOR],
    ApiKeyRole.ANALYST: ROLE_PERMISSIONS[Role.ANALYST],
}


@dataclass(frozen=True)
class Subject:
    """Who is asking: a console user working in one tenant, or an API key of one tenant."""

    display_name: str
    tenant_id: int | None
    permissions: frozenset[Permission]
    user_id: int | None = None
    api_key_id: int | None = None
    api_key_last_used_at: datetime | None = None  # as read when the key was checked
    roles: frozenset[Role] = field(default_factory=frozenset)
    organization_ids: frozenset[int] = field(default_factory=frozenset)
    is_platform_admin: bool = False

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def check(self, permission: Permission) -> None:
        if not self.can(permission):
            raise PermissionDenied(f"this action needs the '{permission}' permission")

    def require_tenant(self) -> int:
        if self.tenant_id is None:
            raise NotAuthenticated("no tenant selected for this login", code="no_tenant")
        return self.tenant_id


def permissions_for_roles(roles: frozenset[Role]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)


def scoped(statement: SelectT, model: Any, subject: Subject) -> SelectT:
    """Restrict a SELECT on a tenant-owned model to the subject's tenant."""
    result: SelectT = statement.where(model.tenant_id == subject.require_tenant())
    return result


def organization_restriction(subject: Subject) -> frozenset[int] | None:
    """The organizations whose rows a subject is limited to, or None when it reads the whole tenant.

    Dealer staff (no tenant-wide READ) see only what is assigned or attributed to their dealer.
    """
    return None if subject.can(Permission.READ) else subject.organization_ids


def command_line_subject() -> Subject:
    """The operator at the machine's command line acts as platform admin."""
    return Subject(display_name="command line", tenant_id=None, permissions=frozenset(), is_platform_admin=True)


def check_platform_admin(subject: Subject) -> None:
    if not subject.is_platform_admin:
        raise PermissionDenied("only a platform admin may do this", code="platform_admin_only")
