"""EPCIS shipping and receiving events that name parties are custody hand-offs, not sightings."""

from __future__ import annotations

from datetime import timedelta

from tests.custody.channel import JINAN, Channel
from tests.epcis.conftest import document, sighting
from tests.violations.market import now

OWNING = "owning_party"


def test_shipping_and_receiving_events_move_custody(channel: Channel) -> None:
    w = channel.approved("JN-EPC")
    (p,) = channel.market.stock(JINAN, "SP-370100", "370100", 1)
    t = now() + timedelta(seconds=5)
    ship = sighting(
        [p],
        at=t,
        where=None,
        step="shipping",
        sourceList=[{"type": OWNING, "source": f"urn:channelguard:party:{JINAN}"}],
        destinationList=[{"type": OWNING, "destination": f"https://example.com/parties/{w}"}],
    )
    receive = sighting(
        [p],
        at=t + timedelta(minutes=1),
        where=None,
        step="receiving",
        destinationList=[{"type": OWNING, "destination": f"urn:channelguard:party:{w}"}],
    )
    r = channel.api.post("admin", "/epcis/capture", json=document(ship, receive))
    assert r.status_code < 300, r.text
    events = r.json()["events"]
    assert [e["hand_offs"][0]["outcome"] for e in events] == ["accepted", "accepted"], events
    assert not any(e["became_scans"] for e in events)
    serial = events[0]["hand_offs"][0]["serial"]
    carton = channel.carton(serial)
    assert carton["custodian"] == {"party_type": "sub_customer", "party_code": w}
    assert [e["kind"] for e in carton["custody"]] == ["deliver", "ship", "receive"]
    assert carton["scans"] == []
