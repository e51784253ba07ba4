"""The one place that decides which parties' data a caller may read.

Staff (admin, HQ auditors) see everything. A distributor sees only itself and its own
sub-customers. A salesperson sees itself, the distributors it serves (and their sub-customers)
and the regions under its own. A sub-customer sees only itself and what names it. Inspectors see
no party data. Every read of distributor, salesperson or sub-customer data goes through
`visibility()`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.models import Distributor, PartyType, Role, Salesperson, SubCustomer, Violation
from app.regions.tree import region_tree


@dataclass(frozen=True)
class Visibility:
    everything: bool
    distributor_ids: frozenset[int] = frozenset()
    salesperson_ids: frozenset[int] = frozenset()
    region_ids: frozenset[int] = frozenset()
    sub_customer_ids: frozenset[int] = frozenset()
    """Sub-customers seen by themselves; a distributor's are seen through `distributor_ids`."""

    def distributor(self, distributor_id: int | None) -> bool:
        return self.everything or distributor_id in self.distributor_ids

    def salesperson(self, salesperson_id: int | None) -> bool:
        return self.everything or salesperson_id in self.salesperson_ids

    def region(self, region_id: int | None) -> bool:
        return self.everything or region_id in self.region_ids

    def sub_customer(self, sub_customer_id: int | None, distributor_id: int | None) -> bool:
        """A sub-customer: staff, the sub-customer itself, and those who see its distributor."""
        return (
            self.everything
            or sub_customer_id in self.sub_customer_ids
            or distributor_id in self.distributor_ids
        )


def visibility(session: Session, principal: Principal) -> Visibility:
    if principal.is_staff:
        return Visibility(everything=True)
    if principal.role is Role.distributor and principal.distributor_id is not None:
        return Visibility(everything=False, distributor_ids=frozenset({principal.distributor_id}))
    if principal.role is Role.salesperson and principal.salesperson_id is not None:
        sp = session.get(Salesperson, principal.salesperson_id)
        customers = session.scalars(
            select(Distributor.id).where(Distributor.salesperson_id == principal.salesperson_id)
        )
        return Visibility(
            everything=False,
            distributor_ids=frozenset(customers),
            salesperson_ids=frozenset({principal.salesperson_id}),
            region_ids=region_tree(session).subtree(sp.region_id) if sp else frozenset(),
        )
    if principal.role is Role.sub_customer and principal.sub_customer_id is not None:
        return Visibility(everything=False, sub_customer_ids=frozenset({principal.sub_customer_id}))
    return Visibility(everything=False)


def sub_customer_filter(vis: Visibility) -> ColumnElement[bool]:
    """The sub-customers a caller may see."""
    if vis.everything:
        return true()
    return or_(
        SubCustomer.id.in_(vis.sub_customer_ids),
        SubCustomer.distributor_id.in_(vis.distributor_ids),
    )


def violation_filter(vis: Visibility) -> ColumnElement[bool]:
    """The violations a caller may see: those it is a party to (a sub-customer: those naming
    it), or (a salesperson) those of its customers and found in its regions. Inspectors see
    none: they get verdicts at scan time."""
    if vis.everything:
        return true()
    return or_(
        Violation.diverting_sub_customer_id.in_(vis.sub_customer_ids),
        Violation.diverting_distributor_id.in_(vis.distributor_ids),
        Violation.invaded_distributor_id.in_(vis.distributor_ids),
        Violation.diverting_salesperson_id.in_(vis.salesperson_ids),
        Violation.invaded_salesperson_id.in_(vis.salesperson_ids),
        Violation.region_id.in_(vis.region_ids),
    )


def ledger_parties(
    session: Session, principal: Principal
) -> frozenset[tuple[PartyType, str]] | None:
    """Whose ledger rows a caller may read: None means every party (staff); a distributor or a
    salesperson reads only its own rows, not its customers'."""
    if principal.is_staff:
        return None
    if principal.role is Role.distributor and principal.distributor_id is not None:
        code = session.scalar(
            select(Distributor.code).where(Distributor.id == principal.distributor_id)
        )
        return frozenset({(PartyType.DISTRIBUTOR, code)}) if code else frozenset()
    if principal.role is Role.salesperson and principal.salesperson_id is not None:
        code = session.scalar(
            select(Salesperson.code).where(Salesperson.id == principal.salesperson_id)
        )
        return frozenset({(PartyType.SALESPERSON, code)}) if code else frozenset()
    return frozenset()
