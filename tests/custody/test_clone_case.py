"""A cloned code is its own case: it never joins the carton's diversion and blames nobody."""

from __future__ import annotations

from datetime import timedelta

from tests.custody.channel import JINAN, Channel
from tests.violations.market import now


def test_a_clone_opens_its_own_case_beside_the_diversion(channel: Channel) -> None:
    (p,) = channel.market.stock(JINAN, "SP-370100", "370100", 1)
    t = now()
    diverted = channel.market.scan(p, "LC-G3", scanned_at=t.isoformat())
    assert diverted["verdict"] == "diversion"
    # Ten minutes later, 190 km away: no truck does that; the code was copied.
    cloned = channel.market.scan(p, "ZB-G20", scanned_at=(t + timedelta(minutes=10)).isoformat())
    assert cloned["verdict"] == "cloned" and cloned["violation_id"] is not None
    assert cloned["violation_id"] != diverted["violation_id"]
    case = channel.market.violation(cloned["violation_id"])
    assert case["kind"] == "cloned"
    assert (
        case["diverting_distributor_code"] is None and case["diverting_sub_customer_code"] is None
    )
    assert case["invaded_distributor_code"] is None
    diversion = channel.market.violation(diverted["violation_id"])
    assert (
        diversion["kind"] == "diversion" and diversion["carton_serials"] == case["carton_serials"]
    )
    # Seen again, each sighting joins its own kind of case.
    again = channel.market.scan(p, "LC-G3", scanned_at=(t + timedelta(hours=20)).isoformat())
    assert (again["verdict"], again["violation_id"]) == ("diversion", diverted["violation_id"])
