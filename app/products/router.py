from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from app.auth.deps import Admin, Anyone
from app.common.lookup import SearchText
from app.common.types import Page, PageParams
from app.db import DbSession
from app.products import service
from app.products.schemas import ProductIn, ProductOut, ProductPatch

router = APIRouter(prefix="/products", tags=["master data"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_product(body: ProductIn, session: DbSession, who: Admin) -> ProductOut:
    return service.create_product(session, data=body, actor=who.username)


@router.get("")
def list_products(
    session: DbSession, _who: Anyone, page: Annotated[PageParams, Depends()], q: SearchText = None
) -> Page[ProductOut]:
    items, total = service.list_products(session, limit=page.limit, offset=page.offset, q=q)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{gtin}")
def get_product(gtin: str, session: DbSession, _who: Anyone) -> ProductOut:
    return service.get_product(session, gtin=gtin)


@router.patch("/{gtin}")
def update_product(gtin: str, body: ProductPatch, session: DbSession, who: Admin) -> ProductOut:
    return service.update_product(session, gtin=gtin, data=body, actor=who.username)
