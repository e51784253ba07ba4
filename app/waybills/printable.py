"""The printed controlled waybill (控制运货单): an A4 PDF in Chinese, with the embedded CJK font
of the carton labels, and a QR holding a signed link that a checkpoint scans to check the truck.

The QR's token is an HMAC of the waybill number under the code-signing keys (its key id first,
so keys can rotate): a forged paper with a real waybill's number does not verify."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, quote, unquote, urlsplit
from zoneinfo import ZoneInfo

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from app.codes.labels import cjk_font
from app.common.signing import SigningKeys

QR_PATH = "/waybills/{number}/inspect"


def _mac(key: bytes, number: str) -> str:
    digest = hmac.new(key, b"channelguard-waybill:" + number.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:15]).decode()


def waybill_token(keys: SigningKeys, number: str) -> str:
    return f"{keys.current}.{_mac(keys.keys[keys.current], number)}"


def token_valid(keys: SigningKeys, number: str, token: str) -> bool:
    key_id, _, mac = token.partition(".")
    key = keys.keys.get(key_id)
    if key is None or not mac:
        return False
    return hmac.compare_digest(_mac(key, number).encode(), mac.encode("utf-8", "replace"))


def qr_link(base_url: str, keys: SigningKeys, number: str) -> str:
    path = QR_PATH.format(number=quote(number, safe=""))
    return f"{base_url.rstrip('/')}{path}?t={waybill_token(keys, number)}"


def parse_qr(text: str) -> tuple[str, str] | None:
    """(number, token) from what a reader produced for the QR (any host, a symbology prefix or
    trailing CR/LF forgiven), or None when it is not a waybill's QR."""
    text = text.strip()
    if text.startswith("]Q") and len(text) > 3:
        text = text[3:]
    parts = urlsplit(text)
    segments = [unquote(s) for s in parts.path.split("/") if s]
    if len(segments) < 3 or segments[-3] != "waybills" or segments[-1] != "inspect":
        return None
    tokens = parse_qs(parts.query).get("t")
    if not tokens:
        return None
    return segments[-2], tokens[0]


@dataclass(frozen=True)
class PrintableWaybill:
    number: str
    status: str
    company: str
    dispatched_at: datetime
    expected_arrival: datetime
    destination: str
    route: list[str]
    issuer: str
    salesperson: str
    plate: str
    vehicle_owner: str | None
    driver: str | None
    driver_phone: str | None
    registered: bool
    cartons: int
    value: str
    serials: list[str]
    qr: str
    tz: ZoneInfo


STATUS_ZH = {"active": "在途", "delivered": "已交付", "cancelled": "已作废"}
SERIAL_COLUMNS = 4
SERIAL_ROW = 5 * mm


def render_waybill_pdf(w: PrintableWaybill) -> bytes:
    font = cjk_font()
    buf = io.BytesIO()
    width, height = A4
    canvas = Canvas(buf, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"控制运货单 {w.number}")
    canvas.setFont(font, 22)
    canvas.drawCentredString(width / 2, height - 25 * mm, "控制运货单")
    canvas.setFont(font, 10)
    canvas.drawCentredString(width / 2, height - 31 * mm, f"{w.company} · Controlled waybill")
    fmt = "%Y年%m月%d日 %H:%M"
    vehicle = w.plate + ("（已备案）" if w.registered else "（未备案）")
    lines = [
        ("运货单号", f"{w.number}（{STATUS_ZH.get(w.status, w.status)}）"),
        ("发货时间", w.dispatched_at.astimezone(w.tz).strftime(fmt)),
        ("预计到达", w.expected_arrival.astimezone(w.tz).strftime(fmt)),
        ("收货客户", w.destination),
        ("运输路线", " → ".join(w.route)),
        ("车辆", vehicle),
        ("车主", w.vehicle_owner or "—"),
        ("司机", " ".join(x for x in (w.driver, w.driver_phone) if x) or "—"),
        ("开单人", w.issuer),
        ("责任业务员", w.salesperson),
        ("货物", f"{w.cartons} 箱，价值 ¥{w.value}"),
    ]
    y = height - 45 * mm
    left, value_x, qr_side = 20 * mm, 45 * mm, 50 * mm
    text_width = width - value_x - qr_side - 25 * mm
    for label, value in lines:
        canvas.setFont(font, 11)
        canvas.drawString(left, y, f"{label}：")
        _fitted(canvas, value, font, 11, value_x, y, text_width)
        y -= 7.5 * mm
    _draw_qr(canvas, w.qr, width - 20 * mm - qr_side, height - 45 * mm - qr_side + 5 * mm, qr_side)
    canvas.setFont(font, 8)
    canvas.drawString(
        width - 20 * mm - qr_side, height - 45 * mm - qr_side, "监督站扫码核对车辆、路线与时间"
    )
    y -= 3 * mm
    canvas.setFont(font, 9)
    canvas.drawString(
        left,
        y,
        "沿途各区域经销商与业务员已收到通知；监督站扫描二维码核对车牌、路线、时间窗与箱码。",
    )
    y -= 8 * mm
    canvas.setFont(font, 11)
    canvas.drawString(left, y, "箱码清单")
    y -= 6 * mm
    col_width = (width - 2 * left) / SERIAL_COLUMNS
    for start in range(0, len(w.serials), SERIAL_COLUMNS):
        if y < 20 * mm:
            _footer(canvas, font, w.number, width)
            canvas.showPage()
            y = height - 20 * mm
        canvas.setFont("Courier", 9)
        for i, serial in enumerate(w.serials[start : start + SERIAL_COLUMNS]):
            canvas.drawString(left + i * col_width, y, f"{start + i + 1:>5}. {serial}")
        y -= SERIAL_ROW
    _footer(canvas, font, w.number, width)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def _draw_qr(canvas: Canvas, data: str, x: float, y: float, side: float) -> None:
    qr = segno.make(data, error="m")
    rows = [list(r) for r in qr.matrix]
    cell = side / len(rows)
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(x + c * cell, y + side - (r + 1) * cell, cell, cell, stroke=0, fill=1)


def _footer(canvas: Canvas, font: str, number: str, width: float) -> None:
    canvas.setFont(font, 8)
    canvas.drawCentredString(
        width / 2, 10 * mm, f"运货单 {number} · 第 {canvas.getPageNumber()} 页 · 司机随车携带"
    )


def _fitted(
    canvas: Canvas, text: str, font: str, size: float, x: float, y: float, width: float
) -> None:
    fitted = min(size, size * width / max(pdfmetrics.stringWidth(text, font, size), 1))
    canvas.setFont(font, max(fitted, 5))
    canvas.drawString(x, y, text)
