"""Page-number pagination shared by every list endpoint and console table."""

from __future__ import annotations

import math
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class PageParams(BaseModel):
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=20, ge=1, le=200)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


class PaginationInfo(BaseModel):
    total_count: int
    page: int
    page_size: int
    max_page: int


class Page(BaseModel, Generic[T]):
    items: list[T]
    pagination: PaginationInfo

    @classmethod
    def build(cls, items: list[T], total_count: int, params: PageParams) -> Page[T]:
        return cls(
            items=items,
            pagination=PaginationInfo(
                total_count=total_count,
                page=params.page,
                page_size=params.page_size,
                max_page=max(1, math.ceil(total_count / params.page_size)),
            ),
        )
