"""Waybill tests reuse the scans world: demo data, cartons issued per region."""

from tests.scans.conftest import world

__all__ = ["world"]
