"""Decode every barcode in an uploaded photo, refusing hostile files before any pixel is decoded.

The work lives in app/codes/decoding (readers, checks, retries, the stack); this module keeps
the names its callers import.
"""

from __future__ import annotations

from app.codes.decoding.readers import (
    MAX_BYTES,
    MAX_PIXELS,
    PYZBAR,
    ZXING,
    DecodedSymbol,
    ImageRejected,
    _Hit,
    open_grayscale,
    pyzbar_symbols,
    sniff_format,
    zxing_symbols,
)
from app.codes.decoding.stack import decode_grayscale, decode_image
from app.codes.decoding.validate import _agreed, _checked, _unsure, _weak

__all__ = [
    "MAX_BYTES",
    "MAX_PIXELS",
    "PYZBAR",
    "ZXING",
    "DecodedSymbol",
    "ImageRejected",
    "_Hit",
    "_agreed",
    "_checked",
    "_unsure",
    "_weak",
    "decode_grayscale",
    "decode_image",
    "open_grayscale",
    "pyzbar_symbols",
    "sniff_format",
    "zxing_symbols",
]
