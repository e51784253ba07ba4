from __future__ import annotations

from fastapi import APIRouter

from app.auth.deps import Anyone
from app.common.lookup import SearchText
from app.common.master import PageQuery
from app.common.register_routes import register_routes
from app.common.types import Page
from app.db import DbSession
from app.products import service
from app.products.schemas import ProductOut

router = APIRouter(prefix="/products", tags=["master data"])
register_routes(router, "product", service, key="gtin")


@router.get("")
def list_products(
    session: DbSession, _who: Anyone, page: PageQuery, q: SearchText = None
) -> Page[ProductOut]:
    return service.list_products(session, page=page, q=q)
