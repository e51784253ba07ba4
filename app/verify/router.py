"""The public verify page at every QR's Digital Link path (no sign-in), its place report, and
HQ's list of the weak signals public verifications raised."""

from __future__ import annotations

import html
import json
from importlib.resources import files
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.auth.deps import require
from app.auth.principal import Principal
from app.auth.ratelimit import FailedAuthLimiter, address_of
from app.common.types import Page, PageParams
from app.config import Settings, get_settings
from app.db import DbSession
from app.errors import PUBLIC_ERROR_RESPONSES
from app.models import Role
from app.verify import service
from app.verify.schemas import PlaceIn, PlaceResult, SignalOut
from rules.policy import load_policy

public_router = APIRouter(tags=["public verification"], responses=PUBLIC_ERROR_RESPONSES)
signals_router = APIRouter(tags=["public verification"])
Hq = Annotated[Principal, Depends(require(Role.admin, Role.hq_auditor))]


def _limiter(request: Request, settings: Settings) -> FailedAuthLimiter:
    limiter = getattr(request.app.state, "public_verify_limiter", None)
    if limiter is None:
        # Counting every request, not failures: the auth limiter's window does exactly that.
        limiter = FailedAuthLimiter(limit=settings.public_verify_per_minute, window=60.0)
        request.app.state.public_verify_limiter = limiter
    assert isinstance(limiter, FailedAuthLimiter)
    return limiter


def rate_limited(request: Request) -> None:
    """More than the allowed verifications a minute from one address: 429 with Retry-After."""
    limiter = _limiter(request, get_settings())
    address = address_of(request)
    limiter.refuse_if_blocked(address, "verifications")
    limiter.record_failure(address)


Limited = Depends(rate_limited)


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "").lower()
    return "application/json" in accept and "text/html" not in accept


@public_router.get(
    "/01/{gtin}/21/{serial}",
    dependencies=[Limited],
    responses={200: {"content": {"text/html": {}, "application/json": {}}}},
)
def verify_code(
    gtin: str,
    serial: str,
    request: Request,
    session: DbSession,
    region: Annotated[str, Query(alias="91", max_length=80)] = "",
    signature: Annotated[str, Query(alias="92", max_length=80)] = "",
    lang: Literal["zh", "en"] = "zh",
) -> Response:
    """Is this code genuine? `Accept: application/json` gets
    `{genuine, product_name?, region_name?, verifications, first_verified_at?}`; a browser
    gets a light page in Chinese (English with `lang=en`). Forged, unknown and voided codes
    answer exactly `{"genuine": false, "verifications": 0}`."""
    settings = get_settings()
    answer = service.verify(
        session,
        gtin=gtin[:20],
        serial=serial[:40],
        region_code=region,
        signature=signature,
        settings=settings,
        policy=load_policy(),
    )
    headers = {"Cache-Control": "no-store", "Vary": "Accept"}
    if _wants_json(request):
        return JSONResponse(answer.public(), headers=headers)
    cities = service.cities(session) if answer.sighting_id is not None else []
    return HTMLResponse(_page(answer, request, cities, lang), headers=headers)


@public_router.post("/01/{gtin}/21/{serial}/place", dependencies=[Limited])
def add_place(gtin: str, serial: str, body: PlaceIn, session: DbSession) -> PlaceResult:
    """The visitor agreed to share where they verified: a position (stored rounded to about
    1 km) or a picked city, for the verification the page was given a token for."""
    return service.add_place(
        session, serial=serial, data=body, settings=get_settings(), policy=load_policy()
    )


@signals_router.get("/consumer-signals")
def list_consumer_signals(
    session: DbSession,
    _who: Hq,
    page: Annotated[PageParams, Depends()],
    kind: Literal["clone_suspected", "out_of_region"] | None = None,
) -> Page[SignalOut]:
    """Weak signals from public verifications for HQ: suspected clones and suspected
    diversions (a genuine code verified far outside its territory). Never violations."""
    return service.list_signals(session, kind=kind, limit=page.limit, offset=page.offset)


TEXT = {
    "zh": {
        "title": "产品验证",
        "genuine": "正品",
        "fake": "非正品",
        "fake_note": "此码无法验证。请勿购买，并向销售方或品牌方反映。",
        "mark": "专供{region}地区销售",
        "first": "这是此码第一次被验证。",
        "before": "此码此前已被验证 {n} 次，首次验证于 {at}。",
        "warn": "多次验证可能意味着此码被复制：请留意包装和购买渠道。",
        "share": "愿意告诉我们您在哪里验证吗？（可选，仅精确到约1公里）",
        "locate": "分享大致位置",
        "city": "或选择城市",
        "send": "提交",
        "thanks": "谢谢！",
        "other": "English",
    },
    "en": {
        "title": "Product check",
        "genuine": "Genuine",
        "fake": "Not genuine",
        "fake_note": "This code cannot be verified. Please do not buy; tell the seller or brand.",
        "mark": "For sale in {region} only",
        "first": "This is the first time this code has been verified.",
        "before": "This code was verified {n} times before, first on {at}.",
        "warn": "Many verifications may mean the code was copied: check the pack and the seller.",
        "share": "Tell us roughly where you are? (optional, to about 1 km)",
        "locate": "Share rough location",
        "city": "or pick a city",
        "send": "Send",
        "thanks": "Thank you!",
        "other": "中文",
    },
}


def _page(
    answer: service.Answer, request: Request, cities: list[tuple[str, str]], lang: str
) -> str:
    t = TEXT[lang]
    other = "en" if lang == "zh" else "zh"
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    query = "&".join(f"{html.escape(k)}={html.escape(v)}" for k, v in params)
    switch = f"?{query}&amp;lang={other}" if query else f"?lang={other}"
    e = html.escape
    if answer.genuine:
        tz = get_settings().tz
        first = (
            answer.first_verified_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
            if answer.first_verified_at
            else ""
        )
        # The date in one piece: a narrow phone would otherwise break it at a hyphen.
        seen = (
            e(t["before"]).format(n=answer.verifications, at=f"<time>{e(first)}</time>")
            if answer.verifications
            else e(t["first"])
        )
        warn = f'<p class="warn">{e(t["warn"])}</p>' if answer.verifications >= 3 else ""
        body = (
            f'<h1 class="ok">✓ {e(t["genuine"])}</h1>'
            f'<p class="p">{e(answer.product_name or "")}</p>'
            f'<p class="mark">{e(t["mark"].format(region=answer.region_name or ""))}</p>'
            f"<p>{seen}</p>{warn}"
        )
        if answer.sighting_id is not None:
            options = "".join(f'<option value="{e(c)}">{e(n)}</option>' for c, n in cities)
            place = json.dumps(
                {"sighting": answer.sighting_id, "token": answer.place_token}
            ).replace("<", "\\u003c")
            body += (
                f'<form id="pl"><p>{e(t["share"])}</p>'
                f'<p><button type="button" id="geo">{e(t["locate"])}</button></p>'
                f'<p><label>{e(t["city"])} <select name="city"><option value=""></option>'
                f"{options}</select></label> <button>{e(t['send'])}</button></p>"
                f'<p id="done" hidden>{e(t["thanks"])}</p></form>'
                f"<script>var P={place};</script>"
                f"<script>{_SCRIPT}</script>"
            )
    else:
        body = f'<h1 class="bad">✗ {e(t["fake"])}</h1><p>{e(t["fake_note"])}</p>'
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!doctype html><html lang="{html_lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{e(t['title'])}</title><style>{_STYLE}</style></head><body>"
        f'<main>{body}</main><p class="lang"><a href="{switch}">{e(t["other"])}</a></p>'
        "</body></html>"
    )


_STYLE = (files("app.verify") / "page.css").read_text(encoding="utf-8")
_SCRIPT = (files("app.verify") / "page.js").read_text(encoding="utf-8")
