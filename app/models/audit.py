from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class AuditEntry(Base):
    """One state change, appended by the writer in its own transaction without waiting for any
    other writer: `seq` comes from a sequence and `hash` covers the entry's own content (seq
    included). A sequencer later integrates it into the log's Merkle tree (`AuditLeaf`). The
    database refuses UPDATE and DELETE."""

    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(80))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_key: Mapped[str] = mapped_column(String(80), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditLeaf(Base):
    """An entry's place in the Merkle tree (RFC 9162): leaf `idx` is entry `seq`, with hash
    SHA-256(0x00 || the entry's canonical bytes). Written only by the sequencer; append-only."""

    __tablename__ = "audit_leaf"

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditCheckpoint(Base):
    """A signed head of the log: its size, root hash and time, signed with Ed25519 by the
    sequencer. Append-only; a copy may also be kept outside the database."""

    __tablename__ = "audit_checkpoint"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    at: Mapped[datetime]
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))


class AuditLogState(Base):
    """One row: who sequences the log until when (a lease another sequencer takes over once it
    expires), and the tree's frontier so that a batch appends without reading old leaves."""

    __tablename__ = "audit_log_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holder: Mapped[str] = mapped_column(String(80))
    lease_until: Mapped[datetime]
    tree_size: Mapped[int] = mapped_column(BigInteger)
    frontier: Mapped[list[Any]] = mapped_column(JSON)
