"""Every ORM class, imported here so that alembic sees the whole schema."""

from app.models.audit import AuditCheckpoint, AuditEntry, AuditLeaf, AuditLogState
from app.models.checkpoint import Checkpoint
from app.models.code import Carton, CartonStatus, CodeBatch, ItemCode, Pallet
from app.models.consumer import ConsumerSignal, PublicVerification
from app.models.direct import DirectAccount, DirectAccountAssignment
from app.models.inbox import InboxRead
from app.models.ledger import (
    AccountKind,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    PeriodClose,
)
from app.models.party import Distributor, Salesperson, distributor_region
from app.models.product import Product
from app.models.region import Region
from app.models.report import SalesTarget, ScorecardGrade
from app.models.sanction import Sanction
from app.models.scan import IdempotencyKey, Photo, Scan
from app.models.scratched import ScratchedCarton
from app.models.subcustomer import CustodyEvent, SubCustomer
from app.models.transport import (
    Squad,
    Vehicle,
    WaybillInspection,
    WebhookRelayCursor,
    squad_checkpoint,
    squad_inspector,
    squad_salesperson,
    vehicle_distributor,
)
from app.models.user import ApiToken, Role, SignInTicket, User
from app.models.violation import Violation, ViolationCarton, ViolationEvent
from app.models.waybill import (
    Notification,
    Waybill,
    WaybillCarton,
    WaybillStatus,
    WaybillStop,
    WebhookDelivery,
)

# The vocabulary is defined once, in rules/vocab.py; it is re-exported here for the models' users.
from rules.vocab import (
    CustodyKind,
    CustodyParty,
    PartyType,
    RegionKind,
    SanctionStep,
    SubCustomerStatus,
    SubCustomerTier,
    Tier,
    ViolationKind,
    ViolationStatus,
)

__all__ = [
    "AccountKind",
    "ApiToken",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditLeaf",
    "AuditLogState",
    "Carton",
    "CartonStatus",
    "Checkpoint",
    "CodeBatch",
    "ConsumerSignal",
    "CustodyEvent",
    "CustodyKind",
    "CustodyParty",
    "DirectAccount",
    "DirectAccountAssignment",
    "Distributor",
    "IdempotencyKey",
    "InboxRead",
    "ItemCode",
    "JournalEntry",
    "JournalLine",
    "LedgerAccount",
    "Notification",
    "Pallet",
    "PartyType",
    "PeriodClose",
    "Photo",
    "Product",
    "PublicVerification",
    "Region",
    "RegionKind",
    "Role",
    "SalesTarget",
    "Salesperson",
    "Sanction",
    "SanctionStep",
    "Scan",
    "ScorecardGrade",
    "ScratchedCarton",
    "SignInTicket",
    "Squad",
    "SubCustomer",
    "SubCustomerStatus",
    "SubCustomerTier",
    "Tier",
    "User",
    "Vehicle",
    "Violation",
    "ViolationCarton",
    "ViolationEvent",
    "ViolationKind",
    "ViolationStatus",
    "Waybill",
    "WaybillCarton",
    "WaybillInspection",
    "WaybillStatus",
    "WaybillStop",
    "WebhookDelivery",
    "WebhookRelayCursor",
    "distributor_region",
    "squad_checkpoint",
    "squad_inspector",
    "squad_salesperson",
    "vehicle_distributor",
]
