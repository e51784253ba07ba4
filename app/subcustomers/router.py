from __future__ import annotations

import html
from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.auth.deps import Admin, Anyone, require
from app.auth.principal import Principal
from app.auth.visibility import visibility
from app.common.lookup import SearchText
from app.common.master import PageQuery
from app.common.register_routes import register_route
from app.common.types import Page, Schema
from app.config import get_settings
from app.db import DbSession, utcnow
from app.errors import PUBLIC_ERROR_RESPONSES, Conflict, NotFound
from app.models import Distributor, Region, Role, SubCustomerStatus
from app.subcustomers import service
from app.subcustomers.certificate import CertificateData, render_certificate_pdf
from app.subcustomers.schemas import DealerOut, SubCustomerIn, SubCustomerOut

router = APIRouter(prefix="/sub-customers", tags=["sub-customers"])
public_router = APIRouter(tags=["public"], responses=PUBLIC_ERROR_RESPONSES)
Registrar = Annotated[Principal, Depends(require(Role.admin, Role.distributor))]
CERTIFICATE_DAYS = 365
TIER_LABEL = {"wholesale_2": "二级批发", "terminal_wholesale": "终端批发", "retail": "零售店"}


class RevokeIn(Schema):
    reason: str | None = None


@router.post("", status_code=status.HTTP_201_CREATED)
def create_sub_customer(body: SubCustomerIn, session: DbSession, who: Registrar) -> SubCustomerOut:
    """Admin registers an approved sub-customer; a distributor its own, pending HQ approval."""
    return service.create(session, data=body, principal=who)


@router.get("")
def list_sub_customers(
    session: DbSession,
    who: Anyone,
    page: PageQuery,
    distributor_code: str | None = None,
    status: Annotated[SubCustomerStatus | None, Query()] = None,
    q: SearchText = None,
) -> Page[SubCustomerOut]:
    """The sub-customers the caller may see, each with the cartons it holds now, its credit
    score and sell-through: a distributor sees its own, a sub-customer itself."""
    return service.list_sub_customers(
        session,
        vis=visibility(session, who),
        page=page,
        distributor_code=distributor_code or None,
        status=status,
        q=q,
    )


register_route(router, "GET", "get_sub_customer", service.get, sees=visibility)
register_route(
    router,
    "PATCH",
    "update_sub_customer",
    service.update,
    doc="HQ corrects a sub-customer's name, tier, position, contact or agreement date.",
)


@router.post("/{code}/approve")
def approve_sub_customer(code: str, session: DbSession, who: Admin) -> SubCustomerOut:
    return service.approve(session, code=code, actor=who.username)


@router.post("/{code}/revoke")
def revoke_sub_customer(
    code: str, session: DbSession, who: Registrar, body: RevokeIn | None = None
) -> SubCustomerOut:
    return service.revoke(
        session,
        code=code,
        principal=who,
        vis=visibility(session, who),
        reason=body.reason if body else None,
    )


@router.get("/{code}/certificate.pdf", response_class=Response)
def certificate_pdf(
    code: str,
    session: DbSession,
    who: Annotated[Principal, Depends(require(Role.admin, Role.distributor, Role.sub_customer))],
) -> Response:
    """The authorized-dealer certificate (指定经销证书) of an approved sub-customer."""
    sc = service.visible(session, code=code, vis=visibility(session, who))
    if sc.status is not SubCustomerStatus.APPROVED or sc.approved_at is None:
        raise Conflict(f"sub-customer {code!r} is {sc.status.value}: no certificate")
    settings = get_settings()
    region = session.get_one(Region, sc.region_id)
    dist = session.get_one(Distributor, sc.distributor_id)
    pdf = render_certificate_pdf(
        CertificateData(
            company=settings.company_name,
            code=sc.code,
            name=sc.name,
            tier_label=TIER_LABEL[sc.tier.value],
            distributor_name=dist.name,
            region_name=region.name,
            valid_from=sc.approved_at,
            valid_until=sc.approved_at + timedelta(days=CERTIFICATE_DAYS),
            verify_url=f"{settings.public_base_url.rstrip('/')}/dealers/{sc.code}",
        )
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="certificate-{sc.code}.pdf"'},
    )


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}"
        ".ok{color:#176b2c}.no{color:#a11}</style></head>"
        f"<body>{body}</body></html>",
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


@public_router.get("/dealers/{code}", response_model=DealerOut)
def dealer(code: str, request: Request, session: DbSession) -> Response:
    """Public: is this dealer authorized today? JSON with `Accept: application/json`, else a
    zh-CN page. Nothing private: no contact, position, stock or violations."""
    wants_json = "application/json" in request.headers.get("accept", "")
    try:
        d = service.dealer(session, code=code)
    except NotFound:
        if wants_json:
            raise
        return _page("未授权", "<h1 class='no'>未授权</h1><p>查无此经销证书。</p>", 404)
    if wants_json:
        return JSONResponse(d.model_dump(), headers={"Cache-Control": "no-store"})
    revoked = service.is_revoked(session, code=code)
    verdict = (
        "<h1 class='ok'>已授权</h1>"
        if d.valid
        else ("<h1 class='no'>已撤销</h1>" if revoked else "<h1 class='no'>未授权</h1>")
    )
    checked = utcnow().astimezone(ZoneInfo(get_settings().business_tz))
    body = (
        f"{verdict}<p>{html.escape(d.name)}</p>"
        f"<p>经销区域：{html.escape(d.region_name)}</p>"
        f"<p>供货经销商：{html.escape(d.distributor_name)}</p>"
        f"<p><small>查验时间：{checked:%Y-%m-%d %H:%M}（北京时间）</small></p>"
    )
    return _page("指定经销证书查验", body)
