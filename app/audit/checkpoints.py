"""The log's signed checkpoints: the Ed25519 key, signing and checking a tree head, and the copy
kept outside the database."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings, log_seed
from app.models import AuditCheckpoint

ORIGIN = "channelguard audit log"
# Any constant works: it only has to be the same for every sequencer of one database.
SEQUENCER_LOCK = 0x43474153


@dataclass(frozen=True)
class Checkpoint:
    tree_size: int
    root_hash: bytes
    at: datetime
    key_id: str
    signature: bytes

    def note(self) -> bytes:
        """The signed text (a C2SP-style note body)."""
        at = self.at.isoformat(timespec="microseconds")
        root = base64.b64encode(self.root_hash).decode()
        return f"{ORIGIN}\n{self.tree_size}\n{root}\n{at}\n".encode()

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": ORIGIN,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "at": self.at.isoformat(timespec="microseconds"),
            "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode(),
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Checkpoint:
        return cls(
            tree_size=int(obj["tree_size"]),
            root_hash=bytes.fromhex(obj["root_hash"]),
            at=datetime.fromisoformat(obj["at"]),
            key_id=str(obj["key_id"]),
            signature=base64.b64decode(obj["signature"]),
        )


def _private_key(settings: Settings) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(log_seed(settings.log_signing_key))


def public_key(settings: Settings) -> Ed25519PublicKey:
    return _private_key(settings).public_key()


def public_key_bytes(settings: Settings) -> bytes:
    return public_key(settings).public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(settings: Settings) -> str:
    return hashlib.sha256(public_key_bytes(settings)).hexdigest()[:16]


def sign(settings: Settings, tree_size: int, root_hash: bytes, at: datetime) -> Checkpoint:
    unsigned = Checkpoint(tree_size, root_hash, at, key_id(settings), b"")
    return Checkpoint(
        tree_size, root_hash, at, unsigned.key_id, _private_key(settings).sign(unsigned.note())
    )


def signature_ok(settings: Settings, cp: Checkpoint) -> bool:
    try:
        public_key(settings).verify(cp.signature, cp.note())
    except InvalidSignature:
        return False
    return True


def checkpoint_of(row: AuditCheckpoint) -> Checkpoint:
    return Checkpoint(row.tree_size, row.root_hash, row.at, row.key_id, row.signature)


def latest_checkpoint(session: Session) -> Checkpoint | None:
    row = session.scalars(
        select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(1)
    ).first()
    return checkpoint_of(row) if row else None


def write_checkpoint_file(settings: Settings, cp: Checkpoint) -> None:
    """Publish the checkpoint outside the database (atomically replaced)."""
    if not settings.checkpoint_dir:
        return
    folder = Path(settings.checkpoint_dir)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".checkpoint-")
    with os.fdopen(fd, "w") as f:
        json.dump(cp.to_json(), f)
    os.replace(tmp, folder / "latest.checkpoint")


def read_checkpoint_file(path: Path) -> Checkpoint:
    try:
        return Checkpoint.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not a checkpoint: {exc}") from exc


def merge_delay(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.log_merge_delay)
