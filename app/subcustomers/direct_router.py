"""Direct retail accounts on the API: HQ registers them, assigns their wholesaler from a date
and records their sales; a distributor reads the accounts credited to it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel

from app.auth.deps import Admin, require
from app.auth.principal import Principal
from app.auth.visibility import visibility
from app.common.types import Code
from app.db import DbSession, utcnow
from app.models import Role
from app.subcustomers import direct
from app.subcustomers.direct import (
    AssignIn,
    DirectAccountIn,
    DirectAccountOut,
    DirectSaleIn,
    DirectSaleOut,
)

router = APIRouter(prefix="/direct-accounts", tags=["direct-accounts"])
Reader = Annotated[Principal, Depends(require(Role.admin, Role.hq_auditor, Role.distributor))]


class DirectAccountList(BaseModel):
    items: list[DirectAccountOut]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_direct_account(
    body: DirectAccountIn, session: DbSession, who: Admin
) -> DirectAccountOut:
    """A shop served by the company's office, credited to a wholesaler from `effective_from`."""
    return direct.create(session, data=body, actor=who.username, now=utcnow())


@router.get("")
def list_direct_accounts(session: DbSession, who: Reader) -> DirectAccountList:
    return DirectAccountList(
        items=direct.list_accounts(session, vis=visibility(session, who), now=utcnow())
    )


@router.get("/{code}")
def get_direct_account(code: Code, session: DbSession, who: Reader) -> DirectAccountOut:
    return direct.get(session, code=code, vis=visibility(session, who), now=utcnow())


@router.post("/{code}/wholesaler")
def assign_wholesaler(
    code: Code, body: AssignIn, session: DbSession, who: Admin
) -> DirectAccountOut:
    """From `effective_from` on, the account's sales go to this wholesaler; earlier sales keep
    theirs."""
    return direct.assign(session, code=code, data=body, actor=who.username, now=utcnow())


@router.post("/{code}/sales", status_code=status.HTTP_201_CREATED)
def record_direct_sale(
    code: Code, body: DirectSaleIn, session: DbSession, who: Admin
) -> DirectSaleOut:
    """A sale by the company's office: credited to the wholesaler assigned at `sold_at`."""
    return direct.record_sale(session, code=code, data=body, actor=who.username)
