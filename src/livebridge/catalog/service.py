"""Catalog: products with their SKUs and aliases."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livebridge.authz import Permission, Subject
from livebridge.catalog.repository import ProductRepository, SkuRepository
from livebridge.catalog.schemas import ProductCreate, ProductUpdate, SkuCreate, SkuUpdate
from livebridge.exceptions import Conflict, InvalidInput, NotFound
from livebridge.kit.pagination import Page, PageParams
from livebridge.models import Product, ProductStatus, Sku


async def list_products(
    session: AsyncSession,
    subject: Subject,
    params: PageParams,
    *,
    query: str | None = None,
    category: str | None = None,
    status: ProductStatus | None = None,
) -> Page[Product]:
    subject.check(Permission.READ)
    items, total = await ProductRepository(session).page(subject, params, query=query, category=category, status=status)
    return Page.build(items, total, params)


async def list_categories(session: AsyncSession, subject: Subject) -> list[str]:
    subject.check(Permission.READ)
    return await ProductRepository(session).list_categories(subject)


async def access_product(session: AsyncSession, subject: Subject, product_id: int) -> Product:
    subject.check(Permission.READ)
    product = await ProductRepository(session).get(subject, product_id)
    if product is None:
        raise NotFound("no such product", code="product_not_found")
    return product


async def _check_new_sku_codes(session: AsyncSession, subject: Subject, codes: list[str]) -> None:
    duplicates = {code for code in codes if codes.count(code) > 1}
    taken = await SkuRepository(session).existing_codes(subject, codes) | duplicates
    if taken:
        raise Conflict(f"SKU code already in use: {', '.join(sorted(taken))}", code="sku_code_taken", field="code")


async def do_create_product(
    session: AsyncSession, subject: Subject, payload: ProductCreate, *, is_simulated: bool = False
) -> Product:
    subject.check(Permission.MANAGE_CATALOG)
    repository = ProductRepository(session)
    if await repository.get_by_name(subject, payload.name) is not None:
        raise Conflict(f"a product named '{payload.name}' exists already", code="name_taken", field="name")
    await _check_new_sku_codes(session, subject, [sku.code for sku in payload.skus])
    tenant_id = subject.require_tenant()
    product = Product(
        tenant_id=tenant_id,
        name=payload.name,
        category=payload.category,
        description=payload.description,
        aliases=payload.aliases,
        is_simulated=is_simulated,
        skus=[Sku(tenant_id=tenant_id, code=s.code, spec=s.spec, price_fen=s.price_fen) for s in payload.skus],
    )
    await repository.add(product)
    return await access_product(session, subject, product.id)


async def do_update_product(
    session: AsyncSession, subject: Subject, product_id: int, payload: ProductUpdate
) -> Product:
    subject.check(Permission.MANAGE_CATALOG)
    product = await access_product(session, subject, product_id)
    changes = payload.model_dump(exclude_unset=True)
    for required in ("name", "category", "status"):
        if required in changes and changes[required] is None:
            raise InvalidInput(f"{required} cannot be empty", code="required", field=required)
    new_name = changes.get("name")
    if new_name and new_name != product.name and await ProductRepository(session).get_by_name(subject, new_name):
        raise Conflict(f"a product named '{new_name}' exists already", code="name_taken", field="name")
    for key, value in changes.items():
        setattr(product, key, value)
    await session.flush()
    return await access_product(session, subject, product.id)


async def do_archive_product(session: AsyncSession, subject: Subject, product_id: int) -> Product:
    """Products are archived, not deleted: past sessions, orders and comments still point at them."""
    return await do_update_product(session, subject, product_id, ProductUpdate(status=ProductStatus.ARCHIVED))


async def do_add_sku(session: AsyncSession, subject: Subject, product_id: int, payload: SkuCreate) -> Sku:
    subject.check(Permission.MANAGE_CATALOG)
    product = await access_product(session, subject, product_id)
    await _check_new_sku_codes(session, subject, [payload.code])
    return await SkuRepository(session).add(
        Sku(
            tenant_id=product.tenant_id,
            product_id=product.id,
            code=payload.code,
            spec=payload.spec,
            price_fen=payload.price_fen,
        )
    )


async def access_sku(session: AsyncSession, subject: Subject, sku_id: int) -> Sku:
    subject.check(Permission.READ)
    sku = await SkuRepository(session).get(subject, sku_id)
    if sku is None:
        raise NotFound("no such SKU", code="sku_not_found")
    return sku


async def do_update_sku(session: AsyncSession, subject: Subject, sku_id: int, payload: SkuUpdate) -> Sku:
    subject.check(Permission.MANAGE_CATALOG)
    sku = await access_sku(session, subject, sku_id)
    for key, value in payload.model_dump(exclude_unset=True).items():
        if value is None:
            raise InvalidInput(f"{key} cannot be empty", code="required", field=key)
        setattr(sku, key, value)
    await session.flush()
    return sku


async def do_delete_sku(session: AsyncSession, subject: Subject, sku_id: int) -> None:
    subject.check(Permission.MANAGE_CATALOG)
    await SkuRepository(session).delete(await access_sku(session, subject, sku_id))


async def products_by_sku(session: AsyncSession, subject: Subject, codes: list[str]) -> dict[str, tuple[int, str]]:
    """SKU code → (product id, product name), for the codes this tenant knows."""
    subject.check(Permission.READ)
    return await SkuRepository(session).products_by_code(subject, codes) if codes else {}


async def product_ids_by_sku(session: AsyncSession, subject: Subject, codes: list[str]) -> dict[str, int]:
    """SKU code → product id, for event processing (needs only the ingest permission)."""
    subject.check(Permission.INGEST_EVENTS)
    found = await SkuRepository(session).products_by_code(subject, codes)
    return {code: product_id for code, (product_id, _) in found.items()}
