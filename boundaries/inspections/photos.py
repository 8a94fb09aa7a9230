"""Photos of inspection observations: JPEG or PNG only (checked by their first bytes, not their name), at most
``photo_max_bytes``; the file is stored under the photo folder named by its SHA-256, the database keeps the
record (domain logic; no web framework here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from boundaries.inspections import queries
from core import audit
from core.errors import Conflict, InvalidInput, NotFound
from core.files import check_image, write_once
from core.settings import PhotoSettings

MAX_PHOTOS = 20


def add_photo(
    conn: Connection,
    campaign_id: int,
    submission_id: str,
    seq: int,
    content: bytes,
    *,
    declared_type: str,
    original_name: str = "",
    photos: PhotoSettings,
    actor: str,
) -> tuple[dict[str, Any], bool]:
    """Attach photo number ``seq`` to the observation sent as ``submission_id``; returns its record and whether it
    is new. The same photo sent again returns the stored record; another photo under that number is refused."""
    observation = queries.observation_by_submission(conn, submission_id)
    if observation is None or observation["campaign_id"] != campaign_id:
        raise NotFound(f"no observation {submission_id!r} in inspection campaign {campaign_id}")
    if not 1 <= seq <= MAX_PHOTOS:
        raise InvalidInput(f"photo number {seq} must be 1–{MAX_PHOTOS}")
    image = check_image(
        content, max_bytes=photos.photo_max_bytes, declared_type=declared_type, original_name=original_name
    )
    digest = image.sha256
    relative = f"{campaign_id}/{image.file_name}"
    values = {
        "observation_id": observation["id"],
        "seq": seq,
        "media_type": image.media_type,
        "size_bytes": image.size_bytes,
        "sha256": digest,
        "path": relative,
        "original_name": original_name,
        "uploaded_by": actor,
    }
    photo_id = queries.insert_photo(conn, values)
    if photo_id is None:
        stored = queries.photo_by_seq(conn, observation["id"], seq)
        assert stored is not None  # the insert found it
        if stored["sha256"] == digest:
            return _photo_out(stored), False
        raise Conflict(f"observation {submission_id} already has another photo number {seq} ({stored['sha256']})")
    write_once(photos.photo_dir / relative, content)
    audit.record(
        conn, actor=actor, action="create", object_type="observation_photo", object_id=str(photo_id), after=values
    )
    row = queries.photo(conn, photo_id)
    return _photo_out(row), True


def _photo_out(row: Any) -> dict[str, Any]:
    out = {k: row[k] for k in ("id", "submission_id", "seq", "media_type", "size_bytes", "sha256", "original_name")}
    out.update(uploaded_by=row["uploaded_by"], uploaded_at=row["uploaded_at"])
    out["url"] = f"/api/v1/boundaries/inspections/{row['campaign_id']}/photos/{row['id']}"
    return out


def campaign_photos(conn: Connection, campaign_id: int) -> list[dict[str, Any]]:
    """The photos of a campaign's observations."""
    return [_photo_out(row) for row in queries.campaign_photos(conn, campaign_id)]


def photo_file(conn: Connection, campaign_id: int, photo_id: int, photos: PhotoSettings) -> tuple[Path, str]:
    """The stored file of a photo and its media type."""
    row = queries.photo(conn, photo_id)
    if row is None or row["campaign_id"] != campaign_id:
        raise NotFound(f"no photo {photo_id} in inspection campaign {campaign_id}")
    path = photos.photo_dir / row["path"]
    if not path.is_file():
        raise NotFound(f"the file of photo {photo_id} ({row['path']}) is missing from the photo folder")
    return path, row["media_type"]
