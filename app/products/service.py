"""Products: the carton-level GTIN, its value (what a diversion moves) and price floors."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.common.lookup import invalid, text_match
from app.common.master import added, ensure_new, page_of, patched, saved
from app.common.types import Page, PageParams, from_fen, to_fen
from app.common.wire import wire_form
from app.errors import NotFound
from app.models import Product, Tier
from app.products.schemas import ProductIn, ProductOut, ProductPatch, normalize_gtin


def to_out(p: Product) -> ProductOut:
    return wire_form(
        ProductOut,
        p,
        carton_value=from_fen(p.carton_value_fen),
        price_floors={Tier(t): from_fen(v) for t, v in sorted(p.price_floors_fen.items())},
    )


def _floors(floors: dict[Tier, Decimal] | None) -> dict[str, int]:
    return {t.value: to_fen(v) for t, v in (floors or {}).items()}


def _value_fen(value: Decimal) -> int:
    if value <= 0:
        raise invalid("carton_value", "carton_value must be greater than zero")
    return to_fen(value)


def product_by_gtin(session: Session, gtin: str) -> Product:
    try:
        key = normalize_gtin(gtin)
    except ValueError as exc:
        raise NotFound(f"product {gtin!r} not found") from exc
    p = session.scalar(select(Product).where(Product.gtin == key))
    if p is None:
        raise NotFound(f"product {gtin!r} not found")
    return p


def create_product(session: Session, *, data: ProductIn, actor: str) -> ProductOut:
    """Register a carton-level product."""
    ensure_new(session, Product.gtin, data.gtin, what="product")
    p = Product(
        gtin=data.gtin,
        name=data.name,
        units_per_carton=data.units_per_carton,
        carton_value_fen=_value_fen(data.carton_value),
        price_floors_fen=_floors(data.price_floors),
    )
    added(session, p, actor, "product.created", data.gtin, data.model_dump(mode="json"))
    return to_out(p)


def update_product(session: Session, *, gtin: str, data: ProductPatch, actor: str) -> ProductOut:
    p = product_by_gtin(session, gtin)
    changes = patched(p, data, fields=("name", "units_per_carton"))
    if data.carton_value is not None:
        p.carton_value_fen = _value_fen(data.carton_value)
    if "price_floors" in changes:
        p.price_floors_fen = _floors(data.price_floors)
    saved(session, actor, "product.updated", p.gtin, changes)
    return to_out(p)


def get_product(session: Session, *, gtin: str) -> ProductOut:
    return to_out(product_by_gtin(session, gtin))


def list_products(session: Session, *, page: PageParams, q: str | None = None) -> Page[ProductOut]:
    stmt = select(Product).order_by(Product.gtin)
    if q:
        stmt = stmt.where(text_match(q, Product.name, Product.gtin))
    return page_of(session, stmt, page, to_out)
