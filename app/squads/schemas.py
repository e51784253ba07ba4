from __future__ import annotations

from pydantic import BaseModel, Field

from app.common.types import Code, CodedIn, Name, Schema
from app.users.schemas import Person

Username = str


class SquadIn(CodedIn):
    region_code: Code
    leader_distributor_code: Code
    """The region's leading distributor: it must hold the region."""
    salesperson_codes: list[Code] = Field(default_factory=list, max_length=100)
    checkpoint_codes: list[Code] = Field(default_factory=list, max_length=200)
    """The checkpoints (监督站) the squad staffs: inside the squad's region."""
    inspector_usernames: list[str] = Field(default_factory=list, max_length=200)
    """Users of role inspector; an inspector belongs to one squad."""


class SquadPatch(Schema):
    name: Name | None = None
    leader_distributor_code: Code | None = None
    salesperson_codes: list[Code] | None = Field(default=None, max_length=100)
    checkpoint_codes: list[Code] | None = Field(default=None, max_length=200)
    inspector_usernames: list[str] | None = Field(default=None, max_length=200)


class Named(BaseModel):
    code: str
    name: str


class SquadOut(BaseModel):
    code: str
    name: str
    region: Named
    leader: Named
    salespeople: list[Named]
    checkpoints: list[Named]
    inspectors: list[str]
    """The inspectors' usernames; `inspector_people` names them."""
    inspector_people: list[Person] = Field(default_factory=list)
    """The same inspectors as pages show them: `{username, display_name}`."""


class SquadReportRow(BaseModel):
    squad_code: str
    squad_name: str
    region_code: str
    leader_distributor_code: str
    scans: int
    """Carton scans at the squad's checkpoints or by its inspectors in the period."""
    verdicts: dict[str, int]
    diversions: int
    forged: int
    cloned: int
    price_violations: int
    violations: int
    """Distinct violations those scans opened or added to."""
    waybill_inspections: int
    waybill_findings: int
    """Waybill looks that found a wrong plate, route, window or a finished waybill."""


class SquadReport(BaseModel):
    period: str
    items: list[SquadReportRow]
