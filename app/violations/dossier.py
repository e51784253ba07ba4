"""The evidence dossier of a violation: one zh-CN PDF that a lawyer or a market-regulation office
can read without the service, and whose audit proofs they can check themselves.

It shows the carton codes and their signature check, the custody chain, every scan (time, place,
a map drawn from the regions' own boundaries, the photos), the decisions with their notes and the
audit-log entries about the case, each with its Merkle inclusion proof against the latest signed
checkpoint. The same proofs travel inside the PDF as an attached JSON file
(`channelguard-proof.json`), which `channelguard audit verify-dossier` checks: each entry's leaf
recomputed from its content, each inclusion proof, and the checkpoint's Ed25519 signature."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.audit import merkle
from app.audit import service as audit
from app.auth.principal import Principal
from app.auth.visibility import visibility
from app.codes import gs1
from app.codes.labels import cjk_font
from app.config import Settings
from app.db import utcnow
from app.models import (
    AuditEntry,
    AuditLeaf,
    Carton,
    Checkpoint,
    CustodyEvent,
    Distributor,
    JournalEntry,
    Photo,
    Product,
    Region,
    Salesperson,
    Scan,
    SubCustomer,
    Violation,
    ViolationCarton,
)
from app.violations import penalties, sanctions
from app.violations import service as violations
from app.violations.schemas import ViolationDetail

PROOF_NAME = "channelguard-proof.json"
PROOF_FORMAT = "channelguard-dossier-proof/1"

STATUS_ZH = {
    "open": "待处理",
    "appealed": "申诉中",
    "confirmed": "已确认",
    "dismissed": "已驳回",
    "reversed": "已撤销",
}
KIND_ZH = {"diversion": "窜货", "cloned": "克隆码(仿冒)"}
VERDICT_ZH = {
    "in_region": "区域内",
    "in_transit": "在途(运货单覆盖)",
    "diversion": "窜货",
    "unknown": "未知码",
    "forged": "伪造",
    "cloned": "克隆码",
    "voided": "已作废",
    "unreadable": "无法识别",
}
CUSTODY_ZH = {"deliver": "公司交付", "ship": "出库", "receive": "入库"}
SIGNATURE_ZH = {"valid": "有效(签名与编码一致)", "forged": "无效(伪造)", "unknown_key": "未知密钥"}
# The notes the service itself writes, in the reader's language (people's notes stay as written).
SYSTEM_NOTE_ZH = {
    "opened by a diversion scan": "由窜货扫描自动立案",
    "opened by a cloned scan": "由克隆码扫描自动立案",
}
STEP_ZH = {
    "warning": "警告",
    "interview": "约谈",
    "deposit_deduction": "扣保证金",
    "rebate_cut": "扣减返利",
    "supply_stop": "断货",
}
CAUSE_ZH = {
    "violation_transfer": "窜货销量转移",
    "violation_fine": "罚款",
    "fine_from_deposit": "罚款(从保证金扣除)",
    "sanction_penalty": "处罚扣款",
    "sanction_from_deposit": "处罚(从保证金扣除)",
    "reversal": "冲销",
}
ACCOUNT_ZH = {
    "credited_sales": "计入销量",
    "fines": "罚款",
    "system": "公司",
    "rebates": "返利",
    "commissions": "提成",
    "deposit": "保证金",
}


# What the dossier shows --------------------------------------------------------------------


@dataclass(frozen=True)
class CartonFacts:
    serial: str
    gtin: str
    product_name: str
    region_name: str
    region_code: str
    signature: str
    element_string: str
    signature_check: str  # gs1.verify: valid, forged, unknown_key
    signature_matches: bool
    batch_id: int
    status: str


@dataclass(frozen=True)
class CustodyFacts:
    serial: str
    at: datetime
    kind: str
    from_name: str
    to_name: str
    outcome: str
    reason: str | None
    ref: str | None


@dataclass(frozen=True)
class ScanFacts:
    number: int
    serial: str | None
    at: datetime
    checkpoint_name: str | None
    region_name: str | None
    lat: float | None
    lon: float | None
    verdict: str
    findings: list[str]
    observed_price: str | None
    photo_sha256: str | None
    photo_path: Path | None
    device_id: str | None
    in_case: bool


@dataclass
class DossierData:
    violation: ViolationDetail
    region_name: str
    names: dict[str, str]  # party code -> name
    cartons: list[CartonFacts]
    custody: list[CustodyFacts]
    scans: list[ScanFacts]
    regions: list[tuple[str, str, dict[str, Any]]]  # code, name, GeoJSON boundary
    proof: dict[str, Any]
    generated_at: datetime
    generated_by: str
    tz: Any = None
    problems: list[str] = field(default_factory=list)


def _names(session: Session, model: type[Any], ids: Iterable[int | None]) -> dict[int, Any]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {r.id: r for r in session.scalars(select(model).where(model.id.in_(wanted)))}


def gather(
    session: Session, *, violation_id: int, principal: Principal, settings: Settings
) -> DossierData:
    """Everything the dossier shows, read with the caller's visibility: a violation the caller
    may not see is 404, as everywhere else."""
    detail = violations.get_violation(
        session, violation_id=violation_id, vis=visibility(session, principal), principal=principal
    )
    v = session.get(Violation, violation_id)
    assert v is not None  # get_violation answered 404 otherwise
    carton_rows = list(
        session.scalars(
            select(Carton)
            .join(ViolationCarton, ViolationCarton.carton_id == Carton.id)
            .where(ViolationCarton.violation_id == v.id)
            .order_by(Carton.serial)
        )
    )
    carton_ids = [c.id for c in carton_rows]
    products = _names(session, Product, [c.product_id for c in carton_rows])
    scans = list(
        session.scalars(
            select(Scan)
            .where(or_(Scan.violation_id == v.id, Scan.carton_id.in_(carton_ids or [-1])))
            .order_by(Scan.scanned_at, Scan.id)
        )
    )
    checkpoints = _names(session, Checkpoint, [s.checkpoint_id for s in scans])
    custody_rows = list(
        session.scalars(
            select(CustodyEvent)
            .where(CustodyEvent.carton_id.in_(carton_ids or [-1]))
            .order_by(CustodyEvent.at, CustodyEvent.id)
        )
    )
    dists = _names(
        session,
        Distributor,
        [v.diverting_distributor_id, v.invaded_distributor_id]
        + [e.from_id for e in custody_rows if e.from_type == "distributor"]
        + [e.to_id for e in custody_rows if e.to_type == "distributor"],
    )
    subs = _names(
        session,
        SubCustomer,
        [v.diverting_sub_customer_id]
        + [e.from_id for e in custody_rows if e.from_type == "sub_customer"]
        + [e.to_id for e in custody_rows if e.to_type == "sub_customer"],
    )
    sales = _names(session, Salesperson, [v.diverting_salesperson_id, v.invaded_salesperson_id])
    region_ids = (
        {v.region_id}
        | {c.region_id for c in carton_rows}
        | {s.region_id for s in scans if s.region_id is not None}
        | {cp.region_id for cp in checkpoints.values()}
    )
    regions = _names(session, Region, region_ids)

    def party(kind: str | None, pid: int | None) -> str:
        if kind is None or pid is None:
            return "公司(总部发货)"
        row = (dists if kind == "distributor" else subs).get(pid)
        return f"{row.name}({row.code})" if row is not None else str(pid)

    keys = settings.signing
    cartons = []
    for c in carton_rows:
        product = products[c.product_id]
        region = regions[c.region_id]
        code = gs1.CartonCode(product.gtin, c.serial, region.code, c.signature, "")
        cartons.append(
            CartonFacts(
                serial=c.serial,
                gtin=product.gtin,
                product_name=product.name,
                region_name=region.name,
                region_code=region.code,
                signature=c.signature,
                element_string=code.element_string,
                signature_check=gs1.verify(code, keys=keys),
                signature_matches=gs1.signature_matches(
                    product.gtin, c.serial, region.code, c.signature, keys=keys
                ),
                batch_id=c.batch_id,
                status=c.status.value,
            )
        )
    serial_of = {c.id: c.serial for c in carton_rows}
    custody = [
        CustodyFacts(
            serial=serial_of[e.carton_id],
            at=e.at,
            kind=e.kind.value,
            from_name=party(e.from_type, e.from_id),
            to_name=party(e.to_type, e.to_id),
            outcome=e.outcome,
            reason=e.reason,
            ref=e.ref,
        )
        for e in custody_rows
    ]
    photo_dir = Path(settings.photo_dir)
    stored = set(
        session.scalars(
            select(Photo.sha256).where(
                Photo.sha256.in_([s.photo_sha256 for s in scans if s.photo_sha256] or ["-"])
            )
        )
    )
    scan_facts = []
    for n, s in enumerate(scans, 1):
        cp = checkpoints.get(s.checkpoint_id or 0)
        path = None
        if s.photo_sha256 in stored:
            candidate = photo_dir / s.photo_sha256[:2] / s.photo_sha256
            path = candidate if candidate.is_file() else None
        lat, lon = s.lat, s.lon
        if (lat is None or lon is None) and cp is not None:
            lat, lon = cp.lat, cp.lon
        scan_facts.append(
            ScanFacts(
                number=n,
                serial=s.serial,
                at=s.scanned_at,
                checkpoint_name=cp.name if cp is not None else None,
                region_name=regions[s.region_id].name if s.region_id in regions else None,
                lat=lat,
                lon=lon,
                verdict=s.verdict,
                findings=list(s.findings or []),
                observed_price=None
                if s.observed_price_fen is None
                else f"{s.observed_price_fen / 100:.2f}",
                photo_sha256=s.photo_sha256,
                photo_path=path,
                device_id=s.device_id,
                in_case=s.violation_id == v.id,
            )
        )
    names = {d.code: d.name for d in dists.values()}
    names |= {p.code: p.name for p in subs.values()}
    names |= {p.code: p.name for p in sales.values()}
    drawn = [(r.code, r.name, r.boundary) for r in regions.values() if r.boundary]
    proof = proof_bundle(
        session,
        settings=settings,
        violation=v,
        cartons=carton_rows,
        with_money=principal.is_staff,
    )
    return DossierData(
        violation=detail,
        region_name=regions[v.region_id].name,
        names=names,
        cartons=cartons,
        custody=custody,
        scans=scan_facts,
        regions=sorted(drawn),
        proof=proof,
        generated_at=utcnow(),
        generated_by=principal.username,
        tz=settings.tz,
    )


# The audit proofs --------------------------------------------------------------------------


_OPENING_SLACK = timedelta(minutes=5)


def _case_entries(
    session: Session, *, violation: Violation, cartons: Sequence[Carton], with_money: bool
) -> list[AuditEntry]:
    """The audit entries about this case: the violation's own (opening, appeal, decisions), its
    cartons' (issue batch, voiding, packing) and, for HQ, its postings and sanctions."""
    vid = str(violation.id)
    serials = [c.serial for c in cartons]
    batches = sorted({str(c.batch_id) for c in cartons})
    # The opening entry names every violation its scan batch opened and is written in the same
    # transaction as the violation: looked for by time (indexed), not by a substring of its key.
    opened_near = (violation.created_at - _OPENING_SLACK, violation.created_at + _OPENING_SLACK)
    conds = [
        (AuditEntry.entity_type == "violation") & (AuditEntry.entity_key == vid),
        (AuditEntry.action == "violations.opened") & AuditEntry.at.between(*opened_near),
        AuditEntry.entity_type.in_(("carton", "item_code")) & AuditEntry.entity_key.in_(serials),
        (AuditEntry.entity_type == "code_batch") & AuditEntry.entity_key.in_(batches),
    ]
    if with_money:
        journal = list(
            session.scalars(
                select(JournalEntry.id).where(
                    or_(
                        *(
                            (JournalEntry.cause_type == t) & (JournalEntry.cause_key == k)
                            for t, k in penalties.causes(violation.id)
                        )
                    )
                )
            )
        )
        if journal:
            reversals = session.scalars(
                select(JournalEntry.id).where(
                    JournalEntry.cause_type == "reversal", JournalEntry.cause_key.in_(journal)
                )
            )
            conds.append(
                (AuditEntry.entity_type == "journal_entry")
                & AuditEntry.entity_key.in_([*journal, *reversals])
            )
        sanction_ids = [str(s.id) for s in sanctions.of_violation(session, violation.id)]
        if sanction_ids:
            conds.append(
                (AuditEntry.entity_type == "sanction") & AuditEntry.entity_key.in_(sanction_ids)
            )
    rows = session.scalars(select(AuditEntry).where(or_(*conds)).order_by(AuditEntry.seq))

    def about_this_case(e: AuditEntry) -> bool:
        if e.entity_type != "violation":
            return True
        # "violations.opened" names every violation a scan batch opened, comma-separated.
        if vid in e.entity_key.split(","):
            return True
        opened = e.data.get("violations") if isinstance(e.data, dict) else None
        return isinstance(opened, list) and any(
            isinstance(o, dict) and o.get("id") == violation.id for o in opened
        )

    return [e for e in rows if about_this_case(e)]


def proof_bundle(
    session: Session,
    *,
    settings: Settings,
    violation: Violation,
    cartons: Sequence[Carton],
    with_money: bool,
) -> dict[str, Any]:
    """The entries with their leaves and inclusion proofs against the latest signed checkpoint:
    what the PDF attaches and `verify_bundle` checks."""
    entries = _case_entries(session, violation=violation, cartons=cartons, with_money=with_money)
    cp = audit.latest_checkpoint(session)
    leaf_of = dict(
        session.execute(
            select(AuditLeaf.seq, AuditLeaf.idx).where(
                AuditLeaf.seq.in_([e.seq for e in entries] or [-1])
            )
        ).all()
    )
    size = cp.tree_size if cp is not None else 0
    leaves = (
        list(
            session.scalars(
                select(AuditLeaf.leaf_hash).where(AuditLeaf.idx < size).order_by(AuditLeaf.idx)
            )
        )
        if any(idx < size for idx in leaf_of.values())
        else []
    )
    proved, pending = [], []
    for e in entries:
        body = json.loads(audit.entry_body(e))
        idx = leaf_of.get(e.seq)
        if idx is None or idx >= size:
            # Not yet in a signed checkpoint (the sequencer signs within seconds).
            pending.append({"entry": body, "hash": e.hash})
            continue
        proved.append(
            {
                "entry": body,
                "hash": e.hash,
                "leaf_index": idx,
                "leaf_hash": leaves[idx].hex(),
                "audit_path": [h.hex() for h in merkle.inclusion_proof(idx, leaves)],
            }
        )
    return {
        "format": PROOF_FORMAT,
        "violation_id": violation.id,
        "generated_at": utcnow().isoformat(timespec="seconds"),
        "checkpoint": None
        if cp is None
        else {
            **cp.to_json(),
            "public_key": base64.b64encode(audit.public_key_bytes(settings)).decode(),
            "note": cp.note().decode(),
        },
        "entries": proved,
        "pending": pending,
    }


@dataclass(frozen=True)
class BundleReport:
    ok: bool
    checked: int
    problems: list[str]
    results: dict[int, bool]  # seq -> its proof verified


def _seq(item: Any) -> str:
    try:
        return str(item["entry"]["seq"])
    except (TypeError, KeyError):
        return "?"


def verify_bundle(bundle: Any, *, trusted_key: bytes | None = None) -> BundleReport:
    """Check every entry's leaf (recomputed from its content), its inclusion proof against the
    checkpoint's root, and the checkpoint's Ed25519 signature. `trusted_key` (raw Ed25519 public
    key) is the log's published key; without it the key in the bundle is used, and said so."""
    problems: list[str] = []
    results: dict[int, bool] = {}
    if not isinstance(bundle, dict) or bundle.get("format") != PROOF_FORMAT:
        return BundleReport(False, 0, [f"not a {PROOF_FORMAT} document"], {})
    cp_json = bundle.get("checkpoint")
    if not isinstance(cp_json, dict):
        return BundleReport(False, 0, ["no signed checkpoint in the dossier"], {})
    try:
        cp = audit.Checkpoint.from_json(cp_json)
        embedded_key = base64.b64decode(str(cp_json.get("public_key", "")), validate=True)
    except (ValueError, KeyError, TypeError) as exc:
        return BundleReport(False, 0, [f"the checkpoint cannot be read: {exc}"], {})
    key = trusted_key if trusted_key is not None else embedded_key
    if trusted_key is not None and embedded_key != trusted_key:
        problems.append("checkpoint: the public key in the dossier is not the log's key")
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(cp.signature, cp.note())
    except (InvalidSignature, ValueError):
        problems.append(
            f"checkpoint of size {cp.tree_size}: the Ed25519 signature does not verify "
            "(the checkpoint or its signature was changed)"
        )
    if hashlib.sha256(key).hexdigest()[:16] != cp.key_id:
        problems.append(f"checkpoint: key id {cp.key_id} does not name the key used")
    items = bundle.get("entries")
    if not isinstance(items, list):
        return BundleReport(False, 0, [*problems, "no entries in the dossier"], {})
    for item in items:
        try:
            entry = item["entry"]
            seq = int(entry["seq"])
            body = audit.canonical(entry).encode()
            idx = int(item["leaf_index"])
            leaf = bytes.fromhex(item["leaf_hash"])
            path = [bytes.fromhex(h) for h in item["audit_path"]]
        except (TypeError, KeyError, ValueError) as exc:
            problems.append(f"entry {_seq(item)}: cannot be read ({exc})")
            continue
        what = f"entry {seq} ({entry.get('action')} {entry.get('entity_type')} " + (
            f"{entry.get('entity_key')}, leaf {idx})"
        )
        ok = True
        if merkle.leaf_hash(body) != leaf:
            problems.append(f"{what}: its content does not match its leaf hash (edited)")
            ok = False
        elif hashlib.sha256(body).hexdigest() != item.get("hash"):
            problems.append(f"{what}: its content does not match its entry hash (edited)")
            ok = False
        if not merkle.verify_inclusion(idx, cp.tree_size, leaf, path, cp.root_hash):
            problems.append(
                f"{what}: the inclusion proof does not lead to the checkpoint's root "
                f"(size {cp.tree_size})"
            )
            ok = False
        results[seq] = ok
    return BundleReport(not problems, len(results), problems, results)


def read_bundle(pdf: bytes) -> dict[str, Any]:
    """The proof attached to a dossier PDF; ValueError if there is none or it is not JSON."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        attachments = PdfReader(io.BytesIO(pdf)).attachments
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a readable PDF: {exc}") from exc
    found = attachments.get(PROOF_NAME)
    if not found:
        raise ValueError(f"the PDF carries no {PROOF_NAME} attachment: not a dossier")
    if len(found) > 1:
        raise ValueError(f"the PDF carries {len(found)} {PROOF_NAME} attachments: one was added")
    try:
        data = json.loads(found[0])
    except ValueError as exc:
        raise ValueError(f"{PROOF_NAME} is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{PROOF_NAME} is not a JSON object")
    return data


def against_log(session: Session, bundle: dict[str, Any]) -> list[str]:
    """Where the database's log no longer matches the dossier: an entry edited or removed since
    the dossier was made, or the log rewritten below the dossier's checkpoint."""
    problems: list[str] = []
    for item in bundle.get("entries") or []:
        try:
            seq = int(item["entry"]["seq"])
            want = audit.canonical(item["entry"]).encode()
        except (TypeError, KeyError, ValueError):
            continue
        row = session.get(AuditEntry, seq)
        if row is None:
            problems.append(f"entry {seq}: no longer in the database's audit log (removed)")
        elif audit.entry_body(row) != want:
            problems.append(f"entry {seq}: changed in the database since the dossier was made")
    cp = bundle.get("checkpoint") or {}
    try:
        size, root = int(cp["tree_size"]), bytes.fromhex(cp["root_hash"])
    except (TypeError, KeyError, ValueError):
        return problems
    leaves = list(
        session.scalars(
            select(AuditLeaf.leaf_hash).where(AuditLeaf.idx < size).order_by(AuditLeaf.idx)
        )
    )
    if len(leaves) < size:
        problems.append(f"the database's log holds {len(leaves)} leaves, the dossier's {size}")
    elif merkle.root(leaves) != root:
        problems.append(f"the database's first {size} leaves no longer give the dossier's root")
    return problems


# The PDF -----------------------------------------------------------------------------------


def render(data: DossierData) -> bytes:
    """The PDF, with the proof attached as `channelguard-proof.json`."""
    pdf = draw(data)
    return attach(pdf, data.proof, title=f"窜货案件证据档案 第{data.violation.id}号")


def attach(pdf: bytes, bundle: dict[str, Any], *, title: str) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    names = writer.root_object.get("/Names")
    if names is not None:  # one proof a dossier: a re-attached proof replaces the old one
        names.get_object().pop(NameObject("/EmbeddedFiles"), None)
    payload = json.dumps(bundle, ensure_ascii=False, indent=1).encode()
    writer.add_attachment(PROOF_NAME, payload)
    writer.add_metadata({"/Title": title, "/Subject": PROOF_FORMAT, "/Creator": "ChannelGuard"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def build(
    session: Session, *, violation_id: int, principal: Principal, settings: Settings
) -> bytes:
    cjk_font()
    data = gather(session, violation_id=violation_id, principal=principal, settings=settings)
    return render(data)


_PAGE_MARGIN = 16.0  # mm
_MAP_W, _MAP_H = 170.0, 95.0  # mm


def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle

    font = cjk_font()
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=9.5),
        "mono": ParagraphStyle("mono", parent=base, fontSize=6.5, leading=8.5),
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, spaceAfter=4),
        "h2": ParagraphStyle(
            "h2", parent=base, fontSize=12.5, leading=17, spaceBefore=10, spaceAfter=4
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=11),
    }


def _esc(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _when(data: DossierData, at: datetime | None) -> str:
    if at is None:
        return "—"
    return at.astimezone(data.tz).strftime("%Y-%m-%d %H:%M:%S")


def _table(rows: list[list[Any]], widths: list[float], st: dict[str, Any], header: bool) -> Any:
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Table, TableStyle

    cells = [
        [c if not isinstance(c, str) else Paragraph(_esc(c), st["cell"]) for c in row]
        for row in rows
    ]
    t = Table(cells, colWidths=[w * mm for w in widths], repeatRows=1 if header else 0)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b8bec7")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), cjk_font()),  # a cell's default font, even unused
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf2")))
    else:
        style.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f1f3f6")))
    t.setStyle(TableStyle(style))
    return t


def _party(data: DossierData, code: str | None) -> str:
    if not code:
        return "—"
    name = data.names.get(code)
    return f"{name}({code})" if name else code


def _map(data: DossierData) -> Any:
    """The regions' boundaries and the numbered scan points, projected on the spot (longitude
    scaled by the cosine of the mean latitude): no tile server, nothing fetched."""
    import math

    from reportlab.graphics.shapes import Circle, Drawing, Group, Polygon, Rect, String
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from shapely.geometry import shape

    shapes = []
    for code, name, boundary in data.regions:
        try:
            geom = shape(boundary)
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
        if not geom.is_empty:
            shapes.append((code, name, geom.simplify(0.005, preserve_topology=True)))
    points = [s for s in data.scans if s.lat is not None and s.lon is not None]
    if not shapes and not points:
        return None
    xs: list[float] = [p.lon for p in points if p.lon is not None]
    ys: list[float] = [p.lat for p in points if p.lat is not None]
    for _, _, g in shapes:
        x0, y0, x1, y1 = g.bounds
        xs += [x0, x1]
        ys += [y0, y1]
    lon0, lon1, lat0, lat1 = min(xs), max(xs), min(ys), max(ys)
    kx = math.cos(math.radians((lat0 + lat1) / 2))
    w, h = _MAP_W * mm, _MAP_H * mm
    pad = 6 * mm
    span_x, span_y = max((lon1 - lon0) * kx, 1e-3), max(lat1 - lat0, 1e-3)
    scale = min((w - 2 * pad) / span_x, (h - 2 * pad) / span_y)
    ox = (w - span_x * scale) / 2
    oy = (h - span_y * scale) / 2

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return ox + (lon - lon0) * kx * scale, oy + (lat - lat0) * scale

    d = Drawing(w, h)
    d.initialFontName = cjk_font()  # else the renderer's default, Helvetica, is referenced
    d.add(Rect(0, 0, w, h, fillColor=colors.HexColor("#f7f9fb"), strokeColor=colors.grey))
    fills = ["#dbe8f5", "#f5e6d3", "#dff0e0", "#efe0f3", "#f3f0d6", "#e0eef0"]
    case_region = data.violation.region_code
    labels = []
    for i, (code, name, g) in enumerate(shapes):
        polys = list(getattr(g, "geoms", [g]))
        fill = colors.HexColor("#f8d4d0" if code == case_region else fills[i % len(fills)])
        group = Group()
        for poly in polys:
            ring = getattr(poly, "exterior", None)
            if ring is None:
                continue
            pts: list[float] = []
            for lon, lat in ring.coords:
                pts += xy(lon, lat)
            group.add(
                Polygon(
                    pts, fillColor=fill, strokeColor=colors.HexColor("#6b7785"), strokeWidth=0.6
                )
            )
        d.add(group)
        c = g.representative_point()
        labels.append((xy(c.x, c.y), name))
    for (x, y), name in labels:
        d.add(
            String(
                x,
                y,
                name,
                fontName=cjk_font(),
                fontSize=8,
                textAnchor="middle",
                fillColor=colors.HexColor("#37414d"),
            )
        )
    for s in points:
        assert s.lon is not None
        assert s.lat is not None
        x, y = xy(s.lon, s.lat)
        red = s.verdict == "diversion"
        d.add(
            Circle(
                x,
                y,
                3.2,
                fillColor=colors.HexColor("#c62828" if red else "#1565c0"),
                strokeColor=colors.white,
                strokeWidth=0.8,
            )
        )
        d.add(
            String(
                x + 4.5,
                y + 2.5,
                str(s.number),
                fontName=cjk_font(),
                fontSize=8,
                fillColor=colors.HexColor("#c62828" if red else "#1565c0"),
            )
        )
    return d


def _photo(path: Path, max_w: float, max_h: float) -> Any:
    from PIL import Image as PILImage
    from reportlab.lib.units import mm
    from reportlab.platypus import Image

    try:
        with PILImage.open(path) as im:
            im.load()
            rgb = im.convert("RGB")
    except (OSError, ValueError):
        return None
    rgb.thumbnail((1400, 1400))  # scaled: the PDF carries a readable copy, not the original
    buf = io.BytesIO()
    rgb.save(buf, format="JPEG", quality=82)
    buf.seek(0)
    ratio = min(max_w * mm / rgb.width, max_h * mm / rgb.height)
    return Image(buf, width=rgb.width * ratio, height=rgb.height * ratio)


def draw(data: DossierData) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer

    st = _styles()
    v = data.violation
    out = io.BytesIO()
    title = f"窜货案件证据档案 第{v.id}号"
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=_PAGE_MARGIN * mm,
        rightMargin=_PAGE_MARGIN * mm,
        topMargin=_PAGE_MARGIN * mm,
        bottomMargin=_PAGE_MARGIN * mm,
        title=title,
        author="ChannelGuard",
        # Every font embedded: without this the canvas also references (unembedded) Helvetica.
        initialFontName=cjk_font(),
    )
    P = Paragraph
    story: list[Any] = [
        P(_esc(title), st["title"]),
        P(
            f"本档案由 ChannelGuard 于 {_when(data, data.generated_at)}({data.tz})为"
            f"用户 {_esc(data.generated_by)} 生成。所有时间均为该时区的当地时间。"
            f"文末附审计链证明及验证方法;证明数据以附件 {PROOF_NAME} 嵌入本 PDF。",
            st["small"],
        ),
        P("一、案件概要", st["h2"]),
    ]
    summary = [
        ["案件类型", KIND_ZH.get(v.kind.value, v.kind.value)],
        ["当前状态", STATUS_ZH.get(v.status.value, v.status.value)],
        ["发现时间", _when(data, v.detected_at)],
        ["被窜入地区", f"{data.region_name}"],
        ["窜货方经销商", _party(data, v.diverting_distributor_code)],
        ["窜货方业务员", _party(data, v.diverting_salesperson_code)],
        ["窜货方下级客户", _party(data, v.diverting_sub_customer_code)],
        ["被窜入方经销商", _party(data, v.invaded_distributor_code)],
        ["被窜入方业务员", _party(data, v.invaded_salesperson_code)],
        ["箱数 / 货值", f"{v.cartons} 箱 / ¥{v.value}"],
        ["申诉截止", _when(data, v.appeal_deadline)],
        ["政策版本", v.policy_version + ("(仅记录,不处罚)" if v.advisory else "")],
    ]
    if v.fine is not None and v.status.value in ("open", "appealed"):
        summary.append(["罚款", "尚未决定(确认时按政策计算)"])
    elif v.fine is not None:
        summary.append(["罚款", f"¥{v.fine}" + (f"({v.fine_reason})" if v.fine_reason else "")])
    report = verify_bundle(data.proof) if data.proof.get("checkpoint") else None
    proved = len(data.proof["entries"])
    if report is None:
        summary.append(["审计证明", "审计日志尚无签名检查点,暂无证明(见第七节)"])
    elif report.ok:
        summary.append(["审计证明", f"{proved} 条审计记录,包含证明与检查点签名全部通过(见第七节)"])
    else:
        summary.append(["审计证明", f"未通过:{len(report.problems)} 处不符(见第七节)"])
    story.append(_table(summary, [38, 140], st, header=False))

    story.append(P("二、箱码与防伪签名校验", st["h2"]))
    story.append(
        P(
            "每个箱码由 GS1 应用标识符组成:(01) 商品条码 GTIN-14、(21) 随机序列号、(91) 销售地区、"
            "(92) 以公司密钥计算的签名。签名由本系统用当前密钥重新计算并比对。",
            st["small"],
        )
    )
    for c in data.cartons:
        story.append(Spacer(1, 2 * mm))
        story.append(
            _table(
                [
                    ["产品", c.product_name],
                    ["商品条码 GTIN", c.gtin],
                    ["序列号", c.serial],
                    ["编码地区", f"{c.region_name}(地区代码 {c.region_code})"],
                    ["签名 (92)", c.signature],
                    [
                        "签名校验",
                        SIGNATURE_ZH.get(c.signature_check, c.signature_check)
                        + ("" if c.signature_matches else ";签名与编码不符"),
                    ],
                    ["完整码(元素串)", c.element_string],
                    [
                        "编码批次",
                        f"第 {c.batch_id} 批" + ("(已作废)" if c.status == "voided" else ""),
                    ],
                ],
                [38, 140],
                st,
                header=False,
            )
        )

    story.append(P("三、流转记录(交接链)", st["h2"]))
    if data.custody:
        rows: list[list[Any]] = [["时间", "环节", "交出方", "接收方", "结果", "单号"]]
        for e in data.custody:
            outcome = {"accepted": "接受", "warning": "预警", "refused": "拒绝"}.get(
                e.outcome, e.outcome
            )
            rows.append(
                [
                    _when(data, e.at),
                    CUSTODY_ZH.get(e.kind, e.kind),
                    e.from_name,
                    e.to_name,
                    outcome + (f"({e.reason})" if e.reason else ""),
                    (e.ref or "—")[:40],
                ]
            )
        story.append(_table(rows, [30, 16, 40, 40, 22, 30], st, header=True))
    else:
        story.append(P("该箱尚无交接记录。", st["base"]))

    story.append(P("四、扫描记录", st["h2"]))
    rows = [["#", "时间", "地点", "坐标", "结论", "其他"]]
    for s in data.scans:
        place = " / ".join(x for x in (s.region_name, s.checkpoint_name) if x) or "—"
        coords = "—" if s.lat is None or s.lon is None else f"{s.lat:.4f}, {s.lon:.4f}"
        other = []
        if s.observed_price is not None:
            other.append(f"观察价 ¥{s.observed_price}")
        if "price_violation" in s.findings:
            other.append("低于限价")
        if s.photo_sha256:
            other.append("有照片")
        if s.in_case:
            other.append("本案证据")
        rows.append(
            [
                str(s.number),
                _when(data, s.at),
                place,
                coords,
                VERDICT_ZH.get(s.verdict, s.verdict),
                ";".join(other) or "—",
            ]
        )
    story.append(_table(rows, [8, 30, 62, 28, 24, 26], st, header=True))
    drawing = _map(data)
    if drawing is not None:
        story.append(Spacer(1, 3 * mm))
        story.append(
            KeepTogether(
                [
                    drawing,
                    P(
                        "地图:各地区边界取自系统登记的地区边界(GeoJSON);红色为被窜入地区;"
                        "圆点为扫描位置(编号同上表,红色为窜货结论)。",
                        st["small"],
                    ),
                ]
            )
        )

    photos = [s for s in data.scans if s.photo_sha256]
    if photos:
        story.append(P("五、现场照片", st["h2"]))
        for s in photos:
            caption = P(
                f"扫描 #{s.number},{_when(data, s.at)},"
                f"{_esc(s.checkpoint_name or s.region_name or '')};照片 SHA-256:{s.photo_sha256}",
                st["small"],
            )
            img = _photo(s.photo_path, 150, 90) if s.photo_path is not None else None
            if img is None:
                story.append(KeepTogether([P("(照片文件缺失)", st["base"]), caption]))
            else:
                story.append(KeepTogether([img, caption, Spacer(1, 3 * mm)]))

    story.append(P("六、处理经过与决定", st["h2"]))
    rows = [["时间", "状态变化", "操作人", "说明 / 理由", "补充证据"]]
    for ev in v.events:
        before = STATUS_ZH.get(ev.from_status or "", ev.from_status or "")
        after = STATUS_ZH.get(ev.to_status, ev.to_status)
        rows.append(
            [
                _when(data, ev.at),
                f"{before} → {after}" if before else after,
                ev.actor,
                SYSTEM_NOTE_ZH.get(ev.note or "", ev.note or "—"),
                ev.evidence or "—",
            ]
        )
    story.append(_table(rows, [30, 28, 26, 60, 34], st, header=True))
    if v.sanctions:
        story.append(Spacer(1, 2 * mm))
        rows = [["决定时间", "处罚阶梯", "第几次", "理由", "状态"]]
        for sn in v.sanctions:
            rows.append(
                [
                    _when(data, sn.decided_at),
                    STEP_ZH.get(sn.step.value, sn.step.value),
                    str(sn.offence_number),
                    sn.reason,
                    "生效" if sn.in_force else "已撤回或解除",
                ]
            )
        story.append(_table(rows, [30, 26, 16, 80, 26], st, header=True))
    if v.postings:
        story.append(Spacer(1, 2 * mm))
        rows = [["记账时间", "原因", "当事方", "科目", "金额"]]
        for p in v.postings:
            for line in p.lines:
                rows.append(
                    [
                        _when(data, p.posted_at),
                        CAUSE_ZH.get(p.cause_type, p.cause_type),
                        "公司"
                        if line.party_type.value == "system"
                        else _party(data, line.party_code),
                        ACCOUNT_ZH.get(line.kind.value, line.kind.value),
                        str(line.amount),
                    ]
                )
        story.append(_table(rows, [30, 38, 50, 32, 28], st, header=True))

    story.append(P("七、审计链记录(防篡改证明)", st["h2"]))
    cp = data.proof.get("checkpoint")
    if cp is None:
        story.append(P("审计日志尚无签名检查点:本档案暂无法附带证明,请稍后重新生成。", st["base"]))
    else:
        story.append(
            P(
                "系统的每一次状态变化都写入只可追加的审计日志;日志按 RFC 9162(证书透明度)组织为"
                "默克尔树,并定期以 Ed25519 签名其树根(签名检查点)。下列每条记录附有叶序号、叶哈希"
                "和到该检查点树根的包含证明:任何一条记录在写入后被修改,其证明即不成立。",
                st["small"],
            )
        )
        story.append(Spacer(1, 2 * mm))
        story.append(
            _table(
                [
                    ["检查点时间", _when(data, datetime.fromisoformat(cp["at"]))],
                    ["树大小(条)", str(cp["tree_size"])],
                    ["树根哈希", cp["root_hash"]],
                    ["签名密钥 ID", cp["key_id"]],
                    ["Ed25519 公钥", cp["public_key"]],
                    ["签名", cp["signature"]],
                    [
                        "本机校验",
                        "全部通过"
                        if report is not None and report.ok
                        else "未通过:" + ";".join(report.problems if report else []),
                    ],
                ],
                [38, 140],
                st,
                header=False,
            )
        )
        results = report.results if report is not None else {}
        for item in data.proof["entries"]:
            e = item["entry"]
            passed = results.get(int(e["seq"]))
            path = "<br/>".join(item["audit_path"]) or "(空:树中唯一的叶)"
            story.append(Spacer(1, 2 * mm))
            story.append(
                KeepTogether(
                    _table(
                        [
                            [
                                "记录",
                                f"第 {e['seq']} 条 · {e['action']} · {e['entity_type']} "
                                f"{e['entity_key']}",
                            ],
                            [
                                "时间 / 操作人",
                                f"{_when(data, datetime.fromisoformat(e['at']))} · {e['actor']}",
                            ],
                            ["内容", audit.canonical(e["data"])],
                            ["叶序号", str(item["leaf_index"])],
                            ["叶哈希", item["leaf_hash"]],
                            ["包含证明", P(path, st["mono"])],
                            ["校验", "通过" if passed else "未通过"],
                        ],
                        [38, 140],
                        st,
                        header=False,
                    )
                )
            )
        for item in data.proof["pending"]:
            e = item["entry"]
            story.append(
                P(
                    f"第 {e['seq']} 条({_esc(e['action'])})尚未进入已签名的检查点"
                    "(排序器每秒签名一次),请稍后重新生成以附上其证明。",
                    st["small"],
                )
            )

    story.append(P("八、如何验证", st["h2"]))
    steps = [
        f"1. 本 PDF 内嵌附件 {PROOF_NAME},含上述每条记录的完整内容、叶哈希、包含证明和签名检查点。"
        "可用任意 PDF 阅读器的“附件”面板或 poppler 的 pdfdetach 取出:",
        f"pdfdetach -savefile {PROOF_NAME} dossier-{v.id}.pdf",
        "2. 用 ChannelGuard 命令行一次性验证(检查每条记录的叶哈希、每个包含证明和检查点的 "
        "Ed25519 签名;在能连接本系统数据库的机器上,还会比对数据库中的记录是否在档案生成后被改动):",
        f"channelguard audit verify-dossier dossier-{v.id}.pdf",
        "3. 以总部公布的公钥或另行保存的检查点为准(不依赖 PDF 自带的公钥):",
        f"channelguard audit verify-dossier dossier-{v.id}.pdf --public-key 公钥 "
        "--checkpoint latest.checkpoint",
        "4. 手工验证:叶哈希 = SHA-256(0x00 ‖ 记录内容的规范 JSON:键排序、无空格、UTF-8);"
        "按 RFC 9162 第 2.1.3.2 节用包含证明从叶哈希算到树根,应等于检查点的树根;"
        "检查点签名是对文本“origin\\n树大小\\nbase64(树根)\\n时间\\n”的 Ed25519 签名。",
    ]
    for step in steps:
        style = st["mono"] if step.startswith(("pdfdetach", "channelguard")) else st["base"]
        story.append(P(_esc(step), style))

    def footer(canvas: Any, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(cjk_font(), 7)
        canvas.setFillGray(0.4)
        canvas.drawString(_PAGE_MARGIN * mm, 8 * mm, f"{title} · 第 {canvas.getPageNumber()} 页")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
