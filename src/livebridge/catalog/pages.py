"""Console pages of the catalog: product list (searchable), create, edit, SKUs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from livebridge.authz import Permission
from livebridge.catalog import service
from livebridge.catalog.schemas import ProductCreate, ProductUpdate, SkuCreate
from livebridge.exceptions import AppError
from livebridge.kit.money import parse_yuan
from livebridge.kit.pagination import PageParams
from livebridge.models import Product
from livebridge.web.deps import ConsoleUser, DbSession
from livebridge.web.forms import app_error_field, parse_form, read_form
from livebridge.web.templating import gettext_for, render

router = APIRouter()


def _yuan_to_fen(form: dict[str, str], field: str = "price") -> dict[str, str]:
    """The console asks for yuan (¥129.00); the model stores fen. Bad text is left for validation."""
    cleaned = dict(form)
    text = cleaned.pop(field, "")
    if text:
        try:
            cleaned["price_fen"] = str(parse_yuan(text))
        except ValueError:
            cleaned["price_fen"] = text
    return cleaned


@router.get("/products", response_class=HTMLResponse)
async def products_page(
    request: Request,
    session: DbSession,
    identity: ConsoleUser,
    q: Annotated[str | None, Query(max_length=100)] = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    params = PageParams(page=page, page_size=20)
    products = await service.list_products(session, identity.subject, params, query=q, category=category or None)
    context = {
        "active": "products",
        "page": products,
        "q": q or "",
        "category": category or "",
        "categories": await service.list_categories(session, identity.subject),
        "can_manage": identity.subject.can(Permission.MANAGE_CATALOG),
    }
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "product-table":
        return render(request, "catalog/_product_table.html", context)
    return render(request, "catalog/products.html", context)


@router.get("/products/new", response_class=HTMLResponse)
async def new_product_page(request: Request, identity: ConsoleUser) -> Response:
    identity.subject.check(Permission.MANAGE_CATALOG)
    return render(request, "catalog/product_form.html", {"active": "products", "product": None})


@router.post("/products/new", response_class=HTMLResponse)
async def create_product(request: Request, session: DbSession, identity: ConsoleUser) -> Response:
    _ = gettext_for(request)
    form = await read_form(request)
    sku_form = _yuan_to_fen(
        {"code": form.get("sku_code", ""), "spec": form.get("sku_spec", ""), "price": form.get("sku_price", "")}
    )
    errors: dict[str, str] = {}
    skus: list[SkuCreate] = []
    if any(form.get(name) for name in ("sku_code", "sku_spec", "sku_price")):
        sku, sku_errors = parse_form(SkuCreate, sku_form, _)
        errors.update({f"sku_{'price' if key == 'price_fen' else key}": msg for key, msg in sku_errors.items()})
        skus = [sku] if sku else []
    product_fields = {key: form.get(key, "") for key in ("name", "category", "description", "aliases")}
    payload, product_errors = parse_form(ProductCreate, product_fields, _)
    errors.update(product_errors)
    if payload is not None and not errors:
        try:
            product = await service.do_create_product(
                session, identity.subject, payload.model_copy(update={"skus": skus})
            )
            return RedirectResponse(f"/products/{product.id}?created=1", status_code=303)
        except AppError as exc:
            errors = app_error_field(exc, _)
            if exc.code == "sku_code_taken":
                errors = {"sku_code": errors.pop("code", exc.message)}
    return render(
        request,
        "catalog/product_form.html",
        {"active": "products", "product": None, "form": form, "errors": errors},
        status_code=422,
    )


def _product_form(product: Product) -> dict[str, str]:
    return {
        "name": product.name,
        "category": product.category,
        "description": product.description or "",
        "aliases": "、".join(product.aliases),
        "status": product.status,
    }


@router.get("/products/{product_id}", response_class=HTMLResponse)
async def product_page(
    request: Request, product_id: int, session: DbSession, identity: ConsoleUser, created: bool = False
) -> Response:
    product = await service.access_product(session, identity.subject, product_id)
    _ = gettext_for(request)
    return render(
        request,
        "catalog/product_form.html",
        {
            "active": "products",
            "product": product,
            "form": _product_form(product),
            "flash": _("Product created.") if created else None,
            "can_manage": identity.subject.can(Permission.MANAGE_CATALOG),
        },
    )


@router.post("/products/{product_id}", response_class=HTMLResponse)
async def update_product(request: Request, product_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    _ = gettext_for(request)
    form = await read_form(request)
    payload, errors = parse_form(ProductUpdate, {**form, "description": form.get("description", "")}, _)
    if payload is not None:
        try:
            product = await service.do_update_product(session, identity.subject, product_id, payload)
            return render(
                request,
                "catalog/product_form.html",
                {
                    "active": "products",
                    "product": product,
                    "form": _product_form(product),
                    "flash": _("Saved."),
                    "can_manage": True,
                },
            )
        except AppError as exc:
            errors = app_error_field(exc, _)
    product = await service.access_product(session, identity.subject, product_id)
    return render(
        request,
        "catalog/product_form.html",
        {"active": "products", "product": product, "form": form, "errors": errors, "can_manage": True},
        status_code=422,
    )


@router.post("/products/{product_id}/skus", response_class=HTMLResponse)
async def add_sku(request: Request, product_id: int, session: DbSession, identity: ConsoleUser) -> Response:
    _ = gettext_for(request)
    form = await read_form(request)
    payload, errors = parse_form(SkuCreate, _yuan_to_fen(form), _)
    if payload is not None:
        try:
            await service.do_add_sku(session, identity.subject, product_id, payload)
            return RedirectResponse(f"/products/{product_id}", status_code=303)
        except AppError as exc:
            errors = app_error_field(exc, _)
    product = await service.access_product(session, identity.subject, product_id)
    errors = {("price" if key == "price_fen" else key): msg for key, msg in errors.items()}
    return render(
        request,
        "catalog/product_form.html",
        {
            "active": "products",
            "product": product,
            "form": _product_form(product),
            "sku_form": form,
            "sku_errors": errors,
            "can_manage": True,
        },
        status_code=422,
    )
