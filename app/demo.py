"""A realistic demo: Shandong province split into its cities (GB/T 2260 codes), a neighbouring
province, distributors of each tier, salespeople, checkpoints on the roads into the cities."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import service as auth
from app.checkpoints import service as checkpoints
from app.checkpoints.schemas import CheckpointIn
from app.demo_activity import ACTOR, gtin, load_activity
from app.distributors import service as distributors
from app.distributors.schemas import DistributorIn
from app.errors import Forbidden
from app.models import Region, Role, SubCustomerTier, Tier, User
from app.products import service as products
from app.products.schemas import ProductIn
from app.regions import service as regions
from app.regions.schemas import RegionIn
from app.salespeople import service as salespeople
from app.salespeople.schemas import SalespersonIn

DEMO_MARKER = "370000"


def _box(lat: float, lon: float, half: float = 0.38) -> dict[str, Any]:
    """An approximate square boundary around a city centre (lon, lat order, as GeoJSON wants)."""
    w, e, s, n = (round(v, 4) for v in (lon - half, lon + half, lat - half, lat + half))
    ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
    return {"type": "Polygon", "coordinates": [ring]}


# Real city boundaries (DataV.GeoAtlas via GeoMapData_CN; see app/web/static/geo/README.md): the
# same file the HQ map draws, so a GPS scan is judged against the boundary the map shows.
GEO_FILE = Path(__file__).resolve().parent / "web" / "static" / "geo" / "shandong.json"


@lru_cache
def city_boundaries() -> dict[str, dict[str, Any]]:
    """GB/T 2260 code -> GeoJSON geometry of each of Shandong's 16 prefecture-level cities."""
    data = json.loads(GEO_FILE.read_text(encoding="utf-8"))
    return {f["properties"]["adcode"]: f["geometry"] for f in data["features"]}


def _boundary(code: str, lat: float, lon: float) -> dict[str, Any]:
    return city_boundaries().get(code) or _box(lat, lon)


# code, name, kind, parent, centre (lat, lon)
CITIES: list[tuple[str, str, str, str, tuple[float, float]]] = [
    ("370100", "济南市", "home_base", "370000", (36.651, 117.120)),
    ("370200", "青岛市", "stronghold", "370000", (36.067, 120.383)),
    ("370300", "淄博市", "contested", "370000", (36.813, 118.055)),
    ("370600", "烟台市", "stronghold", "370000", (37.464, 121.448)),
    ("370700", "潍坊市", "contested", "370000", (36.707, 119.162)),
    ("371500", "聊城市", "guerrilla", "370000", (36.457, 115.985)),
    ("371700", "菏泽市", "guerrilla", "370000", (35.233, 115.481)),
    ("410100", "郑州市", "contested", "410000", (34.747, 113.625)),
]

# The rest of Shandong's 16 cities: on the map and in the register, each with its salesperson and
# one leading distributor, no lower channel or activity of their own; except Binzhou, a guerrilla
# zone that nobody holds yet (what a diversion into such a zone does is the rules' to say).
MORE_CITIES: list[tuple[str, str, str, str, tuple[float, float]]] = [
    ("370400", "枣庄市", "guerrilla", "370000", (34.810, 117.323)),
    ("370500", "东营市", "stronghold", "370000", (37.434, 118.675)),
    ("370800", "济宁市", "contested", "370000", (35.415, 116.587)),
    ("370900", "泰安市", "stronghold", "370000", (36.200, 117.088)),
    ("371000", "威海市", "stronghold", "370000", (37.513, 122.121)),
    ("371100", "日照市", "contested", "370000", (35.417, 119.527)),
    ("371300", "临沂市", "contested", "370000", (35.105, 118.356)),
    ("371400", "德州市", "guerrilla", "370000", (37.436, 116.359)),
    ("371600", "滨州市", "guerrilla", "370000", (37.382, 117.971)),
]
UNHELD = {"371600"}

# 商标颜色差异化: each city's cartons carry its own label colour, so that a carton on the wrong
# shelf stands out at a glance (Binzhou, held by nobody, has none).
LABEL_COLOURS = {
    "370100": "#C0392B",
    "370200": "#1F6FB2",
    "370300": "#7D3C98",
    "370400": "#B9770E",
    "370500": "#117A65",
    "370600": "#2E86C1",
    "370700": "#CA6F1E",
    "370800": "#1E8449",
    "370900": "#A93226",
    "371000": "#5B2C6F",
    "371100": "#F1C40F",
    "371300": "#16A085",
    "371400": "#884EA0",
    "371500": "#D35400",
    "371700": "#27AE60",
    "410100": "#34495E",
}

# code, name, region, lat, lon: toll stations and junctions on the expressways into each city
CHECKPOINTS = [
    ("JN-G2-N", "G2京沪高速 济南北收费站", "370100", 36.742, 117.015),
    ("JN-G20-E", "G20青银高速 济南东收费站", "370100", 36.694, 117.273),
    ("QD-G20-W", "G20青银高速 青岛收费站(流亭)", "370200", 36.262, 120.360),
    ("ZB-G20", "G20青银高速 淄博收费站", "370300", 36.833, 118.010),
    ("WF-G20", "G20青银高速 潍坊收费站", "370700", 36.739, 119.125),
    ("YT-G18", "G18荣乌高速 烟台收费站", "370600", 37.451, 121.329),
    ("LC-G3", "G3京台高速 聊城收费站", "371500", 36.489, 115.950),
    ("HZ-G35", "G35济广高速 菏泽收费站", "371700", 35.275, 115.444),
    ("ZZ-G30", "G30连霍高速 郑州收费站", "410100", 34.772, 113.720),
]


# The lower channel of each city's leading distributor: (suffix, tier, name, lat/lon offset from
# the city centre). 二批 sit in wholesale markets, shops in the streets around them.
SUB_CUSTOMERS = [
    ("W1", "wholesale_2", "酒水批发市场二批", (0.031, -0.042)),
    ("W2", "wholesale_2", "物流园二批", (-0.052, 0.061)),
    ("T1", "terminal_wholesale", "终端批发部", (0.018, 0.027)),
    ("R1", "retail", "便利店", (-0.012, -0.015)),
]


def demo_loaded(session: Session) -> bool:
    return session.scalar(select(Region.id).where(Region.code == DEMO_MARKER)) is not None


def load_master_data(session: Session) -> None:
    """Regions, salespeople, distributors, products and checkpoints."""
    for code, name, kind in (("370000", "山东省", "home_base"), ("410000", "河南省", "contested")):
        regions.create_region(session, data=RegionIn(code=code, name=name, kind=kind), actor=ACTOR)
    for code, name, kind, parent, (lat, lon) in [*CITIES, *MORE_CITIES]:
        regions.create_region(
            session,
            data=RegionIn(
                code=code,
                name=name,
                kind=kind,
                parent_code=parent,
                boundary=_boundary(code, lat, lon),
                colour=LABEL_COLOURS.get(code),
            ),
            actor=ACTOR,
        )
    signed = datetime(2026, 1, 5, tzinfo=UTC)
    for code, _name, _kind, _parent, _c in [*CITIES, *MORE_CITIES]:
        if code in UNHELD:
            continue
        salespeople.create_salesperson(
            session,
            data=SalespersonIn(
                code=f"SP-{code}",
                name=f"{_name}业务员",
                region_code=code,
                agreement_signed_at=signed,
            ),
            actor=ACTOR,
        )
    tiers = [Tier.WHOLESALE_1, Tier.WHOLESALE_2, Tier.TERMINAL_WHOLESALE, Tier.RETAIL]
    for i, (code, name, _kind, _parent, _c) in enumerate(CITIES):
        for j, tier in enumerate(tiers[: 2 if i % 2 else 4]):
            distributors.create_distributor(
                session,
                data=DistributorIn(
                    code=f"D-{code}-{j + 1}",
                    name=f"{name}{['一批', '二批', '终端批发', '零售'][j]}商行",
                    tier=tier,
                    region_codes=[code],
                    salesperson_code=f"SP-{code}",
                    # Two in the demo have no agreement on file, to show fines being withheld.
                    agreement_signed_at=None if code in ("371500", "410100") else signed,
                ),
                actor=ACTOR,
            )
    for code, name, _kind, _parent, _c in MORE_CITIES:
        if code in UNHELD:
            continue
        distributors.create_distributor(
            session,
            data=DistributorIn(
                code=f"D-{code}-1",
                name=f"{name}一批商行",
                tier=Tier.WHOLESALE_1,
                region_codes=[code],
                salesperson_code=f"SP-{code}",
                agreement_signed_at=signed,
            ),
            actor=ACTOR,
        )
    for base, name, units, value, floors in (
        (
            "0690123456001",
            "青岛风格淡爽啤酒 500ml×12",
            12,
            "48.00",
            ("3.60", "3.80", "4.00", "4.50"),
        ),
        ("0690123456002", "纯生啤酒 330ml×24", 24, "96.00", ("3.50", "3.70", "3.90", "4.50")),
        ("0690123456003", "原浆白啤 1L×6", 6, "90.00", ("13.00", "13.50", "14.00", "16.00")),
    ):
        products.create_product(
            session,
            data=ProductIn(
                gtin=gtin(base),
                name=name,
                units_per_carton=units,
                carton_value=Decimal(value),
                price_floors=dict(zip(tiers, map(Decimal, floors), strict=True)),
            ),
            actor=ACTOR,
        )
    for code, name, region, lat, lon in CHECKPOINTS:
        checkpoints.create_checkpoint(
            session,
            data=CheckpointIn(code=code, name=name, region_code=region, lat=lat, lon=lon),
            actor=ACTOR,
        )
    load_sub_customers(session, signed=signed)


def load_sub_customers(session: Session, *, signed: datetime) -> None:
    """Each city distributor's 二批, terminal wholesaler and shop, approved by HQ; one shop in
    Jinan still waiting for approval."""
    from app.auth.principal import Principal
    from app.subcustomers import service as subcustomers
    from app.subcustomers.schemas import SubCustomerIn

    hq = Principal(user_id=0, username=ACTOR, role=Role.admin)
    for code, city, _kind, _parent, (lat, lon) in CITIES:
        for suffix, tier, label, (dlat, dlon) in SUB_CUSTOMERS:
            subcustomers.create(
                session,
                data=SubCustomerIn(
                    code=f"SC-{code}-{suffix}",
                    name=f"{city}{label}",
                    tier=SubCustomerTier(tier),
                    region_code=code,
                    distributor_code=f"D-{code}-1",
                    lat=round(lat + dlat, 4),
                    lon=round(lon + dlon, 4),
                    contact="0531-0000" + suffix,
                    agreement_signed_at=signed if suffix != "R1" else None,
                ),
                principal=hq,
            )
    subcustomers.create(
        session,
        data=SubCustomerIn(
            code="SC-370100-R2",
            name="济南市新开零售店",
            tier=SubCustomerTier.RETAIL,
            region_code="370100",
            distributor_code="D-370100-1",
            lat=36.6702,
            lon=117.0553,
        ),
        principal=Principal(
            user_id=0, username=ACTOR, role=Role.distributor, distributor_id=_jinan(session)
        ),
    )


def _jinan(session: Session) -> int:
    from app.models import Distributor

    did = session.scalar(select(Distributor.id).where(Distributor.code == "D-370100-1"))
    assert did is not None
    return did


DEMO_USERS: list[tuple[str, Role, str | None, str | None]] = [
    ("admin", Role.admin, None, None),
    ("auditor", Role.hq_auditor, None, None),
    ("inspector", Role.inspector, None, None),
    ("jinan-distributor", Role.distributor, "D-370100-1", None),
    ("liaocheng-distributor", Role.distributor, "D-371500-1", None),
    ("jinan-sales", Role.salesperson, None, "SP-370100"),
]
DEMO_SUB_CUSTOMER_USERS = [("jinan-wholesaler", "SC-370100-W1"), ("jinan-dumper", "SC-370100-W2")]
DEMO_NAMES = {"admin": "周立华", "auditor": "陈静", "inspector": "王建国"}
"""HQ staff and inspectors are people with names; party users go by their firm's or shop's."""


def _fresh_token(session: Session, username: str, *, role: Role, **party: str | None) -> str:
    """The demo user's only token: a new user's first, or a fresh one replacing the old."""
    user = session.scalar(select(User).where(User.username == username))
    name = DEMO_NAMES.get(username)
    if user is None:
        _user, token = auth.create_user(
            session, username=username, role=role, display_name=name, actor=ACTOR, **party
        )
        return token
    if name and user.display_name is None:  # a demo loaded before people had names
        auth.rename_user(session, username=username, display_name=name, actor=ACTOR)
    auth.revoke_tokens(session, user=user, actor=ACTOR)
    return auth.issue_token(session, user=user, actor=ACTOR)


def load_demo(session: Session) -> dict[str, tuple[str, str]]:
    """Load the demo once (later runs keep the data) and mint a fresh token for each demo user;
    a demo user's earlier tokens are revoked, so each has exactly one: the one printed now."""
    from app.config import get_settings

    if get_settings().env == "production":
        # Demo users with well-known names and printed tokens have no place beside real data.
        raise Forbidden("the demo data set is never loaded in production (CG_ENV=production)")
    fresh = not demo_loaded(session)
    if fresh:
        load_master_data(session)
    tokens: dict[str, tuple[str, str]] = {}
    for username, role, dist, sp in DEMO_USERS:
        token = _fresh_token(
            session, username, role=role, distributor_code=dist, salesperson_code=sp
        )
        tokens[username] = (role.value, token)
    for username, sub_customer in DEMO_SUB_CUSTOMER_USERS:
        token = _fresh_token(
            session, username, role=Role.sub_customer, sub_customer_code=sub_customer
        )
        tokens[username] = (Role.sub_customer.value, token)
    if fresh:
        inspector = session.scalar(select(User).where(User.username == "inspector"))
        assert inspector is not None
        load_activity(session, inspector_id=inspector.id)
    return tokens
