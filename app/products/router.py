from __future__ import annotations

from fastapi import APIRouter, status

from app.auth.deps import Admin, Anyone
from app.common.lookup import SearchText
from app.common.master import PageQuery
from app.common.types import Page
from app.db import DbSession
from app.products import service
from app.products.schemas import ProductIn, ProductOut, ProductPatch

router = APIRouter(prefix="/products", tags=["master data"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_product(body: ProductIn, session: DbSession, who: Admin) -> ProductOut:
    return service.create_product(session, data=body, actor=who.username)


@router.get("")
def list_products(
    session: DbSession, _who: Anyone, page: PageQuery, q: SearchText = None
) -> Page[ProductOut]:
    return service.list_products(session, page=page, q=q)


@router.get("/{gtin}")
def get_product(gtin: str, session: DbSession, _who: Anyone) -> ProductOut:
    return service.get_product(session, gtin=gtin)


@router.patch("/{gtin}")
def update_product(gtin: str, body: ProductPatch, session: DbSession, who: Admin) -> ProductOut:
    return service.update_product(session, gtin=gtin, data=body, actor=who.username)
