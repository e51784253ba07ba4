"""The audit proofs a dossier carries: each entry about the case with its Merkle inclusion proof
against the latest signed checkpoint, attached to the PDF as JSON, and their verification."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.audit import merkle
from app.audit import service as audit
from app.config import Settings
from app.db import utcnow
from app.models import (
    AuditEntry,
    AuditLeaf,
    Carton,
    JournalEntry,
    Violation,
)
from app.violations import penalties, sanctions
from app.violations.dossier.labels import PROOF_FORMAT, PROOF_NAME

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
