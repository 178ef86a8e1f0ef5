"""All SQL of the catalog domain."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from livebridge.authz import Subject, scoped
from livebridge.kit.pagination import PageParams
from livebridge.kit.repository import Repository
from livebridge.models import Product, ProductStatus, Sku


class ProductRepository(Repository[Product]):
    def readable(self, subject: Subject) -> Select[Product]:
        return scoped(select(Product), Product, subject).options(selectinload(Product.skus))

    async def page(
        self,
        subject: Subject,
        params: PageParams,
        *,
        query: str | None = None,
        category: str | None = None,
        status: ProductStatus | None = None,
    ) -> tuple[list[Product], int]:
        statement = self.readable(subject).order_by(Product.id.desc())
        if query:
            pattern = f"%{query}%"
            sku_match = scoped(select(Sku.product_id), Sku, subject).where(Sku.code.ilike(pattern))
            statement = statement.where(
                or_(Product.name.ilike(pattern), Product.category.ilike(pattern), Product.id.in_(sku_match))
            )
        if category:
            statement = statement.where(Product.category == category)
        if status is not None:
            statement = statement.where(Product.status == status)
        return await self.paginate(statement, params)

    async def list_categories(self, subject: Subject) -> list[str]:
        statement = scoped(select(Product.category).distinct(), Product, subject).order_by(Product.category)
        return [str(value) for value in (await self.session.execute(statement)).scalars()]

    async def get(self, subject: Subject, product_id: int) -> Product | None:
        return await self.first(self.readable(subject).where(Product.id == product_id))

    async def get_by_name(self, subject: Subject, name: str) -> Product | None:
        return await self.first(self.readable(subject).where(Product.name == name))

    async def add(self, product: Product) -> Product:
        self.session.add(product)
        await self.session.flush()
        return product


class SkuRepository(Repository[Sku]):
    def readable(self, subject: Subject) -> Select[Sku]:
        return scoped(select(Sku), Sku, subject)

    async def get(self, subject: Subject, sku_id: int) -> Sku | None:
        return await self.first(self.readable(subject).where(Sku.id == sku_id))

    async def existing_codes(self, subject: Subject, codes: list[str]) -> set[str]:
        statement = scoped(select(Sku.code), Sku, subject).where(Sku.code.in_(codes))
        return {str(code) for code in (await self.session.execute(statement)).scalars()}

    async def products_by_code(self, subject: Subject, codes: list[str]) -> dict[str, tuple[int, str]]:
        statement = (
            scoped(select(Sku.code, Product.id, Product.name), Sku, subject)
            .join(Product, Product.id == Sku.product_id)
            .where(Sku.code.in_(codes))
        )
        rows = (await self.session.execute(statement)).all()
        return {str(code): (int(product_id), str(name)) for code, product_id, name in rows}

    async def add(self, sku: Sku) -> Sku:
        self.session.add(sku)
        await self.session.flush()
        return sku

    async def delete(self, sku: Sku) -> None:
        await self.session.delete(sku)
        await self.session.flush()
