"""Declarative base, naming convention and the column helpers every model shares."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from livebridge.kit.ids import BigIntPK
from livebridge.kit.time import UTCDateTime, utcnow

# Named constraints keep Alembic's batch mode (SQLite) and PostgreSQL migrations identical.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012 - SQLAlchemy reads it as a class attribute


class IdMixin:
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)


class CreatedAtMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TenantMixin:
    """Marks a row as owned by one tenant; ``authz.scoping`` filters on this column."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy passes the class
        return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)


class SimulatedMixin:
    """Generated demo and simulator data is marked, and the console shows a badge for it."""

    is_simulated: Mapped[bool] = mapped_column(default=False)


def enum_column(enum_class: type[enum.Enum], length: int = 32, *, name: str | None = None) -> Enum:
    """A portable enum: VARCHAR plus a CHECK constraint, storing the member's value.

    ``name`` names the CHECK constraint when one table has two columns of the same enum
    (PostgreSQL refuses two constraints of one name on a table)."""
    return Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
        create_constraint=True,
        name=name or enum_class.__name__.lower(),
    )
