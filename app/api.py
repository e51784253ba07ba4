"""Mounts every domain router under /api/v1."""

from fastapi import APIRouter

from app.audit.router import router as audit_router
from app.auth.deps import AUTH_RESPONSES
from app.auth.router import router as auth_router
from app.auth.signin_router import router as signin_router
from app.checkpoints.router import router as checkpoints_router
from app.codes.router import router as codes_router
from app.custody.router import router as custody_router
from app.distributors.router import router as distributors_router
from app.errors import ERROR_RESPONSES
from app.inbox.router import router as inbox_router
from app.ledger.deposits import router as deposits_router
from app.ledger.router import router as ledger_router
from app.maps.router import router as maps_router
from app.products.router import router as products_router
from app.regions.router import router as regions_router
from app.reports.router import router as reports_router
from app.salespeople.router import router as salespeople_router
from app.scans.router import router as scans_router
from app.scratched.router import router as scratched_router
from app.squads.router import router as squads_router
from app.subcustomers.direct_router import router as direct_accounts_router
from app.subcustomers.router import router as subcustomers_router
from app.users.router import router as users_router
from app.vehicles.router import router as vehicles_router
from app.verify.router import signals_router
from app.violations.router import router as violations_router
from app.waybills.router import router as waybills_router

# Every route may answer 401/429 (sign-in) and the errors any input can cause.
api_router = APIRouter(
    prefix="/api/v1",
    responses={
        status: {**ERROR_RESPONSES.get(status, {}), **AUTH_RESPONSES.get(status, {})}
        for status in {*ERROR_RESPONSES, *AUTH_RESPONSES}
    },
)
# Scans first: a route is found by trying each in order, and scans are most of the traffic.
for r in (
    scans_router,
    auth_router,
    signin_router,
    regions_router,
    salespeople_router,
    distributors_router,
    products_router,
    checkpoints_router,
    codes_router,
    waybills_router,
    scratched_router,
    custody_router,
    violations_router,
    subcustomers_router,
    direct_accounts_router,
    ledger_router,
    deposits_router,
    reports_router,
    maps_router,
    inbox_router,
    audit_router,
    signals_router,
    vehicles_router,
    squads_router,
    users_router,
):
    api_router.include_router(r)
