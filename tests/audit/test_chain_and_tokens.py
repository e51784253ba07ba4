"""Tokens are stored only as hashes and can be revoked; the audit chain shows tampering."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.audit.sequencer import integrate_all
from app.auth import service as auth
from app.config import get_settings
from app.db import get_sessionmaker
from app.errors import Conflict, NotFound, Unauthorized, Unprocessable
from app.models import ApiToken, AuditEntry, Role


def test_token_is_random_shown_once_and_stored_as_hash(session: Session) -> None:
    _user, token = auth.create_user(session, username="ops", role=Role.admin, actor="t")
    _, token2 = auth.create_user(session, username="ops2", role=Role.admin, actor="t")
    assert token != token2 and len(token) > 40
    stored = session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    assert auth.authenticate(session, token).username == "ops"


def test_revoked_user_is_refused(session: Session) -> None:
    _, token = auth.create_user(session, username="ops", role=Role.inspector, actor="t")
    assert auth.revoke_user(session, username="ops", actor="t") == 1
    with pytest.raises(Unauthorized):
        auth.authenticate(session, token)


def test_party_bound_roles_need_their_party(session: Session) -> None:
    with pytest.raises(Unprocessable):
        auth.create_user(session, username="d", role=Role.distributor, actor="t")
    with pytest.raises(NotFound):
        auth.create_user(
            session, username="d", role=Role.distributor, distributor_code="NOPE", actor="t"
        )
    with pytest.raises(Unprocessable):
        auth.create_user(session, username="a", role=Role.admin, salesperson_code="SP1", actor="t")
    auth.create_user(session, username="a", role=Role.admin, actor="t")
    with pytest.raises(Conflict):
        auth.create_user(session, username="a", role=Role.admin, actor="t")


def _chain(n: int) -> None:
    with get_sessionmaker()() as s, s.begin():
        for i in range(n):
            audit.record(
                s,
                actor="t",
                action="thing.done",
                entity_type="thing",
                entity_key=str(i),
                data={"i": i, "note": "值"},
            )
    # Entries are protected against removal once the sequencer has integrated them.
    integrate_all(get_settings(), "test")


def _tamper(sql: str) -> None:
    """Tamper the way an attacker with database access would: switch the guard off first."""
    with get_sessionmaker()() as s, s.begin():
        dialect = s.get_bind().dialect.name
        if dialect == "sqlite":
            s.execute(text("DROP TRIGGER trg_audit_entry_no_update"))
            s.execute(text("DROP TRIGGER trg_audit_entry_no_delete"))
        else:
            s.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
        s.execute(text(sql))


def _verify() -> audit.ChainReport:
    with get_sessionmaker()() as s, s.begin():
        return audit.verify(s)


def test_intact_chain_verifies(db_url: str) -> None:
    _chain(5)
    assert _verify() == audit.ChainReport(ok=True, entries=5)


def test_database_refuses_update_and_delete_of_audit_rows(db_url: str) -> None:
    _chain(2)
    for sql in (
        "UPDATE audit_entry SET actor = 'x' WHERE seq = 1",
        "DELETE FROM audit_entry WHERE seq = 2",
    ):
        with pytest.raises(DBAPIError, match="append-only"), get_sessionmaker()() as s, s.begin():
            s.execute(text(sql))
    assert _verify().ok


def test_a_changed_byte_is_found(db_url: str) -> None:
    _chain(6)
    _tamper("UPDATE audit_entry SET entity_key = '9' WHERE seq = 4")
    report = _verify()
    assert (report.ok, report.first_bad_entry) == (False, 4)
    assert "edited" in (report.reason or "")


def test_a_deleted_entry_is_found(db_url: str) -> None:
    _chain(6)
    _tamper("DELETE FROM audit_entry WHERE seq = 3")
    assert (_verify().ok, _verify().first_bad_entry) == (False, 3)


def test_two_swapped_entries_are_found(db_url: str) -> None:
    _chain(6)
    _tamper("UPDATE audit_entry SET seq = CASE seq WHEN 2 THEN 1002 WHEN 5 THEN 1005 ELSE seq END")
    _tamper_again = (
        "UPDATE audit_entry SET seq = CASE seq WHEN 1002 THEN 5 WHEN 1005 THEN 2 ELSE seq END"
    )
    with get_sessionmaker()() as s, s.begin():
        s.execute(text(_tamper_again))
    report = _verify()
    assert (report.ok, report.first_bad_entry) == (False, 2)


def test_master_data_changes_are_audited(session: Session) -> None:
    from app.regions import service as regions
    from app.regions.schemas import RegionIn

    regions.create_region(
        session, data=RegionIn(code="R1", name="一区", kind="guerrilla"), actor="alice"
    )  # type: ignore[arg-type]
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry is not None
    assert (entry.actor, entry.action, entry.entity_key) == ("alice", "region.created", "R1")
    assert entry.data["name"] == "一区"


def test_production_refuses_the_development_signing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from app.config import Settings

    monkeypatch.setenv("CG_ENV", "production")
    monkeypatch.setenv("CG_WEBHOOK_SECRET", "w" * 32)
    monkeypatch.setenv("CG_LOG_SIGNING_KEY", "bG9nLXNpZ25pbmcta2V5LWZvci10ZXN0cy0wMTIzNDU=")
    monkeypatch.delenv("CG_SIGNING_KEYS", raising=False)
    with pytest.raises(ValidationError, match="CG_SIGNING_KEYS"):
        Settings()
    # 32 bytes: production's minimum.
    monkeypatch.setenv("CG_SIGNING_KEYS", "P1:cHJvZHVjdGlvbi1zZWNyZXQta2V5LTAxLTIzNDU2Nzg=")
    assert Settings().keys[1] == "P1"
    monkeypatch.setenv("CG_SIGNING_KEYS", "P1:short")
    with pytest.raises(ValidationError, match=r"at least 16 bytes|base64"):
        Settings()
