"""The evidence dossier of a violation: one zh-CN PDF that a lawyer or a market-regulation office
can read without the service, and whose audit proofs they can check themselves.

It shows the carton codes and their signature check, the custody chain, every scan (time, place,
a map drawn from the regions' own boundaries, the photos), the decisions with their notes and the
audit-log entries about the case, each with its Merkle inclusion proof against the latest signed
checkpoint. The same proofs travel inside the PDF as an attached JSON file
(`channelguard-proof.json`), which `channelguard audit verify-dossier` checks: each entry's leaf
recomputed from its content, each inclusion proof, and the checkpoint's Ed25519 signature."""

from __future__ import annotations

from app.violations.dossier.facts import (
    CartonFacts,
    CustodyFacts,
    DossierData,
    ScanFacts,
    gather,
)
from app.violations.dossier.labels import PROOF_FORMAT, PROOF_NAME
from app.violations.dossier.pdf import build, draw, render
from app.violations.dossier.proofs import (
    BundleReport,
    against_log,
    attach,
    proof_bundle,
    read_bundle,
    verify_bundle,
)

__all__ = [
    "PROOF_FORMAT",
    "PROOF_NAME",
    "BundleReport",
    "CartonFacts",
    "CustodyFacts",
    "DossierData",
    "ScanFacts",
    "against_log",
    "attach",
    "build",
    "draw",
    "gather",
    "proof_bundle",
    "read_bundle",
    "render",
    "verify_bundle",
]
