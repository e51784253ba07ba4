"""Recognising what a scanner read: each payload parsed and checked, and matched to the carton
(or pallet of cartons) it names, with set-based lookups. Shared by every path that reads codes:
scans (`gather.py`) and custody hand-offs."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.codes import gs1
from app.config import Settings
from app.models import Carton, CartonStatus, ItemCode, Pallet, Product
from app.regions.tree import RegionNode

CHUNK = 5_000
# Readers send GS (0x1D) between fields and may end with CR/LF or a tab; any other control
# character means a misread (and PostgreSQL text cannot even store NUL).
_FOREIGN_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1c\x1e\x1f\x7f]")


@dataclass
class Item:
    """One scan as received, plus what parsing and lookups found."""

    payload: str
    parse_text: str
    scanned_at: datetime
    checkpoint_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    observed_price_fen: int | None = None
    device_id: str | None = None
    region: RegionNode | None = None
    checkpoint_id: int | None = None
    pos: tuple[float, float] | None = None
    error: str | None = None
    error_verdict: str | None = None
    """The verdict an item with an error still gets, when its payload told that much."""
    status: str = "unreadable"
    serial: str | None = None
    item_serial: str | None = None
    """Set when the payload was an item code: `serial` is then its carton's."""
    sscc: str | None = None
    detail: str = ""
    cartons: list[CartonFacts] = field(default_factory=list)


@dataclass(frozen=True)
class CartonFacts:
    """A carton as the rules see it: where it was coded, whose it is, what it is worth."""

    id: int
    serial: str
    voided: bool
    region_id: int
    distributor_id: int | None
    value_fen: int
    floors: dict[str, int]
    pallet_id: int | None
    custodian_type: str | None = None
    custodian_id: int | None = None


def _parse(items: list[Item], settings: Settings) -> None:
    keys = settings.signing
    hosts = settings.allowed_link_hosts
    for it in items:
        bad = _FOREIGN_CONTROL.search(it.parse_text)
        if bad:
            it.error = (
                f"unreadable payload: control character U+{ord(bad.group()):04X} "
                f"at position {bad.start()}"
            )
            it.status = it.error_verdict = "unreadable"
            continue
        if it.error:
            continue
        parsed = gs1.parse_payload(it.parse_text, allowed_hosts=hosts)
        if isinstance(parsed, gs1.Unreadable):
            it.status, it.detail = "unreadable", parsed.reason
        elif isinstance(parsed, gs1.ParsedPallet):
            it.status, it.sscc = "pallet", parsed.sscc
        else:
            it.serial = parsed.serial
            check = gs1.verify(parsed, keys=keys)
            it.status = {"valid": "valid", "forged": "forged", "unknown_key": "unknown"}[check]
            if check == "unknown_key":
                it.detail = "signed with a key this service does not hold"
            elif check == "forged":
                it.detail = "the signature does not match the code"


def _load_cartons(session: Session, items: list[Item]) -> None:
    serials = {it.serial for it in items if it.status == "valid" and it.serial}
    ssccs = {it.sscc for it in items if it.status == "pallet" and it.sscc}
    cols = (
        Carton.id,
        Carton.serial,
        Carton.status,
        Carton.region_id,
        Carton.distributor_id,
        Product.carton_value_fen,
        Product.price_floors_fen,
        Carton.pallet_id,
        Carton.custodian_type,
        Carton.custodian_id,
    )

    def facts(row: Any) -> CartonFacts:
        return CartonFacts(
            id=row.id,
            serial=row.serial,
            voided=row.status == CartonStatus.voided,
            region_id=row.region_id,
            distributor_id=row.distributor_id,
            value_fen=row.carton_value_fen,
            floors=row.price_floors_fen or {},
            pallet_id=row.pallet_id,
            custodian_type=row.custodian_type,
            custodian_id=row.custodian_id,
        )

    def cartons_where(column: Any, values: list[Any]) -> list[CartonFacts]:
        """The cartons whose `column` is one of `values`, read `CHUNK` values at a time."""
        out: list[CartonFacts] = []
        for start in range(0, len(values), CHUNK):
            rows = session.execute(
                select(*cols)
                .join(Product, Product.id == Carton.product_id)
                .where(column.in_(values[start : start + CHUNK]))
            ).all()
            out.extend(facts(r) for r in rows)
        return out

    serial_list = sorted(serials)
    by_serial = {c.serial: c for c in cartons_where(Carton.serial, serial_list)}
    # Serials that are no carton's may be items': each is judged as the carton it is packed in.
    packed_in: dict[str, tuple[int | None, bool]] = {}
    missing = [s for s in serial_list if s not in by_serial]
    for start in range(0, len(missing), CHUNK):
        packed_in.update(
            (serial, (carton_id, status == CartonStatus.voided))
            for serial, carton_id, status in session.execute(
                select(ItemCode.serial, ItemCode.carton_id, ItemCode.status).where(
                    ItemCode.serial.in_(missing[start : start + CHUNK])
                )
            )
        )
    carton_ids = sorted({cid for cid, _ in packed_in.values() if cid is not None})
    by_id = {c.id: c for c in cartons_where(Carton.id, carton_ids)}
    by_sscc: dict[str, list[CartonFacts]] = {}
    if ssccs:
        pallets = dict(
            session.execute(select(Pallet.sscc, Pallet.id).where(Pallet.sscc.in_(ssccs))).all()
        )
        grouped: dict[int, list[CartonFacts]] = defaultdict(list)
        for carton in cartons_where(Carton.pallet_id, list(pallets.values())):
            if carton.pallet_id is not None:
                grouped[carton.pallet_id].append(carton)
        by_sscc = {s: grouped.get(pid, []) for s, pid in pallets.items()}
    for it in items:
        if it.status == "valid":
            c = by_serial.get(it.serial or "")
            if c is None and it.serial in packed_in:
                carton_id, item_voided = packed_in[it.serial]
                if carton_id is None:
                    # Decided: an item is judged only through its carton (its territory, its
                    # custodian, its value); a loose one cannot be, and says what to do.
                    it.error = (
                        f"item code {it.serial} is not packed into a carton: pack it with "
                        "POST /api/v1/cartons/{serial}/items, or scan its carton"
                    )
                    it.item_serial = it.serial
                    continue
                c = by_id[carton_id]
                it.item_serial, it.serial = it.serial, c.serial
                if item_voided:
                    c = replace(c, voided=True)
            if c is None:
                it.status, it.detail = "unknown", "a well-formed code that was never issued"
            else:
                it.cartons = [c]
        elif it.status == "pallet":
            cartons = by_sscc.get(it.sscc or "")
            if not cartons:
                it.status, it.detail = "unknown", f"pallet {it.sscc} is unknown or empty"
            else:
                it.cartons = cartons


def recognise(session: Session, items: list[Item], settings: Settings) -> None:
    """Parse each item's payload and find its carton(s): what every path that reads codes
    (scans, custody hand-offs) shares."""
    _parse(items, settings)
    _load_cartons(session, items)
