"""The sections of a policy file, each a strict, immutable model; `rules.policy` puts them
together into one `Policy` and loads the versioned files."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    WrapSerializer,
    field_validator,
    model_validator,
)

from rules.vocab import RegionKind, SanctionStep

# Strict numbers: a policy saying `days = "7"` or `speed = 150.5` is a mistake, not a value.
PositiveInt = Annotated[int, Strict(), Field(gt=0)]
NonNegativeInt = Annotated[int, Strict(), Field(ge=0)]


class PolicyError(ValueError):
    """A policy file is missing, unreadable or invalid."""


class Indicator(StrEnum):
    """The six star-rating indicators of seed 001, step 6."""

    CONTRACT_COMPLETION = "contract_completion"
    SALES_SHARE = "sales_share"
    PRICE_CONTROL = "price_control"
    SALES_GROWTH = "sales_growth"
    PROFITABILITY = "profitability"
    DIVERSION = "diversion"


class SalespersonSide(StrEnum):
    """Who is credited with the salesperson side of a transfer."""

    INVADED_REGION_SALESPERSON = "invaded_region_salesperson"
    COMPANY = "company"
    NONE = "none"


class NoInvadedDistributor(StrEnum):
    """What a transfer does where the invaded region has no distributor."""

    CREDIT_UNASSIGNED = "credit_unassigned"
    SKIP = "skip"


class MissingTierFloor(StrEnum):
    """How to find a price floor when the product has none for the buyer's tier."""

    NONE = "none"
    NEAREST_UPSTREAM = "nearest_upstream"


def _read_only(value: Mapping[Any, int]) -> Mapping[Any, int]:
    # A frozen model still hands out its dicts; a proxy keeps loaded policies truly immutable.
    return MappingProxyType(dict(value))


_AS_DICT = WrapSerializer(lambda value, handler: handler(dict(value)))


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VerdictPolicy(_Section):
    """Thresholds of the verdict engine."""

    clone_speed_kmh: PositiveInt
    clone_min_distance_km: NonNegativeInt
    transit_grace_hours: NonNegativeInt


class AutoConfirmPolicy(_Section):
    """Automatic confirmation of unappealed violations."""

    enabled: StrictBool
    after_days: PositiveInt


class ViolationPolicy(_Section):
    """Appeal and confirmation windows."""

    appeal_window_days: PositiveInt
    auto_confirm: AutoConfirmPolicy

    @model_validator(mode="after")
    def _auto_confirm_after_appeal_window(self) -> ViolationPolicy:
        if self.auto_confirm.enabled and self.auto_confirm.after_days < self.appeal_window_days:
            raise ValueError(
                "auto_confirm.after_days must not be shorter than appeal_window_days: "
                "a violation cannot confirm itself while it may still be appealed"
            )
        return self


def _exact_decimal(value: Any, refusal: str) -> Any:
    """Multipliers and money rates are exact: text and integers become a Decimal, a float in a
    policy file is refused with `refusal`."""
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError as exc:
            raise ValueError(f"not a decimal number: {value!r}") from exc
    if isinstance(value, Decimal) or (isinstance(value, int) and not isinstance(value, bool)):
        return Decimal(value)
    raise ValueError(refusal)


class RepeatMultiplier(_Section):
    """From the n-th offence within the look-back window on, fines are multiplied."""

    from_offence: Annotated[int, Strict(), Field(ge=2)]
    multiplier: Annotated[Decimal, Field(gt=1)]

    @field_validator("multiplier", mode="before")
    @classmethod
    def _decimal_from_text(cls, value: Any) -> Any:
        return _exact_decimal(value, 'write multipliers as integers or decimal strings, e.g. "1.5"')


class FinePolicy(_Section):
    """Fines per carton by region kind, with repeat-offender multipliers."""

    lookback_days: PositiveInt
    per_carton_fen: Annotated[Mapping[RegionKind, NonNegativeInt], _AS_DICT]
    repeat_multipliers: tuple[RepeatMultiplier, ...]

    @field_validator("per_carton_fen", mode="before")
    @classmethod
    def _every_region_kind(cls, value: Any) -> Any:
        if isinstance(value, dict):
            missing = sorted(kind.value for kind in RegionKind if kind.value not in value)
            if missing:
                raise ValueError(f"missing region kinds: {', '.join(missing)}")
        return value

    _read_only_fines = field_validator("per_carton_fen")(_read_only)

    @field_validator("repeat_multipliers")
    @classmethod
    def _increasing(cls, value: tuple[RepeatMultiplier, ...]) -> tuple[RepeatMultiplier, ...]:
        for before, after in pairwise(value):
            if after.from_offence <= before.from_offence or after.multiplier < before.multiplier:
                raise ValueError(
                    "entries must be ordered by strictly increasing from_offence "
                    "with non-decreasing multipliers"
                )
        return value


class TransferPolicy(_Section):
    """Where the value of a diversion goes (SPEC §2.3)."""

    salesperson_side: SalespersonSide
    no_invaded_distributor: NoInvadedDistributor


class DismissalPolicy(_Section):
    """When the service recommends removing a salesperson from the post."""

    window_days: PositiveInt
    confirmed_violations: PositiveInt
    value_fen: PositiveInt


class MarketPolicy(_Section):
    """Markets where fines and transfers are advisory only."""

    advisory_region_codes: frozenset[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]]


class PricePolicy(_Section):
    """Price-floor handling."""

    missing_tier_floor: MissingTierFloor
    tolerance_bp: Annotated[int, Strict(), Field(ge=0, lt=10_000)]


def _ascending(values: tuple[int, ...], name: str) -> None:
    if list(values) != sorted(values):
        raise ValueError(f"{name} must be in ascending order")


class StarPolicy(_Section):
    """Five-star grading of distributors (SPEC §2.9)."""

    grade_points: Annotated[tuple[NonNegativeInt, ...], Field(min_length=5, max_length=5)]
    star_min_score_pct: Annotated[tuple[NonNegativeInt, ...], Field(min_length=4, max_length=4)]
    diversion_max_for_grade: Annotated[
        tuple[NonNegativeInt, ...], Field(min_length=4, max_length=4)
    ]
    price_violation_max_bp_for_grade: Annotated[
        tuple[NonNegativeInt, ...], Field(min_length=4, max_length=4)
    ]
    weights: Annotated[Mapping[Indicator, NonNegativeInt], _AS_DICT]
    completion_min_pct_for_grade: Annotated[
        tuple[NonNegativeInt, ...], Field(min_length=4, max_length=4)
    ] = (100, 90, 80, 60)
    """Least plan completion (credited sales / target, %) that earns grades 5, 4, 3 and 2."""
    growth_min_pct_for_grade: Annotated[
        tuple[Annotated[int, Strict()], ...], Field(min_length=4, max_length=4)
    ] = (20, 10, 0, -10)
    """Least growth of credited sales against the same month last year (%) for grades 5-2."""
    unpaid_fines_max_stars: Annotated[int, Strict(), Field(ge=1, le=5)] = 5
    """Most stars a distributor owing fines its deposit did not cover may hold (5: no cap)."""

    _read_only_weights = field_validator("weights")(_read_only)

    @model_validator(mode="after")
    def _consistent(self) -> StarPolicy:
        _ascending(self.grade_points, "grade_points")
        _ascending(self.diversion_max_for_grade, "diversion_max_for_grade")
        _ascending(self.price_violation_max_bp_for_grade, "price_violation_max_bp_for_grade")
        for name in ("completion_min_pct_for_grade", "growth_min_pct_for_grade"):
            values = getattr(self, name)
            if list(values) != sorted(values, reverse=True):
                raise ValueError(f"{name} must be in descending order (grade 5 first)")
        if list(self.star_min_score_pct) != sorted(self.star_min_score_pct, reverse=True):
            raise ValueError("star_min_score_pct must be in descending order (five stars first)")
        if self.grade_points[-1] == 0:
            raise ValueError("grade_points: the top grade must earn points")
        if set(self.weights) != set(Indicator):
            missing = sorted(i.value for i in Indicator if i not in self.weights)
            raise ValueError(f"weights: missing indicators: {', '.join(missing)}")
        return self


class ShipOutsideTerritory(StrEnum):
    """What a shipment (出库) to a party outside the carton's territory does."""

    REFUSE = "refuse"
    WARN_AND_OPEN = "warn_and_open"


class CustodyPolicy(_Section):
    """Checks at the hand-off (预警, SPEC §2.11)."""

    ship_outside_territory: ShipOutsideTerritory = ShipOutsideTerritory.REFUSE


class SubCustomerPolicy(_Section):
    """What a diverting sub-customer bears itself (SPEC §2.12); its distributor bears the
    transfer and the distributor's fine as before."""

    fine_per_carton_fen: NonNegativeInt = 0
    """Per diverted carton, only where the sub-customer signed an agreement; 0: no fine."""


class CreditPolicy(_Section):
    """The credit score (信誉测评) of sub-customers and distributors, from their violations."""

    start_points: PositiveInt = 100
    confirmed_points: NonNegativeInt = 20
    """What a confirmed violation costs when new."""
    pending_points: NonNegativeInt = 5
    """What an open or appealed violation costs when new (it may still be dismissed)."""
    per_carton_points: NonNegativeInt = 0
    """Added per carton beyond the first, so that dumping a truckload costs more than a box."""
    half_life_days: PositiveInt = 180
    """A violation's cost halves every this many days: old breaches fade, repeated ones add up."""
    revocation_threshold: NonNegativeInt = 60
    """At or below this score, revoking the authorized-dealer certificate is recommended."""

    @model_validator(mode="after")
    def _threshold_below_start(self) -> CreditPolicy:
        if self.revocation_threshold >= self.start_points:
            raise ValueError("revocation_threshold must be below start_points")
        return self


class ConsumerPolicy(_Section):
    """Public verifications as sightings (SPEC §2.13): weak signals, never verdicts."""

    clone_speed_kmh: PositiveInt = 800
    """Consumers fly: two verifications further apart than this speed allows suggest a copy."""
    clone_min_distance_km: NonNegativeInt = 50
    """Places are coarse (about 1 km, or a picked city): closer than this is never a clone."""
    out_of_region_min_km: NonNegativeInt = 30
    """A verification this far outside the code's territory is a suspected diversion."""
    max_sightings_per_code: PositiveInt = 100
    """Sightings stored per code; past it only the code's count goes on (a hammered code must
    not grow the table without end)."""


def _decimal_text(value: Any) -> Any:
    return _exact_decimal(value, 'write rates as decimal strings, e.g. "0.02"')


class RateTier(_Section):
    """From this much credited sales in a period (fen) on, this rate applies to all of it."""

    from_fen: NonNegativeInt
    rate: Annotated[Decimal, Field(ge=0, lt=1)]

    _rate_text = field_validator("rate", mode="before")(_decimal_text)


RateSchedule = tuple[RateTier, ...]


def _check_schedule(tiers: RateSchedule, name: str) -> None:
    if not tiers:
        return
    if tiers[0].from_fen != 0:
        raise ValueError(f"{name}: the first tier must start at from_fen = 0")
    for before, after in pairwise(tiers):
        if after.from_fen <= before.from_fen or after.rate < before.rate:
            raise ValueError(
                f"{name}: tiers must have strictly increasing from_fen and non-decreasing rates"
            )


class RebatePolicy(_Section):
    """Volume rebates (返利) for distributors and commissions (提成) for salespeople on their
    credited sales per period (SPEC §2.14). Empty: nobody is paid on volume."""

    distributor_tiers: RateSchedule = ()
    salesperson_tiers: RateSchedule = ()

    @model_validator(mode="after")
    def _schedules(self) -> RebatePolicy:
        _check_schedule(self.distributor_tiers, "distributor_tiers")
        _check_schedule(self.salesperson_tiers, "salesperson_tiers")
        return self


class DepositPolicy(_Section):
    """Deposits (保证金, SPEC §2.15): whether confirmed fines are taken from them."""

    fines_from_deposit: StrictBool = False


class SanctionPolicy(_Section):
    """The sanctions ladder: the n-th confirmed diversion of a distributor within `window_days`
    takes step n of `ladder` (the last step repeats). Empty ladder: no sanctions."""

    window_days: PositiveInt = 365
    ladder: tuple[SanctionStep, ...] = ()
    deposit_deduction_fen: NonNegativeInt = 0
    """What the deposit_deduction step takes from the deposit, beyond the fine."""
    rebate_cut_pct: Annotated[int, Strict(), Field(ge=0, le=100)] = 0
    """How much of the period's rebate the rebate_cut step withholds."""

    @field_validator("ladder")
    @classmethod
    def _climbs(cls, value: tuple[SanctionStep, ...]) -> tuple[SanctionStep, ...]:
        order = list(SanctionStep)
        ranks = [order.index(step) for step in value]
        if ranks != sorted(ranks):
            raise ValueError("ladder steps must climb: " + ", ".join(s.value for s in order))
        return value


class PriceCasePolicy(_Section):
    """Price disorder (乱价) as cases against the seller (SPEC §2.16). Off: a price below the
    floor stays a finding on the scan, as before 2026-12-20."""

    open_cases: StrictBool = False
    fine_per_carton_fen: NonNegativeInt = 0
    """The seller's distributor's fine per underpriced carton, only with an agreement on file;
    repeat offences within `fines.lookback_days` take `fines.repeat_multipliers`."""
    sub_customer_fine_per_carton_fen: NonNegativeInt = 0
    """A selling sub-customer's own fine per carton, only under its own agreement."""


class SalespersonPolicy(_Section):
    """What a diverting salesperson bears itself (SPEC §2.2): a fine per diverted carton and the
    dismissal recommendation, both only with its own agreement on file."""

    fine_per_carton_fen: NonNegativeInt = 0
