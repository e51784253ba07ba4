"""Evidence photos, stored once per content hash under the photo directory."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from app.models import Photo

CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def store_photo(session: Session, *, data: bytes, sha256: str, fmt: str, photo_dir: str) -> None:
    """Write the photo (atomically, once) under its SHA-256 and record it."""
    target = Path(photo_dir) / sha256[:2] / sha256
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    if session.get(Photo, sha256) is None:
        session.add(
            Photo(
                sha256=sha256,
                content_type=CONTENT_TYPES.get(fmt.lower(), "application/octet-stream"),
                size_bytes=len(data),
            )
        )
        session.flush()
