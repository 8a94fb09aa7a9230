"""Place-name signs (地名标志): the inventory, its photos, CSV import and the check the office's sign-standardization
campaigns (地名标志规范化设置) work from (domain logic; no web framework here).

A sign names a place-name record; what it prints is checked against the current standard name of that place and
the romanization the project's romanizer gives it (rules in gazetteer/signs/rules.py). Locations are stored in
EPSG:4490 from any accepted CRS; every public answer shows a sign of a non-public place only at the generalised
location the registry gives (gazetteer.queries.public_location).
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core import audit
from core.crs import parse_crs
from core.database import hold_import_lock
from core.errors import Conflict, InvalidInput, NotFound, Unauthorized
from core.files import check_image, write_once
from core.imports import ImportReport, Rejected, enforce_all_or_nothing, file_checksum, has_control_characters, read_csv
from core.settings import PhotoSettings
from core.values import GeoPoint, normalize_code, parse_date, significant_code
from gazetteer.search import queries as search_queries
from gazetteer.signs import queries as sign_queries
from gazetteer.signs.models import SIGN_CONDITIONS

MAX_INVENTORY_NO = 50
MAX_PRINTED_NAME = 100
MAX_PRINTED_ROMANIZATION = 200
MAX_NOTES = 1000
PHOTO_FOLDER = "signs"
IMPORT_REQUIRED = ("inventory_no", "place_name_id", "printed_name", "condition", "lon", "lat")
IMPORT_OPTIONAL = ("printed_romanization", "installed_on", "notes")
EDITABLE = ("place_name_id", "printed_name", "printed_romanization", "condition", "installed_on", "notes")


# --- validation ------------------------------------------------------------------------------------
def _text(value: Any, field: str, limit: int, *, required: bool) -> str | None:
    clean = "" if value is None else str(value).strip()
    if not clean:
        if required:
            raise InvalidInput(f"{field} is empty")
        return None
    if has_control_characters(clean):
        raise InvalidInput(f"{field} {clean!r} contains control characters")
    if len(clean) > limit:
        raise InvalidInput(f"{field} is {len(clean)} characters long; at most {limit} are accepted")
    return clean


def _place_id(value: Any) -> int:
    raw = str(value).strip() if value is not None else ""
    if not raw.isdigit() or not 1 <= int(raw) < 2**63:
        raise InvalidInput(f"place_name_id {value!r} is not a place-name id (a positive whole number)")
    return int(raw)


def _condition(value: Any) -> str:
    clean = str(value or "").strip().lower()
    if clean not in SIGN_CONDITIONS:
        raise InvalidInput(f"condition {value!r} is not one of {', '.join(SIGN_CONDITIONS)}")
    return clean


def _installed_on(value: Any) -> date | None:
    day = parse_date(value if value not in ("", None) else None, "installed_on")
    if day is not None and day > date.today():
        raise InvalidInput(f"installed_on {day} lies in the future")
    return day


def _point(lon: Any, lat: Any, crs: str) -> GeoPoint:
    values = []
    for label, raw in (("lon", lon), ("lat", lat)):
        try:
            values.append(float(str(raw).strip()))
        except ValueError:
            raise InvalidInput(f"{label} {raw!r} is not a number") from None
    point = GeoPoint.from_input(values[0], values[1], crs)
    if not (73 <= point.lon <= 136 and 3 <= point.lat <= 54):
        raise InvalidInput(f"point ({values[0]}, {values[1]}) in {crs} lies far outside China — wrong CRS?")
    return point


def _ewkt(point: GeoPoint) -> str:
    return f"SRID=4490;POINT({point.lon!r} {point.lat!r})"


def _fields(raw: dict[str, Any]) -> dict[str, Any]:
    """The validated sign fields present in ``raw`` (InvalidInput naming the first bad value)."""
    checks = {
        "inventory_no": lambda v: _text(v, "inventory_no", MAX_INVENTORY_NO, required=True),
        "place_name_id": _place_id,
        "printed_name": lambda v: _text(v, "printed_name", MAX_PRINTED_NAME, required=True),
        "printed_romanization": lambda v: _text(v, "printed_romanization", MAX_PRINTED_ROMANIZATION, required=False),
        "condition": _condition,
        "installed_on": _installed_on,
        "notes": lambda v: _text(v, "notes", MAX_NOTES, required=False),
    }
    return {field: check(raw[field]) for field, check in checks.items() if field in raw}


def _require_place(conn: Connection, place_name_id: int) -> None:
    if sign_queries.place_record(conn, place_name_id) is None:
        raise InvalidInput(f"place_name_id {place_name_id} is not a place-name record")


# --- records ---------------------------------------------------------------------------------------
def _sign_out(row: Any) -> dict[str, Any]:
    photo = None
    if row["photo_sha256"]:
        photo = {
            "sha256": row["photo_sha256"],
            "media_type": row["photo_media_type"],
            "size_bytes": row["photo_size_bytes"],
            "name": row["photo_name"],
            "url": f"/api/v1/signs/{row['id']}/photo",
        }
    return {
        "id": row["id"],
        "inventory_no": row["inventory_no"],
        "place_name_id": row["place_name_id"],
        "place_name": row["place_name"],
        "printed_name": row["printed_name"],
        "printed_romanization": row["printed_romanization"],
        "condition": row["condition"],
        "installed_on": row["installed_on"],
        "point": {
            "lon": row["lon"],
            "lat": row["lat"],
            "crs": "EPSG:4490",
            "generalised": row["secrecy"] != "public",
        },
        "source_crs": row["source_crs"],
        "notes": row["notes"],
        "photo": photo,
        "version": row["version"],
        "updated_at": row["updated_at"],
    }


def get_sign(conn: Connection, sign_id: int) -> dict[str, Any]:
    """One sign (its location generalised when the place it names is not public)."""
    row = sign_queries.sign_by_id(conn, sign_id)
    if row is None:
        raise NotFound(f"no sign with id {sign_id}")
    return _sign_out(row)


def _unit_prefix(conn: Connection, unit: str | None) -> str | None:
    if unit is None:
        return None
    code = normalize_code(unit)
    if boundaries.find_unit(conn, code) is None and not search_queries.unit_names(conn, [code], None):
        raise InvalidInput(f"unit {unit!r} is not a known unit code")
    return significant_code(code)


def list_signs(
    conn: Connection,
    *,
    unit: str | None = None,
    place_name_id: int | None = None,
    condition: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """Signs in inventory order, optionally within a unit (of the place named), of one place, in one condition."""
    if not 1 <= limit <= 1000 or not 0 <= offset <= 1_000_000:
        raise InvalidInput(f"limit {limit} / offset {offset} out of range (limit 1–1000, offset 0–1,000,000)")
    rows = sign_queries.list_signs(
        conn,
        unit_prefix=_unit_prefix(conn, unit),
        place_name_id=place_name_id,
        condition=None if condition is None else _condition(condition),
        limit=limit + 1,
        offset=offset,
    )
    return {
        "count": min(len(rows), limit),
        "offset": offset,
        "more": len(rows) > limit,
        "results": [_sign_out(r) for r in rows[:limit]],
    }


def create_sign(
    conn: Connection, *, values: dict[str, Any], lon: float, lat: float, crs: str, actor: str
) -> dict[str, Any]:
    """Register a sign (inventory number, place, printed text, condition, install date, location in ``crs``)."""
    source_crs = parse_crs(crs)
    missing = [f for f in ("inventory_no", "place_name_id", "printed_name", "condition") if values.get(f) is None]
    if missing:
        raise InvalidInput(f"missing field(s): {', '.join(missing)}")
    unknown = set(values) - set(EDITABLE) - {"inventory_no"}
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}")
    fields = _fields(values)
    point = _point(lon, lat, source_crs)
    _require_place(conn, fields["place_name_id"])
    if sign_queries.signs_by_inventory(conn, [fields["inventory_no"]]):
        raise Conflict(f"inventory_no {fields['inventory_no']!r} is already registered")
    sign_id = sign_queries.insert_sign(conn, {**fields, "source_crs": source_crs}, _ewkt(point))
    audit.record(
        conn,
        actor=actor,
        action="create",
        object_type="place_sign",
        object_id=str(sign_id),
        after={**fields, "source_crs": source_crs, "point": _ewkt(point)},
    )
    return get_sign(conn, sign_id)


def _stored(conn: Connection, sign_id: int, version: int) -> Any:
    row = sign_queries.sign_for_update(conn, sign_id)
    if row is None:
        raise NotFound(f"no sign with id {sign_id}")
    if row["version"] != version:
        raise Conflict(
            f"sign {sign_id} is at version {row['version']}, not {version}: reload it and apply the change again",
            extra={"current_version": row["version"]},
        )
    return row


def _audit_fields(row: Any) -> dict[str, Any]:
    return {k: row[k] for k in (*sign_queries.WRITABLE, "version", "lon", "lat", *sign_queries.PHOTO_FIELDS)}


def update_sign(
    conn: Connection,
    sign_id: int,
    *,
    version: int,
    changes: dict[str, Any],
    point: tuple[float, float, str] | None = None,
    actor: str,
) -> dict[str, Any]:
    """Change a sign read at ``version`` (fields of EDITABLE, and the location as (x, y, crs)); a stale version is
    refused with 409 and nothing changes. The inventory number does not change."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"field(s) {', '.join(sorted(unknown))} cannot be changed; editable: {', '.join(EDITABLE)}")
    if not changes and point is None:
        raise InvalidInput("nothing to change")
    fields = _fields(changes)
    for required in ("printed_name", "condition"):
        if required in changes and fields[required] is None:
            raise InvalidInput(f"{required} cannot be removed")
    located = None
    if point is not None:
        source_crs = parse_crs(point[2])
        located = _point(point[0], point[1], source_crs)
        fields["source_crs"] = source_crs
    if "place_name_id" in fields:
        _require_place(conn, fields["place_name_id"])
    row = _stored(conn, sign_id, version)
    if not sign_queries.update_sign(conn, sign_id, version, fields, _ewkt(located) if located else None):
        raise Conflict(f"sign {sign_id} changed meanwhile: reload it")
    after = {**fields, **({"point": _ewkt(located)} if located else {})}
    audit.record(
        conn,
        actor=actor,
        action="update",
        object_type="place_sign",
        object_id=str(sign_id),
        before=_audit_fields(row),
        after=after,
    )
    return get_sign(conn, sign_id)


# --- photos ----------------------------------------------------------------------------------------
def set_photo(
    conn: Connection,
    sign_id: int,
    content: bytes,
    *,
    version: int,
    declared_type: str = "",
    original_name: str = "",
    photos: PhotoSettings,
    actor: str,
) -> tuple[dict[str, Any], bool]:
    """Attach the sign's photo (JPEG or PNG by its content, at most ``photo_max_bytes``; SHA-256 recorded, the file
    stored once under the photo folder outside the database). Returns the sign and whether it changed; the same
    photo again changes nothing, another one replaces it (at ``version``; stale → 409)."""
    image = check_image(
        content, max_bytes=photos.photo_max_bytes, declared_type=declared_type, original_name=original_name
    )
    row = sign_queries.sign_for_update(conn, sign_id)
    if row is None:
        raise NotFound(f"no sign with id {sign_id}")
    if row["photo_sha256"] == image.sha256:
        return get_sign(conn, sign_id), False
    row = _stored(conn, sign_id, version)
    relative = f"{PHOTO_FOLDER}/{image.file_name}"
    values = {
        "photo_sha256": image.sha256,
        "photo_media_type": image.media_type,
        "photo_size_bytes": image.size_bytes,
        "photo_path": relative,
        "photo_name": original_name or None,
    }
    if not sign_queries.update_sign(conn, sign_id, version, values):
        raise Conflict(f"sign {sign_id} changed meanwhile: reload it")
    write_once(photos.photo_dir / relative, content)
    audit.record(
        conn,
        actor=actor,
        action="photo",
        object_type="place_sign",
        object_id=str(sign_id),
        before={k: row[k] for k in sign_queries.PHOTO_FIELDS},
        after=values,
    )
    return get_sign(conn, sign_id), True


def photo_file(conn: Connection, sign_id: int, *, with_key: bool, photos: PhotoSettings) -> tuple[Path, str]:
    """The stored photo of a sign and its media type. The photo of a sign naming a non-public place may show where
    it stands (and carry the camera's GPS position): it is given to key holders only."""
    row = sign_queries.photo_of(conn, sign_id)
    if row is None:
        raise NotFound(f"no sign with id {sign_id}")
    if row["photo_path"] is None:
        raise NotFound(f"sign {sign_id} has no photo")
    if row["secrecy"] != "public" and not with_key:
        raise Unauthorized(f"sign {sign_id} names a place that is not public: its photo needs an API key")
    path = photos.photo_dir / row["photo_path"]
    if not path.is_file():
        raise NotFound(
            f"the file of the photo of sign {sign_id} ({row['photo_path']}) is missing from the photo folder"
        )
    return path, row["photo_media_type"]


# --- import ----------------------------------------------------------------------------------------
def import_signs(
    conn: Connection,
    path: Path,
    *,
    crs: str,
    encoding: str | None = None,
    skip_invalid: bool = False,
    actor: str = "cli",
) -> ImportReport:
    """Load signs from a CSV file (columns: inventory_no, place_name_id, printed_name, condition, lon, lat in
    ``crs``; optional printed_romanization, installed_on, notes), keyed by inventory number: the whole file is
    validated first and one rejected row means nothing is written (unless ``skip_invalid``); re-importing the same
    file changes nothing; a changed row is updated and its version bumped. One audit row per batch."""
    hold_import_lock(conn, "signs", path.name)
    source_crs = parse_crs(crs)
    report = ImportReport(source=path.name, checksum=file_checksum(path) if path.is_file() else "")
    rows = read_csv(path, IMPORT_REQUIRED, encoding)
    planned: list[tuple[dict[str, Any], GeoPoint]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        report.read += 1
        try:
            fields = _fields({k: row.get(k) for k in (*IMPORT_REQUIRED, *IMPORT_OPTIONAL) if k not in ("lon", "lat")})
            if fields["inventory_no"] in seen:
                raise InvalidInput(
                    f"inventory_no {fields['inventory_no']!r} appears twice in the file (first at row "
                    f"{seen[fields['inventory_no']]})"
                )
            seen[fields["inventory_no"]] = number
            planned.append(({**fields, "_row": number}, _point(row.get("lon"), row.get("lat"), source_crs)))
        except InvalidInput as exc:
            report.rejected.append(Rejected(number, exc.detail))
    known = sign_queries.existing_place_ids(conn, sorted({f["place_name_id"] for f, _ in planned}))
    for fields, _ in planned:
        if fields["place_name_id"] not in known:
            report.rejected.append(
                Rejected(fields["_row"], f"place_name_id {fields['place_name_id']} is not a place-name record")
            )
    report.rejected.sort(key=lambda r: r.row)
    enforce_all_or_nothing(report, skip_invalid)
    rejected_rows = {r.row for r in report.rejected}
    valid = [(f, p) for f, p in planned if f["_row"] not in rejected_rows]
    stored = sign_queries.signs_by_inventory(conn, [f["inventory_no"] for f, _ in valid])
    new: list[tuple[dict[str, Any], str]] = []
    for fields, point in valid:
        values = {k: v for k, v in fields.items() if k != "_row"} | {"source_crs": source_crs}
        for optional in IMPORT_OPTIONAL:
            values.setdefault(optional, None)
        old = stored.get(values["inventory_no"])
        if old is None:
            new.append((values, _ewkt(point)))
            report.inserted += 1
        elif _same(old, values, point):
            report.unchanged += 1
        else:
            sign_queries.update_sign(conn, old["id"], old["version"], values, _ewkt(point))
            report.updated += 1
    sign_queries.insert_signs(conn, new)
    report.notes.append(f"source CRS {source_crs}")
    audit.record_import(
        conn,
        path,
        report,
        importer="signs",
        crs=crs,
        encoding=encoding,
        skip_invalid=skip_invalid,
        actor=actor,
        object_type="place_sign",
        object_id=path.name,
    )
    return report


def _same(old: Any, values: dict[str, Any], point: GeoPoint) -> bool:
    same_fields = all(old[k] == v for k, v in values.items())
    return (
        same_fields
        and math.isclose(old["lon"], point.lon, abs_tol=1e-9)
        and math.isclose(old["lat"], point.lat, abs_tol=1e-9)
    )


def published_collections() -> list[dict[str, Any]]:
    """The signs as an OGC collection (a sign naming a non-public place at its generalised location)."""
    return [
        {
            "id": "place-signs",
            "title": "Place-name signs (地名标志)",
            "description": "The sign inventory: what each sign prints, its condition and the place-name record it "
            "names; a sign naming a place that is not public is located at the generalised point the lookup API gives.",
            "sql": sign_queries.PUBLISHED_SIGNS,
            "properties": {
                "inventory_no": "string",
                "place_name_id": "integer",
                "place_name": "string",
                "printed_name": "string",
                "printed_romanization": "string",
                "condition": "string",
                "installed_on": "date",
                "secrecy": "string",
                "unit_code": "string",
            },
            "geometry_type": "point",
        }
    ]
