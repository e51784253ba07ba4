"""The dossier's PDF: its sections laid out on A4 pages, with the proof attached."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.codes.labels import cjk_font
from app.config import Settings
from app.violations.dossier.facts import DossierData, gather
from app.violations.dossier.labels import (
    PROOF_NAME,
)
from app.violations.dossier.layout import (
    PAGE_MARGIN,
    esc,
    styles,
    when,
)
from app.violations.dossier.pages import cartons, custody, decisions, photos, scans, summary
from app.violations.dossier.proof_pages import audit_proofs, how_to_verify
from app.violations.dossier.proofs import attach, verify_bundle


def render(data: DossierData) -> bytes:
    """The PDF, with the proof attached as `channelguard-proof.json`."""
    pdf = draw(data)
    return attach(pdf, data.proof, title=f"窜货案件证据档案 第{data.violation.id}号")


def build(
    session: Session, *, violation_id: int, principal: Principal, settings: Settings
) -> bytes:
    cjk_font()
    data = gather(session, violation_id=violation_id, principal=principal, settings=settings)
    return render(data)


def draw(data: DossierData) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    st = styles()
    v = data.violation
    out = io.BytesIO()
    title = f"窜货案件证据档案 第{v.id}号"
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=PAGE_MARGIN * mm,
        rightMargin=PAGE_MARGIN * mm,
        topMargin=PAGE_MARGIN * mm,
        bottomMargin=PAGE_MARGIN * mm,
        title=title,
        author="ChannelGuard",
        # Every font embedded: without this the canvas also references (unembedded) Helvetica.
        initialFontName=cjk_font(),
    )
    P = Paragraph
    story: list[Any] = [
        P(esc(title), st["title"]),
        P(
            f"本档案由 ChannelGuard 于 {when(data, data.generated_at)}({data.tz})为"
            f"用户 {esc(data.generated_by)} 生成。所有时间均为该时区的当地时间。"
            f"文末附审计链证明及验证方法;证明数据以附件 {PROOF_NAME} 嵌入本 PDF。",
            st["small"],
        ),
        P("一、案件概要", st["h2"]),
    ]
    report = verify_bundle(data.proof) if data.proof.get("checkpoint") else None
    summary(story, data, st, report)
    cartons(story, data, st)
    custody(story, data, st)
    scans(story, data, st)
    photos(story, data, st)
    decisions(story, data, st)
    audit_proofs(story, data, st, report)
    how_to_verify(story, data, st)

    def footer(canvas: Any, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(cjk_font(), 7)
        canvas.setFillGray(0.4)
        canvas.drawString(PAGE_MARGIN * mm, 8 * mm, f"{title} · 第 {canvas.getPageNumber()} 页")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
