"""Payloads of the catalog API and console forms."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from livebridge.models import ProductStatus

ALIAS_SEPARATORS = re.compile(r"[,，、;；\n\r]+")
MAX_PRICE_FEN = 100_000_000_00  # ¥100 million: anything above is a typo, not a product


def _split_aliases(value: object) -> object:
    """Aliases come as a list (API) or as one text separated by commas or 、 (console)."""
    if isinstance(value, str):
        value = ALIAS_SEPARATORS.split(value)
    if isinstance(value, list):
        seen: dict[str, None] = {}
        for item in value:
            text = str(item).strip()
            if text:
                seen.setdefault(text, None)
        return list(seen)
    return value


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Category = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Alias = Annotated[str, StringConstraints(min_length=1, max_length=50)]
Aliases = Annotated[list[Alias], BeforeValidator(_split_aliases), Field(max_length=50)]
SkuCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
PriceFen = Annotated[int, Field(ge=0, le=MAX_PRICE_FEN, description="Price in fen (分): 12900 = ¥129.00")]


class SkuCreate(BaseModel):
    code: SkuCode
    spec: Name
    price_fen: PriceFen


class SkuUpdate(BaseModel):
    spec: Name | None = None
    price_fen: PriceFen | None = None
    is_active: bool | None = None


class SkuRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    product_id: int
    code: str
    spec: str
    price_fen: int
    is_active: bool


class ProductCreate(BaseModel):
    name: Name
    category: Category
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    aliases: Aliases = Field(default_factory=list)
    skus: list[SkuCreate] = Field(default_factory=list, max_length=100)


class ProductUpdate(BaseModel):
    name: Name | None = None
    category: Category | None = None
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    aliases: Aliases | None = None
    status: ProductStatus | None = None


class ProductRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    category: str
    description: str | None
    aliases: list[str]
    status: ProductStatus
    is_simulated: bool
    created_at: datetime
    updated_at: datetime
    skus: list[SkuRead]
