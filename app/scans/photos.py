"""Evidence photos, stored once per content hash under the photo directory."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from app.models import Photo

CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def store_photo(session: Session, *, data: bytes, fmt: str, photo_dir: str) -> str:
    """Write the photo (atomically, once) and record it; returns its SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    target = Path(photo_dir) / digest[:2] / digest
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    if session.get(Photo, digest) is None:
        session.add(
            Photo(
                sha256=digest,
                content_type=CONTENT_TYPES.get(fmt.lower(), "application/octet-stream"),
                size_bytes=len(data),
            )
        )
        session.flush()
    return digest
