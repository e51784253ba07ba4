"""The authorized-dealer certificate (指定经销证书): one A4 page per approved sub-customer, with a
QR code anyone can scan to check it is still valid today."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

# reportlab's built-in Song CID font, as the carton labels use: nothing to download or embed.
CJK_FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


@dataclass(frozen=True)
class CertificateData:
    company: str
    code: str
    name: str
    tier_label: str
    distributor_name: str
    region_name: str
    valid_from: datetime
    valid_until: datetime
    verify_url: str


def _draw_qr(canvas: Canvas, data: str, x: float, y: float, side: float) -> None:
    qr = segno.make(data, error="m")
    rows = [list(r) for r in qr.matrix]
    n = len(rows)
    cell = side / n
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(x + c * cell, y + side - (r + 1) * cell, cell, cell, stroke=0, fill=1)


def render_certificate_pdf(cert: CertificateData) -> bytes:
    buf = io.BytesIO()
    width, height = A4
    canvas = Canvas(buf, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"指定经销证书 {cert.code}")
    canvas.setLineWidth(2)
    canvas.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
    canvas.setFont(CJK_FONT, 34)
    canvas.drawCentredString(width / 2, height - 55 * mm, "指定经销证书")
    canvas.setFont(CJK_FONT, 12)
    canvas.drawCentredString(width / 2, height - 65 * mm, "Authorized Dealer Certificate")
    lines = [
        ("证书编号", cert.code),
        ("经销单位", cert.name),
        ("客户类别", cert.tier_label),
        ("供货经销商", cert.distributor_name),
        ("经销区域", cert.region_name),
        (
            "有效期",
            f"{cert.valid_from:%Y年%m月%d日} 至 {cert.valid_until:%Y年%m月%d日}",
        ),
    ]
    y = height - 90 * mm
    for label, value in lines:
        canvas.setFont(CJK_FONT, 14)
        canvas.drawString(35 * mm, y, f"{label}：")
        canvas.drawString(75 * mm, y, value)
        y -= 12 * mm
    canvas.setFont(CJK_FONT, 12)
    text = (
        f"兹证明上述单位为{cert.company}指定经销单位，在上述区域内经销本公司产品，"
        "须遵守不窜货乱价协议。"
    )
    for i in range(0, len(text), 32):
        canvas.drawString(35 * mm, y, text[i : i + 32])
        y -= 8 * mm
    side = 45 * mm
    _draw_qr(canvas, cert.verify_url, width - 35 * mm - side, 35 * mm, side)
    canvas.setFont(CJK_FONT, 10)
    canvas.drawString(35 * mm, 50 * mm, "扫描右侧二维码，查验本证书今日是否有效。")
    canvas.drawString(35 * mm, 43 * mm, cert.verify_url)
    canvas.setFont(CJK_FONT, 14)
    canvas.drawString(35 * mm, 30 * mm, f"{cert.company}（盖章）")
    canvas.showPage()
    canvas.save()
    return buf.getvalue()
