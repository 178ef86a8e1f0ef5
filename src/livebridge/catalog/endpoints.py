"""HTTP API of the catalog: products and SKUs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from livebridge.catalog import service
from livebridge.catalog.schemas import ProductCreate, ProductRead, ProductUpdate, SkuCreate, SkuRead, SkuUpdate
from livebridge.kit.pagination import Page, PageParams
from livebridge.models import ProductStatus
from livebridge.web.deps import ApiSubject, DbSession

router = APIRouter(tags=["catalog"])
Paging = Annotated[PageParams, Depends()]


@router.get("/products", response_model=Page[ProductRead])
async def list_products(
    session: DbSession,
    subject: ApiSubject,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=100, description="name, category or SKU code contains")] = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
    product_status: Annotated[ProductStatus | None, Query(alias="status")] = None,
) -> Page[ProductRead]:
    page = await service.list_products(session, subject, paging, query=q, category=category, status=product_status)
    return Page.build([ProductRead.model_validate(p) for p in page.items], page.pagination.total_count, paging)


@router.post("/products", response_model=ProductRead, status_code=status.HTTP_201_CREATED)
async def create_product(payload: ProductCreate, session: DbSession, subject: ApiSubject) -> ProductRead:
    return ProductRead.model_validate(await service.do_create_product(session, subject, payload))


@router.get("/products/{product_id}", response_model=ProductRead)
async def read_product(product_id: int, session: DbSession, subject: ApiSubject) -> ProductRead:
    return ProductRead.model_validate(await service.access_product(session, subject, product_id))


@router.patch("/products/{product_id}", response_model=ProductRead)
async def update_product(
    product_id: int, payload: ProductUpdate, session: DbSession, subject: ApiSubject
) -> ProductRead:
    return ProductRead.model_validate(await service.do_update_product(session, subject, product_id, payload))


@router.delete("/products/{product_id}", response_model=ProductRead)
async def archive_product(product_id: int, session: DbSession, subject: ApiSubject) -> ProductRead:
    return ProductRead.model_validate(await service.do_archive_product(session, subject, product_id))


@router.post("/products/{product_id}/skus", response_model=SkuRead, status_code=status.HTTP_201_CREATED)
async def add_sku(product_id: int, payload: SkuCreate, session: DbSession, subject: ApiSubject) -> SkuRead:
    return SkuRead.model_validate(await service.do_add_sku(session, subject, product_id, payload))


@router.get("/skus/{sku_id}", response_model=SkuRead)
async def read_sku(sku_id: int, session: DbSession, subject: ApiSubject) -> SkuRead:
    return SkuRead.model_validate(await service.access_sku(session, subject, sku_id))


@router.patch("/skus/{sku_id}", response_model=SkuRead)
async def update_sku(sku_id: int, payload: SkuUpdate, session: DbSession, subject: ApiSubject) -> SkuRead:
    return SkuRead.model_validate(await service.do_update_sku(session, subject, sku_id, payload))


@router.delete("/skus/{sku_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_sku(sku_id: int, session: DbSession, subject: ApiSubject) -> None:
    await service.do_delete_sku(session, subject, sku_id)
