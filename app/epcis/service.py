"""EPCIS 2.0 capture (sightings from standard track-and-trace tools become scans) and export
(every stored scan as an ObjectEvent).

A capture document is judged as one scan batch: its sighting events are turned into items and
go through `app.scans.service.ingest` together, so verdicts, violations and limits are exactly
those of `POST /api/v1/scans`. An event is placed at a checkpoint through its readPoint (else
its bizLocation): `urn:channelguard:checkpoint:CODE`, an id whose last segment is a checkpoint
code (`https://example.com/sites/JN-G2-N`), or a GLN (SGLN URN or Digital Link /414/) used as
a checkpoint's code (`identifiers`). Export lives in `export`, re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.codes import gs1
from app.config import Settings
from app.custody import service as custody
from app.custody.schemas import CustodyItemIn
from app.epcis import vocab
from app.epcis.export import EPCIS_CONTEXT as EPCIS_CONTEXT
from app.epcis.export import export_events as export_events
from app.epcis.identifiers import CHECKPOINT_URN as CHECKPOINT_URN
from app.epcis.identifiers import PARTY_URN as PARTY_URN
from app.epcis.identifiers import checkpoint_candidates as checkpoint_candidates
from app.epcis.identifiers import party_candidates as party_candidates
from app.epcis.schemas import CaptureOut, EPCISDocument, EventResult, ObjectEvent
from app.epcis.schemas import Event as EventIn
from app.errors import PayloadTooLarge
from app.models import (
    Checkpoint,
    Distributor,
    Role,
    SubCustomer,
)
from app.scans.recognise import Item
from app.scans.schemas import ScanResult
from app.scans.service import as_results, ingest
from rules.policy import Policy


def _hand_off(event: EventIn, known: set[str]) -> tuple[str, str | None, str] | None:
    """(direction, from party, to party) when a shipping or receiving event names parties."""
    if not isinstance(event, ObjectEvent) or event.action == "DELETE" or event.errorDeclaration:
        return None
    step = vocab.standard_step(event.bizStep)
    if step not in ("shipping", "receiving"):
        return None
    sources = [c for s in event.sourceList or [] for c in party_candidates(s.source) if c in known]
    dests = [
        c
        for d in event.destinationList or []
        for c in party_candidates(d.destination)
        if c in known
    ]
    if not dests or (step == "shipping" and not sources):
        return None
    return ("ship" if step == "shipping" else "receive", sources[0] if sources else None, dests[0])


def _why_no_scans(event: EventIn) -> str | None:
    """Why an event is not a sighting of cartons, or None when it is one."""
    if not isinstance(event, ObjectEvent):
        return f"a {event.type} is not a sighting; only ObjectEvents become scans"
    step = vocab.standard_step(event.bizStep)
    if step not in vocab.SCAN_STEPS:
        shown = repr(event.bizStep) if event.bizStep else "no bizStep"
        return f"{shown} is not a sighting (inspecting, receiving, arriving or shipping are)"
    if event.action == "DELETE":
        return "action DELETE ends the objects' life; it is not a sighting"
    if event.errorDeclaration is not None:
        return "an error declaration corrects an earlier event; it is not a new sighting"
    if not event.epcList and not event.quantityList:
        return "the event names no EPCs"
    return None


def _unreadable(epc: str, parsed: gs1.Unreadable) -> str:
    if epc.startswith(("urn:epc:id:sgtin:", "urn:epc:class:")):
        return (
            "an EPC URN cannot carry the region (AI 91) and signature (AI 92) of a ChannelGuard "
            "carton code; send the carton's Digital Link instead. Not stored."
        )
    return f"not a ChannelGuard carton code: {parsed.reason}. Not stored."


@dataclass
class _Slot:
    """Where an ingested item's result goes back to."""

    event: EventResult
    position: int


def capture(
    session: Session,
    *,
    document: EPCISDocument,
    user_id: int,
    settings: Settings,
    policy: Policy,
) -> CaptureOut:
    """Turn the document's sightings into scans; every event gets a result, in input order."""
    events = document.epcisBody.eventList
    wanted = {
        code
        for e in events
        if isinstance(e, ObjectEvent)
        for place in (e.readPoint, e.bizLocation)
        if place is not None
        for code in checkpoint_candidates(place.id)
    }
    known = (
        set(session.scalars(select(Checkpoint.code).where(Checkpoint.code.in_(wanted))))
        if wanted
        else set()
    )
    hosts = settings.allowed_link_hosts
    out: list[EventResult] = []
    items: list[Item] = []
    slots: list[_Slot] = []
    parties = _known_parties(session, events)
    hand_offs: dict[str, list[tuple[EventResult, CustodyItemIn]]] = {"ship": [], "receive": []}
    for index, event in enumerate(events):
        result = EventResult(
            index=index,
            event_id=event.eventID,
            type=event.type,
            action=getattr(event, "action", None),
            biz_step=getattr(event, "bizStep", None),
        )
        out.append(result)
        handed = _hand_off(event, parties)
        if handed is not None:
            assert isinstance(event, ObjectEvent)
            direction, source, dest = handed
            result.note = f"a hand-off ({direction}) from {source or 'its holder'} to {dest}"
            for epc in [*(event.epcList or []), *(q.epcClass for q in event.quantityList or [])]:
                hand_offs[direction].append(
                    (
                        result,
                        CustodyItemIn(
                            payload=epc,
                            from_party_code=source if direction == "ship" else None,
                            to_party_code=dest,
                            at=event.eventTime,
                        ),
                    )
                )
            continue
        result.note = _why_no_scans(event)
        if result.note is not None:
            continue
        assert isinstance(event, ObjectEvent)
        places = [p.id for p in (event.readPoint, event.bizLocation) if p is not None]
        result.checkpoint_code = next(
            (c for p in places for c in checkpoint_candidates(p) if c in known), None
        )
        unplaced = None
        if result.checkpoint_code is None:
            unplaced = (
                f"{' / '.join(places) or 'no readPoint or bizLocation'}: names no checkpoint; "
                f"use {CHECKPOINT_URN}CODE or an id ending in /CODE"
            )
            result.note = unplaced
        epcs = [*(event.epcList or []), *(q.epcClass for q in event.quantityList or [])]
        for epc in epcs:
            parsed = gs1.parse_payload(epc, allowed_hosts=hosts)
            if isinstance(parsed, gs1.Unreadable):
                result.results.append(
                    ScanResult(payload=epc, verdict="unreadable", detail=_unreadable(epc, parsed))
                )
            elif unplaced is not None:
                result.results.append(ScanResult(payload=epc, error=unplaced))
            else:
                slots.append(_Slot(result, len(result.results)))
                result.results.append(ScanResult(payload=epc))
                items.append(
                    Item(
                        payload=epc,
                        parse_text=epc,
                        scanned_at=event.eventTime,
                        checkpoint_code=result.checkpoint_code,
                    )
                )
    if len(items) > settings.max_scans_per_request:
        raise PayloadTooLarge(
            f"{len(items)} carton codes in one document; at most {settings.max_scans_per_request}"
        )
    judged = (
        as_results(
            ingest(
                session,
                items=items,
                user_id=user_id,
                settings=settings,
                policy=policy,
                source="epcis",
            )
        )
        if items
        else []
    )
    for direction, pairs in hand_offs.items():
        if pairs:
            # The document names the parties: the capturing user acts as HQ would.
            done = custody.hand_off(
                session,
                direction="ship" if direction == "ship" else "receive",
                items_in=[item for _, item in pairs],
                principal=Principal(user_id=user_id, username="epcis", role=Role.admin),
                ref=None,
                settings=settings,
                policy=policy,
            )
            for (result, _), outcome in zip(pairs, done, strict=True):
                result.hand_offs.append(outcome)
    stored = 0
    for slot, scan in zip(slots, judged, strict=True):
        slot.event.results[slot.position] = scan
        if scan.error is None:
            slot.event.became_scans = True
            stored += 1
    return CaptureOut(events=out, event_count=len(events), scans_stored=stored)


def _known_parties(session: Session, events: list[EventIn]) -> set[str]:
    wanted = {
        code
        for e in events
        if isinstance(e, ObjectEvent)
        for place in [
            *(s.source for s in e.sourceList or []),
            *(d.destination for d in e.destinationList or []),
        ]
        for code in party_candidates(place)
    }
    if not wanted:
        return set()
    return set(session.scalars(select(Distributor.code).where(Distributor.code.in_(wanted)))) | set(
        session.scalars(select(SubCustomer.code).where(SubCustomer.code.in_(wanted)))
    )
