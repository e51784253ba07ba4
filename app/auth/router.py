from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.deps import CurrentPrincipal
from app.auth.principal import Principal
from app.db import DbSession
from app.models import Distributor, Salesperson
from app.users.service import names_by_id


class MeOut(BaseModel):
    username: str
    display_name: str | None = None
    """What the pages call the caller: their own name, else their party's name, else the
    username."""
    role: str
    distributor_code: str | None
    salesperson_code: str | None


router = APIRouter(tags=["auth"])


def _code(session: Session, model: type[Distributor | Salesperson], pk: int | None) -> str | None:
    if pk is None:
        return None
    code = session.scalar(select(model.code).where(model.id == pk))
    return str(code) if code is not None else None


@router.get("/me")
def me(who: CurrentPrincipal, session: DbSession) -> MeOut:
    """Who the token belongs to: the web pages use it to pick what to show."""
    return me_of(session, who)


def me_of(session: Session, who: Principal) -> MeOut:
    person = names_by_id(session, [who.user_id]).get(who.user_id)
    return MeOut(
        username=who.username,
        display_name=person.display_name if person else who.username,
        role=who.role.value,
        distributor_code=_code(session, Distributor, who.distributor_id),
        salesperson_code=_code(session, Salesperson, who.salesperson_id),
    )
