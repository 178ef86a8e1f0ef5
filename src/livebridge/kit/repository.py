"""The base every repository builds on: a session, and pagination of a SELECT."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.kit.pagination import PageParams

ModelT = TypeVar("ModelT")


class Repository(Generic[ModelT]):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def paginate(self, statement: Select[ModelT], params: PageParams) -> tuple[list[ModelT], int]:
        count_statement = select(func.count()).select_from(statement.order_by(None).subquery())
        total = (await self.session.execute(count_statement)).scalar_one()
        result = await self.session.execute(statement.limit(params.page_size).offset(params.offset))
        return list(result.scalars().unique()), total

    async def first(self, statement: Select[ModelT]) -> ModelT | None:
        result = await self.session.execute(statement.limit(1))
        return result.scalars().first()

    async def all(self, statement: Select[Any]) -> list[ModelT]:
        result = await self.session.execute(statement)
        return list(result.scalars().unique())
