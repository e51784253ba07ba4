"""The audit log without a global writer lock: concurrent writers never fork it, a sequencer
integrates every entry into a signed Merkle tree (RFC 9162), a dead sequencer is taken over, and
every tampering in the matrix is found and located, even a rewrite of the whole database after a
checkpoint was kept outside."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.audit import merkle
from app.audit import service as audit
from app.audit.sequencer import integrate_all, integrate_once
from app.config import get_settings
from app.db import get_sessionmaker, utcnow
from app.models import AuditEntry, AuditLeaf
from tests.audit.tampering import GUARDED, switch_guards_off
from tests.conftest import Api


def _write(n: int, *, tag: str = "t") -> None:
    with get_sessionmaker()() as s, s.begin():
        for i in range(n):
            audit.record(
                s,
                actor=tag,
                action="thing.done",
                entity_type="thing",
                entity_key=str(i),
                data={"i": i, "note": "值"},
            )


def _integrate(holder: str = "seq-a") -> audit.Integration | None:
    return integrate_once(get_settings(), holder)


def _tamper(*sqls: str, then: Callable[[Session], None] | None = None) -> None:
    """Tamper as an attacker with database access would: switch the guards off first."""
    with get_sessionmaker()() as s, s.begin():
        switch_guards_off(s)
        for sql in sqls:
            s.execute(text(sql))
        if then is not None:
            then(s)


def _verify(outside: audit.Checkpoint | None = None) -> audit.ChainReport:
    with get_sessionmaker()() as s, s.begin():
        return audit.verify(s, get_settings(), outside=outside)


def _six_integrated() -> audit.Checkpoint:
    _write(3)
    _integrate()
    _write(3)
    done = _integrate()
    assert done is not None and done.checkpoint is not None
    assert done.checkpoint.tree_size == 6
    return done.checkpoint


def test_pending_and_integrated_entries_verify_and_prove(db_url: str) -> None:
    _write(5)
    assert _verify() == audit.ChainReport(ok=True, entries=5)  # not integrated yet
    first = _integrate()
    assert first is not None and first.integrated == 5 and first.checkpoint is not None
    _write(4)
    second = _integrate()
    assert second is not None and second.checkpoint is not None
    _write(1)  # pending: checked by content only
    assert _verify() == audit.ChainReport(ok=True, entries=10)
    settings = get_settings()
    a, b = first.checkpoint, second.checkpoint
    assert (a.tree_size, b.tree_size) == (5, 9)
    assert audit.signature_ok(settings, b)
    forged = audit.Checkpoint(b.tree_size, a.root_hash, b.at, b.key_id, b.signature)
    assert not audit.signature_ok(settings, forged)
    with get_sessionmaker()() as s, s.begin():
        for seq in range(1, 10):
            p = audit.inclusion(s, seq=seq, size=None)
            assert bytes.fromhex(p["root_hash"]) == b.root_hash
            path = [bytes.fromhex(h) for h in p["audit_path"]]
            leaf = bytes.fromhex(p["leaf_hash"])
            assert merkle.verify_inclusion(p["leaf_index"], 9, leaf, path, b.root_hash)
            assert not merkle.verify_inclusion(p["leaf_index"], 9, leaf, path, a.root_hash)
        c = audit.consistency(s, first=5, second=9)
        proof = [bytes.fromhex(h) for h in c["proof"]]
        assert merkle.verify_consistency(5, 9, a.root_hash, b.root_hash, proof)
        assert not merkle.verify_consistency(5, 9, b.root_hash, b.root_hash, proof)


def _reforge(s: Session, seq: int) -> None:
    """Change an entry and recompute its own hash, as a careful attacker would."""
    e = s.get(AuditEntry, seq)
    assert e is not None
    e.actor = "mallory"
    s.execute(
        text("UPDATE audit_entry SET actor = 'mallory', hash = :h WHERE seq = :seq"),
        {"h": audit.entry_hash(e), "seq": seq},
    )
    s.expunge(e)


def _insert_backdated(s: Session) -> None:
    at = utcnow() - timedelta(hours=2)
    e = AuditEntry(
        seq=7,
        at=at,
        actor="mallory",
        action="thing.done",
        entity_type="thing",
        entity_key="x",
        data={},
    )
    e.hash = audit.entry_hash(e)
    s.add(e)
    s.flush()


@pytest.mark.parametrize(
    ("sqls", "then", "bad", "words"),
    [
        pytest.param(
            ["UPDATE audit_entry SET entity_key = '9' WHERE seq = 4"],
            None,
            4,
            "edited",
            id="flip-a-byte",
        ),
        pytest.param(
            [], lambda s: _reforge(s, 4), 4, "after it was integrated", id="flip-and-rehash"
        ),
        pytest.param(["DELETE FROM audit_entry WHERE seq = 3"], None, 3, "removed", id="delete"),
        pytest.param(
            [
                "UPDATE audit_entry SET seq = seq + 1000 WHERE seq IN (2, 5)",
                "UPDATE audit_entry SET seq = CASE seq WHEN 1002 THEN 5 ELSE 2 END "
                "WHERE seq > 1000",
            ],
            None,
            2,
            "edited",
            id="swap-entries",
        ),
        pytest.param(
            [
                "UPDATE audit_leaf SET idx = idx + 1000 WHERE seq IN (5, 6)",
                "UPDATE audit_leaf SET idx = CASE idx WHEN 1004 THEN 5 ELSE 4 END WHERE idx > 1000",
            ],
            None,
            5,
            "reordered",
            id="swap-leaves",
        ),
        pytest.param([], _insert_backdated, 7, "added late", id="insert-backdated"),
        pytest.param(
            ["DELETE FROM audit_leaf WHERE idx >= 4", "DELETE FROM audit_entry WHERE seq >= 5"],
            None,
            5,
            "truncated",
            id="truncate",
        ),
    ],
)
def test_tampering_is_found_and_located(
    db_url: str,
    sqls: list[str],
    then: Callable[[Session], None] | None,
    bad: int,
    words: str,
) -> None:
    _six_integrated()
    assert _verify().ok
    _tamper(*sqls, then=then)
    _integrate("seq-b")  # a running sequencer does not launder the change
    report = _verify()
    assert (report.ok, report.first_bad_entry) == (False, bad), report
    assert words in (report.reason or "")


def test_a_rewrite_of_the_whole_database_is_caught_by_a_checkpoint_kept_outside(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CG_CHECKPOINT_DIR", str(tmp_path))
    get_settings.cache_clear()
    _six_integrated()
    saved = tmp_path / "elsewhere.checkpoint"
    saved.write_text((tmp_path / "latest.checkpoint").read_text())
    outside = audit.read_checkpoint_file(saved)
    assert outside.tree_size == 6 and _verify(outside).ok
    # Everything rebuilt from scratch, history rewritten, the sequencer signing the new tree.
    _tamper(*(f"DELETE FROM {t}" for t in (*GUARDED, "audit_log_state")))
    _write(3, tag="mallory")
    _write(4, tag="mallory")
    assert _integrate() is not None
    assert _verify().ok  # self-consistent inside the database...
    report = _verify(outside)  # ...but not with what left it
    with get_sessionmaker()() as s:
        first = s.scalar(select(func.min(AuditEntry.seq)))  # 1 on SQLite; the sequence goes on
    assert (report.ok, report.first_bad_entry) == (False, first)
    assert "rewritten" in (report.reason or "")
    # Truncated and re-signed below the saved size: caught too.
    _tamper(*(f"DELETE FROM {t}" for t in (*GUARDED, "audit_log_state")))
    _write(2)
    _integrate()
    report = _verify(outside)
    assert (report.ok, "truncated" in (report.reason or "")) == (False, True)


def test_a_dead_sequencer_is_taken_over_once_its_lease_expires(db_url: str) -> None:
    _write(2)
    assert _integrate("dead") is not None  # holds the lease now, then "dies"
    _write(3)
    assert _integrate("alive") is None  # the lease still runs: nothing done, nothing forked
    with get_sessionmaker()() as s, s.begin():
        s.execute(
            text("UPDATE audit_log_state SET lease_until = :t"),
            {"t": utcnow() - timedelta(seconds=1)},
        )
    taken = _integrate("alive")
    assert taken is not None and taken.integrated == 3
    assert _integrate("dead") is None  # the old holder, back from the dead, must wait
    assert _verify() == audit.ChainReport(ok=True, entries=5)


def test_concurrent_writers_never_fork_the_log_and_all_get_integrated(db_url: str) -> None:
    writers, each = 16, 15
    errors: list[BaseException] = []
    stop = threading.Event()

    def write(w: int) -> None:
        try:
            for _ in range(each):
                _write(1, tag=f"w{w}")
        except BaseException as exc:
            errors.append(exc)

    def sequence(name: str) -> None:
        try:
            while not stop.is_set():
                integrate_once(get_settings(), name)
        except BaseException as exc:
            errors.append(exc)

    sequencers = [threading.Thread(target=sequence, args=(f"s{i}",)) for i in range(2)]
    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in (*sequencers, *threads):
        t.start()
    for t in threads:
        t.join()
    stop.set()
    for t in sequencers:
        t.join()
    assert not errors, errors
    with get_sessionmaker()() as s, s.begin():
        s.execute(text("UPDATE audit_log_state SET lease_until = :t"), {"t": utcnow()})
    integrate_all(get_settings(), "final")
    with get_sessionmaker()() as s, s.begin():
        n = s.scalar(select(func.count()).select_from(AuditEntry))
        idx = list(s.scalars(select(AuditLeaf.idx).order_by(AuditLeaf.idx)))
        seqs = set(s.scalars(select(AuditLeaf.seq)))
        assert n == writers * each
        assert idx == list(range(n)) and seqs == set(s.scalars(select(AuditEntry.seq)))
        latest = audit.latest_checkpoint(s)
        assert latest is not None and latest.tree_size == n
        for cp in s.scalars(select(AuditLeaf.idx).where(AuditLeaf.idx.in_([9, 99]))):
            c = audit.consistency(s, first=cp + 1, second=n)
            proof = [bytes.fromhex(h) for h in c["proof"]]
            assert merkle.verify_consistency(
                cp + 1, n, bytes.fromhex(c["first_root"]), latest.root_hash, proof
            )
    assert _verify() == audit.ChainReport(ok=True, entries=n)


def test_the_api_serves_checkpoint_proofs_and_verify(api: Api) -> None:
    _write(3)
    integrate_all(get_settings(), "api-test")
    cp = api.get("auditor", "/api/v1/audit-log/checkpoint")
    assert cp.status_code == 200, cp.text
    head = cp.json()
    inc = api.get("auditor", "/api/v1/audit-log/proof/inclusion", params={"seq": 1})
    assert inc.status_code == 200 and inc.json()["tree_size"] == head["tree_size"]
    assert inc.json()["root_hash"] == head["root_hash"]
    con = api.get("auditor", "/api/v1/audit-log/proof/consistency", params={"first": 1})
    assert con.status_code == 200 and con.json()["second"] == head["tree_size"]
    for bad in ({"seq": 1, "size": 10**9}, {"seq": 10**9}, {"seq": "x"}):
        r = api.get("auditor", "/api/v1/audit-log/proof/inclusion", params=bad)
        assert r.status_code in (404, 422), r.text
    r = api.get("auditor", "/api/v1/audit-log/proof/consistency", params={"first": 10**9})
    assert r.status_code == 422
    assert api.get("auditor", "/api/v1/audit-log/verify").json()["ok"] is True
    for who in ("inspector", None):
        assert api.get(who, "/api/v1/audit-log/checkpoint").status_code in (401, 403)


def _walk(api: Api, *, between: Callable[[], None] | None = None, **extra: object) -> list[int]:
    """Every seq a client sees following `next` from the first page, two entries a page."""
    seen: list[int] = []
    after: str | None = None
    while True:
        params: dict[str, object] = {"limit": 2, **extra, **({"after": after} if after else {})}
        r = api.get("auditor", "/api/v1/audit-log", params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        seen += [e["seq"] for e in page["items"]]
        assert page["next_after_seq"] == (int(page["next"]) if page["next"] else None)
        after = page["next"]
        if after is None:
            return seen
        if between is not None:
            between()


def _all_seqs() -> list[int]:
    with get_sessionmaker()() as s:
        return list(s.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)))


def test_the_log_lists_newest_first_and_its_cursor_walks_backwards(api: Api) -> None:
    _write(5, tag="page")
    first = api.get("auditor", "/api/v1/audit-log", params={"limit": 2}).json()
    everything = _all_seqs()
    assert [e["seq"] for e in first["items"]] == everything[::-1][:2]
    assert set(first["items"][0]) == {
        "seq",
        "at",
        "actor",
        "action",
        "entity_type",
        "entity_key",
        "data",
        "hash",
    }
    assert first["next"] == str(first["items"][-1]["seq"]) == str(first["next_after_seq"])
    assert _walk(api) == everything[::-1]
    # a cursor of 0 has seen nothing yet: the first page again
    assert api.get("auditor", "/api/v1/audit-log", params={"limit": 2, "after": 0}).json() == first
    # the earlier name of the cursor still reads the same page
    mid = everything[-2]
    by_seq = api.get("auditor", "/api/v1/audit-log", params={"limit": 2, "after_seq": mid})
    by_after = api.get("auditor", "/api/v1/audit-log", params={"limit": 2, "after": mid})
    assert by_seq.json() == by_after.json()
    assert [e["seq"] for e in by_after.json()["items"]] == [mid - 1, mid - 2]
    # past the oldest entry: an empty page, and no next
    empty = api.get("auditor", "/api/v1/audit-log", params={"after": everything[0]}).json()
    assert empty["items"] == [] and empty["next"] is None and empty["next_after_seq"] is None


def test_walking_backwards_misses_and_repeats_nothing_while_entries_are_added(api: Api) -> None:
    _write(7, tag="before")
    before = _all_seqs()
    seen = _walk(api, between=lambda: _write(3, tag="during"))
    assert len(_all_seqs()) > len(before)  # the log did grow during the walk
    assert len(seen) == len(set(seen))
    assert seen == before[::-1]


def test_the_log_still_replays_oldest_first_on_request(api: Api) -> None:
    _write(5, tag="asc")
    before = _all_seqs()
    seen = _walk(api, order="asc")
    assert seen == before
    # asc with a cursor: the entries after it, oldest first; and the legacy name reads the same
    by_seq = api.get(
        "auditor", "/api/v1/audit-log", params={"order": "asc", "limit": 2, "after_seq": seen[1]}
    )
    by_after = api.get(
        "auditor", "/api/v1/audit-log", params={"order": "asc", "limit": 2, "after": seen[1]}
    )
    assert by_seq.json() == by_after.json()
    assert [e["seq"] for e in by_after.json()["items"]] == seen[2:4]
    # a forward replay picks up what was written after its last page
    _write(2, tag="later")
    newer = api.get("auditor", "/api/v1/audit-log", params={"order": "asc", "after": seen[-1]})
    assert [e["actor"] for e in newer.json()["items"]] == ["later", "later"]


@pytest.mark.parametrize(
    "params",
    [
        {"after": "abc"},
        {"after": "-1"},
        {"after": "1.5"},
        {"after_seq": "x"},
        {"after": str(2**63)},
        {"order": "newest"},
        {"order": ""},
        {"order": "ASC "},
        {"limit": "0"},
    ],
)
def test_a_bad_cursor_or_order_is_422_naming_it(api: Api, params: dict[str, str]) -> None:
    r = api.get("auditor", "/api/v1/audit-log", params=params)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][-1] == next(iter(params))
