"""`channelguard audit …`: the tamper-evident audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from app.cli.common import console, settings_or_exit, transaction

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command("verify")
def audit_verify(
    checkpoint: Path | None = typer.Option(
        None,
        "--checkpoint",
        help="A signed checkpoint kept outside the database (e.g. CG_CHECKPOINT_DIR's "
        "latest.checkpoint): also catches a rewrite of the whole database after it was saved.",
    ),
) -> None:
    """Check every audit entry, the Merkle tree and its signed checkpoints; exits 1 and names
    the first bad entry if the log was tampered with."""
    from app.audit import service as audit

    settings = settings_or_exit()
    outside = None
    if checkpoint is not None:
        try:
            outside = audit.read_checkpoint_file(checkpoint)
        except ValueError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
    with transaction(existing=True) as session:
        report = audit.verify(session, settings, outside=outside)
    if report.ok:
        console.print(f"audit chain intact: {report.entries} entries")
        return
    console.print(
        f"[red]audit chain broken at entry {report.first_bad_entry}:[/red] {report.reason}"
    )
    raise typer.Exit(1)


@app.command("integrate")
def audit_integrate() -> None:
    """Integrate committed entries into the log and sign a checkpoint (for cron; `serve` does
    this every second on its own)."""
    from app.audit import service as audit
    from app.audit.sequencer import holder_name, integrate_all

    settings = settings_or_exit()
    with transaction(existing=True):
        pass  # migrate and refuse a missing database, as every command does
    holder = holder_name()
    total, last = integrate_all(settings, holder)
    with transaction(existing=True) as session:
        audit.release(session, holder=holder)
    if last is None and total == 0:
        console.print("another sequencer holds the log; nothing done")
        return
    console.print(f"integrated {total} entries")


@app.command("verify-dossier")
def audit_verify_dossier(
    file: Path = typer.Argument(..., help="A dossier PDF (`channelguard violations dossier`)."),
    checkpoint: Path | None = typer.Option(
        None,
        "--checkpoint",
        help="A signed checkpoint kept outside (CG_CHECKPOINT_DIR's latest.checkpoint or "
        "GET /api/v1/audit-log/checkpoint saved as JSON): the dossier's must agree with it.",
    ),
    public_key: str | None = typer.Option(
        None,
        "--public-key",
        help="The log's Ed25519 public key (base64, as GET /api/v1/audit-log/checkpoint "
        "publishes it); default: this installation's key, or else the one in the dossier.",
    ),
) -> None:
    """Check the audit proofs inside a dossier: each entry's leaf, its inclusion proof and the
    checkpoint's signature; where this installation's database is at hand, also that the log
    still holds every entry unchanged. Prints OK, or each failure naming the entry; exits 1."""
    import base64
    import binascii

    from app.audit import service as audit
    from app.db import sqlite_file
    from app.violations import dossier

    settings = settings_or_exit()
    try:
        bundle = dossier.read_bundle(file.read_bytes())
        key = base64.b64decode(public_key, validate=True) if public_key else None
        outside = audit.read_checkpoint_file(checkpoint) if checkpoint else None
    except (OSError, ValueError, binascii.Error) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    path = sqlite_file(settings.database_url)
    have_db = path is None or path.exists()
    if key is None and have_db:
        key = audit.public_key_bytes(settings)
    if key is None:
        console.print("no --public-key and no database here: using the key inside the dossier")
    report = dossier.verify_bundle(bundle, trusted_key=key)
    problems = list(report.problems)
    cp_json = bundle.get("checkpoint") or {}
    db_problems: list[str] = []
    if have_db:
        with transaction(existing=True) as session:
            db_problems = dossier.against_log(session, bundle)
            if outside is not None:
                problems += _against_outside(session, cp_json, outside, key)
    elif outside is not None:
        problems += _against_outside(None, cp_json, outside, key)
    problems += db_problems
    for item in bundle.get("pending") or []:
        seq = (item.get("entry") or {}).get("seq") if isinstance(item, dict) else None
        console.print(f"note: entry {seq} was not yet in a signed checkpoint: no proof for it")
    if not problems:
        console.print(
            f"OK: {report.checked} audit entries proved against the checkpoint of size "
            f"{cp_json.get('tree_size')} (root {cp_json.get('root_hash')}), signed by key "
            f"{cp_json.get('key_id')}" + ("; the database's log agrees" if have_db else "")
        )
        return
    for problem in problems:
        console.print(f"[red]FAIL[/red] {problem}", highlight=False)
    raise typer.Exit(1)


def _against_outside(
    session: Any, cp_json: dict[str, Any], outside: Any, key: bytes | None
) -> list[str]:
    """The dossier's checkpoint against one kept outside: the same root at the same size, or a
    consistency proof from the database's log between the two sizes."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from sqlalchemy import select

    from app.audit import merkle
    from app.models import AuditLeaf

    try:
        size, root = int(cp_json["tree_size"]), bytes.fromhex(cp_json["root_hash"])
    except (KeyError, TypeError, ValueError):
        return ["the dossier has no readable checkpoint to compare"]
    if key is not None:
        try:
            Ed25519PublicKey.from_public_bytes(key).verify(outside.signature, outside.note())
        except (InvalidSignature, ValueError):
            return ["the checkpoint kept outside is not signed by the log's key"]
    if outside.tree_size == size:
        return (
            []
            if outside.root_hash == root
            else [
                f"the checkpoint kept outside has another root at size {size}: the log was forked"
            ]
        )
    if session is None:
        return [
            f"the checkpoint kept outside has size {outside.tree_size}, the dossier's {size}: "
            "comparing them needs the log's database"
        ]
    small, big = sorted((size, outside.tree_size))
    leaves = list(
        session.scalars(
            select(AuditLeaf.leaf_hash).where(AuditLeaf.idx < big).order_by(AuditLeaf.idx)
        )
    )
    if len(leaves) < big:
        return [f"the database's log holds {len(leaves)} leaves, fewer than {big}"]
    roots = {size: root, outside.tree_size: outside.root_hash}
    proof = merkle.consistency_proof(small, leaves)
    if not merkle.verify_consistency(small, big, roots[small], roots[big], proof):
        return [
            f"the dossier's checkpoint (size {size}) and the one kept outside "
            f"(size {outside.tree_size}) are not the same log"
        ]
    return []
