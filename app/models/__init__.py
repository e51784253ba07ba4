"""Every ORM class, imported here so that alembic sees the whole schema."""

from app.models.audit import AuditEntry
from app.models.checkpoint import Checkpoint
from app.models.party import Distributor, Salesperson, Tier, distributor_region
from app.models.product import Product
from app.models.region import Region, RegionKind
from app.models.user import ApiToken, Role, User

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Checkpoint",
    "Distributor",
    "Product",
    "Region",
    "RegionKind",
    "Role",
    "Salesperson",
    "Tier",
    "User",
    "distributor_region",
]
