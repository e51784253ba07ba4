"""The demo's few weeks of business (`channelguard demo`): coded cartons shipped and delivered,
a truck on the road, inspectors' scans and hand-offs down the channel. The master data and the
users are `app.demo`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from biip.checksums import gs1_standard_check_digit
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Role, User

# Who the audit log says loaded the demo.
ACTOR = "demo"


def gtin(base13: str) -> str:
    """A GTIN-14/13 with its check digit."""
    return base13 + str(gs1_standard_check_digit(base13))


def load_activity(session: Session, *, inspector_id: int) -> None:
    """A few weeks of business: coded cartons shipped and delivered, a truck on the road, and
    inspectors' scans, some of which found Jinan beer dumped in Liaocheng and Heze."""
    from app.codes import service as codes
    from app.codes.schemas import CodeBatchIn
    from app.config import get_settings
    from app.scans import service as scans
    from app.scans.schemas import ScanIn
    from app.waybills import service as waybills
    from app.waybills.schemas import WaybillIn
    from rules.policy import load_policy

    settings = get_settings()
    now = datetime.now(UTC).replace(microsecond=0)
    lager, draft = gtin("0690123456001"), gtin("0690123456002")

    def batch(product: str, region: str, n: int) -> list[str]:
        out = codes.issue_batch(
            session,
            data=CodeBatchIn(gtin=product, region_code=region, quantity=n),
            settings=settings,
            actor=ACTOR,
        )
        return [c.payload for c in out.codes or []]

    jinan, liaocheng, qingdao = (
        batch(lager, "370100", 40),
        batch(draft, "371500", 20),
        batch(lager, "370200", 12),
    )
    plan = [
        ("WB-DEMO-001", "鲁A·3J521", "D-370100-1", ["370100"], "SP-370100", jinan, 20, True),
        (
            "WB-DEMO-002",
            "鲁P·7L203",
            "D-371500-1",
            ["370100", "371500"],
            "SP-371500",
            liaocheng,
            18,
            True,
        ),
        (
            "WB-DEMO-003",
            "鲁B·9Q118",
            "D-370200-1",
            ["370100", "370300", "370700", "370200"],
            "SP-370200",
            qingdao,
            2,
            False,
        ),
    ]
    for number, plate, dest, route, sp, payloads, days_ago, deliver in plan:
        waybills.create_waybill(
            session,
            data=WaybillIn(
                number=number,
                vehicle_plate=plate,
                driver="张师傅",
                dispatched_at=now - timedelta(days=days_ago),
                expected_arrival=now - timedelta(days=days_ago) + timedelta(hours=30),
                destination_distributor_code=dest,
                route_region_codes=route,
                issuer="物流部 李经理",
                salesperson_code=sp,
                carton_payloads=payloads,
            ),
            settings=settings,
            actor=ACTOR,
        )
        if deliver:  # on the day it was due, so no carton is seen before it arrived
            arrived = now - timedelta(days=days_ago) + timedelta(hours=30)
            waybills.deliver_waybill(session, number=number, actor=ACTOR, at=arrived)
    sightings = [  # (payload, checkpoint, days ago, observed unit price)
        *[(p, "JN-G2-N", 15, "4.20") for p in jinan[:6]],
        *[(p, "LC-G3", 9 - i, "3.20") for i, p in enumerate(jinan[6:10])],
        (jinan[10], "HZ-G35", 4, "3.40"),
        (jinan[11], "HZ-G35", 3, None),
        *[(p, "JN-G20-E", 6, "3.90") for p in liaocheng[:3]],
        *[(p, "LC-G3", 12, "4.00") for p in liaocheng[3:8]],
        (qingdao[0], "ZB-G20", 1, None),
        (qingdao[1], "WF-G20", 1, None),
        # Jinan's logistics-park 二批 dumps its stock in neighbouring Zibo.
        (jinan[18], "ZB-G20", 5, "3.30"),
        (jinan[19], "ZB-G20", 4, "3.30"),
    ]
    load_hand_offs(session, now=now, jinan=jinan)
    items = [
        ScanIn(
            payload=p,
            checkpoint_code=cp,
            scanned_at=now - timedelta(days=d, hours=h % 7),
            observed_price=Decimal(price) if price else None,
        )
        for h, (p, cp, d, price) in enumerate(sightings)
    ]
    scans.ingest(
        session,
        items=scans.items_from(items),
        user_id=inspector_id,
        settings=settings,
        policy=load_policy(),
        source="demo",
    )


def load_hand_offs(session: Session, *, now: datetime, jinan: list[str]) -> None:
    """Jinan's cartons moving down the channel: to its market 二批 and on to a shop, to its
    logistics-park 二批, which then tries to ship into Zibo (refused) and dumps them anyway."""
    from app.auth.principal import Principal
    from app.config import get_settings
    from app.custody import service as custody
    from app.custody.schemas import CustodyItemIn
    from rules.policy import load_policy

    admin = session.scalar(select(User).where(User.username == "admin"))
    assert admin is not None
    hq = Principal(user_id=admin.id, username=ACTOR, role=Role.admin)
    moves = [  # direction, cartons, from, to, days ago
        ("ship", jinan[12:16], "D-370100-1", "SC-370100-W1", 14),
        ("receive", jinan[12:16], None, "SC-370100-W1", 13),
        ("ship", jinan[12:14], "SC-370100-W1", "SC-370100-R1", 10),
        ("receive", jinan[12:14], None, "SC-370100-R1", 9),
        ("ship", jinan[16:20], "D-370100-1", "SC-370100-W2", 12),
        ("receive", jinan[16:20], None, "SC-370100-W2", 11),
        ("ship", jinan[18:20], "SC-370100-W2", "SC-370300-R1", 8),
    ]
    for n, (direction, payloads, source, target, days) in enumerate(moves):
        custody.hand_off(
            session,
            direction="ship" if direction == "ship" else "receive",
            items_in=[
                CustodyItemIn(
                    payload=p,
                    from_party_code=source,
                    to_party_code=target,
                    at=now - timedelta(days=days, hours=n % 5),
                )
                for p in payloads
            ],
            principal=hq,
            ref=f"demo-{n + 1}",
            settings=get_settings(),
            policy=load_policy(),
        )
