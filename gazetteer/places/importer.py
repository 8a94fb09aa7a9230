"""Bulk import of place names from CSV or GeoJSON (no web framework here): validate every row, then write all or
nothing, one audit row per batch.

Columns (CSV header or GeoJSON feature properties):
- ``name`` 标准名称, ``category`` GB/T 18521 code, ``unit`` NBS code of the unit it lies in (2–12 digits): required;
- location, required: CSV ``lon`` + ``lat`` (east first) or ``wkt`` (POINT, LINESTRING, POLYGON, MULTI…);
  GeoJSON the feature's geometry. All in the CRS given (``--crs`` / ``crs=``), else the GeoJSON's ``crs`` member;
- optional: ``status`` (``standard`` by default, or ``proposed``), ``secrecy`` (public, internal, secret),
  ``meaning`` 含义, ``origin`` 来历, ``history`` 历史沿革, ``approving_body`` 批准机关, ``document_number`` 批准文号,
  ``approval_date`` 批准时间, ``valid_from`` (today by default), ``tags`` (separated by ``;``, ``；`` or ``、``).

A record is identified by (name, unit, category) among the open records that are not administrative units:
re-importing the same file changes nothing; a row whose other fields changed updates its record (version + 1);
the import never changes a record's status (approve / retire do) nor lowers its secrecy (only a proposal an
approver approves does). Names are romanized and indexed exactly as those created through the API; a standard row
with an approval gets its naming event (命名).
Historic names and aliases come through rename and the history replay, not through this import.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core import audit
from core.crs import parse_crs
from core.database import hold_import_lock
from core.errors import InvalidInput
from core.geojson import feature_collection
from core.imports import (
    ImportReport,
    Rejected,
    csv_table,
    decode_text,
    enforce_all_or_nothing,
    has_control_characters,
)
from core.values import normalize_code, parse_date
from gazetteer.places import geometry, names, queries
from gazetteer.places.models import SECRECY_LEVELS, lowers_secrecy
from gazetteer.romanization.service import romanize

FORMATS = ("csv", "geojson")
REQUIRED = ("name", "category", "unit")
IMPORT_STATUSES = ("standard", "proposed")
TEXT_FIELDS = {"meaning": 2000, "origin": 2000, "history": 4000, "approving_body": 200, "document_number": 200}
MAX_NAME_LENGTH = 50
MAX_TAG_LENGTH = 50
TAG_SEPARATORS = re.compile(r"[;；、]")
COMPARED = ("secrecy", "tags", "approval_date", *TEXT_FIELDS)


class FieldError(InvalidInput):
    """A bad value in one field of a row."""

    def __init__(self, field: str, value: Any, why: str) -> None:
        shown = str(value)[:80]
        super().__init__(f"{field} {shown!r}: {why}", extra={"field": field, "value": shown})
        self.field = field
        self.value = shown


def file_format(name: str, given: str | None) -> str:
    """The format named, else the one the file name's extension says (.csv, .geojson, .json)."""
    if given is not None:
        if given not in FORMATS:
            raise InvalidInput(f"format {given!r} is not one of {', '.join(FORMATS)}")
        return given
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix == "csv":
        return "csv"
    if suffix in ("geojson", "json"):
        return "geojson"
    raise InvalidInput(f"{name}: cannot tell the format from the name; give format csv or geojson")


def import_places(
    conn: Connection,
    content: bytes,
    *,
    name: str,
    fmt: str | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    skip_invalid: bool = False,
    actor: str,
) -> ImportReport:
    """Import place names from a CSV or GeoJSON file's bytes (module docstring), all or nothing unless
    ``skip_invalid``; one audit row for the batch."""
    hold_import_lock(conn, "places", name)
    kind = file_format(name, fmt)
    text_ = decode_text(content, name, encoding)
    if kind == "csv":
        records, stated = _csv_records(text_, name), None
    else:
        records, stated = _geojson_records(text_, name)
    if crs is None and stated is None:
        raise InvalidInput(f"{name}: the file states no CRS; give one (EPSG:4490, EPSG:4326, EPSG:4545, GCJ-02, ...)")
    source_crs = parse_crs(crs if crs is not None else stated)
    report = ImportReport(source=name)
    report.notes.append(f"source CRS {source_crs}" + (" (given)" if crs is not None else " (from the file)"))
    validator = _Validator(conn, source_crs)
    planned: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str], int] = {}
    for number, record in enumerate(records, start=1):
        report.read += 1
        try:
            row = validator.row(record)
            key = (row["name"], row["unit_code"], row["category"])
            if key in seen:
                raise FieldError("name", row["name"], f"the same name, unit and category as row {seen[key]}")
            seen[key] = number
            planned.append({**row, "_row": number})
        except FieldError as exc:
            report.rejected.append(Rejected(number, exc.detail, exc.field, exc.value))
        except InvalidInput as exc:
            report.rejected.append(Rejected(number, exc.detail))
    existing = _match_existing(conn, planned, report)
    report.rejected.sort(key=lambda r: r.row)
    enforce_all_or_nothing(report, skip_invalid)
    refused = {r.row for r in report.rejected}
    written = _write(conn, [r for r in planned if r["_row"] not in refused], existing, report, name)
    if report.written:  # a re-import that changes nothing leaves nothing, not even an audit row
        audit.record_import(
            conn,
            content,
            report,
            importer="places",
            name=name,
            fmt=kind,
            crs=crs,
            encoding=encoding,
            skip_invalid=skip_invalid,
            actor=actor,
            object_type="place_name",
            object_id=name,
            facts=written,
        )
    return report


def _match_existing(conn: Connection, planned: list[dict[str, Any]], report: ImportReport) -> dict[tuple, Any]:
    """The open records the rows name (by name, unit, category); a row that would change a status or lower a
    secrecy is rejected."""
    existing = {
        (r["name"], r["unit_code"], r["category"]): r
        for r in queries.open_places_named(conn, sorted({row["name"] for row in planned}))
    }
    for row in planned:
        old = existing.get((row["name"], row["unit_code"], row["category"]))
        if old is not None and old["status"] != row["status"]:
            why = f"record {old['id']} is {old['status']}; an import does not change a status (approve or retire it)"
            report.rejected.append(Rejected(row["_row"], f"status {row['status']!r}: {why}", "status", row["status"]))
        elif old is not None and lowers_secrecy(old["secrecy"], row["secrecy"]):
            why = (
                f"record {old['id']} is {old['secrecy']}; an import does not lower secrecy (PATCH the record: an "
                "approver must approve the lowering)"
            )
            report.rejected.append(
                Rejected(row["_row"], f"secrecy {row['secrecy']!r}: {why}", "secrecy", row["secrecy"])
            )
    return existing


def _csv_records(content: str, name: str) -> list[dict[str, Any]]:
    fieldnames, rows = csv_table(content, name)
    header = [h.strip() for h in fieldnames]
    missing = [c for c in REQUIRED if c not in header]
    has_location = "wkt" in header or ("lon" in header and "lat" in header)
    if missing or not has_location:
        needed = missing + ([] if has_location else ["lon and lat, or wkt"])
        raise InvalidInput(f"{name}: missing column(s) {', '.join(needed)}; the file has: {', '.join(header) or '—'}")
    records = []
    for row in rows:
        if None in row:
            records.append({"_error": f"{len(row[None])} value(s) more than the header's columns"})
            continue
        record: dict[str, Any] = {k.strip(): v for k, v in row.items() if k is not None}
        wkt = (record.pop("wkt", None) or "").strip()
        lon, lat = (record.pop("lon", None) or "").strip(), (record.pop("lat", None) or "").strip()
        if wkt and (lon or lat):
            record["_error"] = "give either wkt or lon/lat, not both"
        elif wkt:
            record["_wkt"] = wkt
        elif lon or lat:
            try:
                record["_geometry"] = {"type": "Point", "coordinates": [float(lon), float(lat)]}
            except ValueError:
                field, value = ("lon", lon) if not _is_number(lon) else ("lat", lat)
                record["_field_error"] = (field, value, "not a number")
        records.append(record)
    return records


def _is_number(raw: str) -> bool:
    try:
        float(raw)
    except ValueError:
        return False
    return True


def _geojson_records(content: str, name: str) -> tuple[list[dict[str, Any]], str | None]:
    features, stated = feature_collection(content, name)
    records: list[dict[str, Any]] = []
    for feature in features:
        if not isinstance(feature, dict) or not isinstance(feature.get("properties") or {}, dict):
            records.append({"_error": "not a GeoJSON Feature with a properties object"})
            continue
        record: dict[str, Any] = {k: _property_text(v) for k, v in (feature.get("properties") or {}).items()}
        record["_geometry"] = feature.get("geometry")
        records.append(record)
    return records, stated


def _property_text(value: Any) -> str | None:
    """A GeoJSON property as the text a CSV cell would hold (a list of tags joined by ``;``)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ";".join(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class _Validator:
    """Turns one input record into a place-name row, or raises naming the field and value."""

    def __init__(self, conn: Connection, crs: str) -> None:
        self.conn = conn
        self.crs = crs
        self.area = geometry.AreaCheck(conn)
        self.units: dict[str, bool] = {}

    def row(self, record: dict[str, Any]) -> dict[str, Any]:
        if "_error" in record:
            raise InvalidInput(record["_error"])
        if "_field_error" in record:
            raise FieldError(*record["_field_error"])
        name = clean_name(_text(record, "name"))
        category = _text(record, "category")
        try:
            names.check_category(category)
        except InvalidInput:
            raise FieldError(
                "category", category, f"not a known category code ({', '.join(names.CATEGORIES)})"
            ) from None
        unit_code = self.unit(_text(record, "unit"))
        geom = self.geometry(record, unit_code)
        try:
            romanized = romanize(name, unit_code=unit_code)
        except InvalidInput as exc:
            raise FieldError("name", name, exc.detail) from None
        status = _text(record, "status") or "standard"
        if status not in IMPORT_STATUSES:
            raise FieldError("status", status, f"an import takes {' or '.join(IMPORT_STATUSES)}")
        secrecy = _text(record, "secrecy") or "public"
        if secrecy not in SECRECY_LEVELS:
            raise FieldError("secrecy", secrecy, f"not one of {', '.join(SECRECY_LEVELS)}")
        texts = {}
        for field, limit in TEXT_FIELDS.items():
            value = _text(record, field).replace("\r\n", "\n") or None
            if value and (len(value) > limit or has_control_characters(value.replace("\n", ""))):
                raise FieldError(field, value, f"longer than {limit} characters or has control characters")
            texts[field] = value
        return {
            "name": name,
            "romanization": romanized.plain,
            "romanization_toned": romanized.toned,
            "romanization_origin": romanized.origin,
            "category": category,
            "unit_code": unit_code,
            "geom": geometry.ewkt(geom),
            "_shape": geom,
            "status": status,
            "secrecy": secrecy,
            "tags": _tags(_text(record, "tags")),
            "approval_date": _date(record, "approval_date"),
            "valid_from": _date(record, "valid_from"),
            **texts,
        }

    def unit(self, raw: str) -> str:
        try:
            code = normalize_code(raw)
        except InvalidInput:
            raise FieldError("unit", raw, "not a division code of 2, 4, 6, 9 or 12 digits") from None
        if code not in self.units:
            self.units[code] = boundaries.find_unit(self.conn, code) is not None
        if not self.units[code]:
            raise FieldError("unit", raw, "not a current unit")
        return code

    def geometry(self, record: dict[str, Any], unit_code: str) -> BaseGeometry:
        try:
            if "_wkt" in record:
                geom = geometry.from_wkt(record["_wkt"], self.crs)
            elif record.get("_geometry") is not None:
                geom = geometry.from_geojson(record["_geometry"], self.crs)
            else:
                raise InvalidInput("no location: give lon and lat, wkt, or a GeoJSON geometry")
            self.area.require(geom, unit_code)
        except InvalidInput as exc:
            shown = record.get("_wkt") or json.dumps(record.get("_geometry"), ensure_ascii=False)
            raise FieldError("wkt" if "_wkt" in record else "geometry", shown, exc.detail) from None
        return geom


def clean_name(raw: str) -> str:
    """A name as stored: NFKC (full-width -> half-width), inner whitespace removed; refuses empty, over-long and
    control-character names."""
    if has_control_characters(raw):
        raise FieldError("name", raw, "has control characters")
    name = "".join(unicodedata.normalize("NFKC", raw).split())
    if not name:
        raise FieldError("name", raw, "is empty")
    if len(name) > MAX_NAME_LENGTH:
        raise FieldError("name", raw, f"is {len(name)} characters long; at most {MAX_NAME_LENGTH}")
    return name


def _text(record: dict[str, Any], field: str) -> str:
    value = record.get(field)
    return "" if value is None else str(value).strip()


def _date(record: dict[str, Any], field: str) -> date | None:
    raw = _text(record, field)
    try:
        return parse_date(raw or None, field)
    except InvalidInput:
        raise FieldError(field, raw, "not a date: use YYYY-MM-DD") from None


def _tags(raw: str) -> list[str]:
    tags = [t.strip() for t in TAG_SEPARATORS.split(raw) if t.strip()]
    for tag in tags:
        if len(tag) > MAX_TAG_LENGTH or has_control_characters(tag):
            raise FieldError("tags", tag, f"a tag is at most {MAX_TAG_LENGTH} characters, without control characters")
    return sorted(set(tags), key=tags.index)


def _write(
    conn: Connection, planned: list[dict[str, Any]], existing: dict[tuple, Any], report: ImportReport, source: str
) -> dict[str, Any]:
    """Insert new records, update changed ones, count the rest; the ids written (for the audit row)."""
    inserts, updated_ids = [], []
    for row in planned:
        old = existing.get((row["name"], row["unit_code"], row["category"]))
        if old is None:
            inserts.append(row)
            continue
        changes = {f: row[f] for f in COMPARED if row[f] != old[f]}
        same_place = shapely.equals_exact(shapely.from_wkb(old["wkb"]), row["_shape"], 1e-9) if old["wkb"] else False
        if not changes and same_place:
            report.unchanged += 1
            continue
        if not queries.update_record(conn, old["id"], old["version"], changes, None if same_place else row["geom"]):
            raise InvalidInput(f"record {old['id']} changed during the import: import again")
        updated_ids.append(old["id"])
    ids = queries.allocate_place_ids(conn, len(inserts))
    rows: list[dict[str, Any]] = []
    keys: list[tuple[int, str, str]] = []
    events: list[dict[str, Any]] = []
    today = date.today()
    for place_name_id, row in zip(ids, inserts, strict=True):
        record = {k: v for k, v in row.items() if not k.startswith("_")}
        record.update(
            id=place_name_id,
            place_id=place_name_id,
            level_rank=names.NON_UNIT_RANK,
            valid_from=row["valid_from"] or today,
        )
        rows.append(record)
        keys.extend(
            (place_name_id, k, kind)
            for k, kind in names.search_keys(row["name"], None, row["romanization"], row["romanization_origin"])
        )
        if row["status"] == "standard" and row["approving_body"] and row["document_number"]:
            events.append(
                {
                    "place_id": place_name_id,
                    "kind": "naming",
                    "new_name": row["name"],
                    "approving_body": row["approving_body"],
                    "document_number": row["document_number"],
                    "approval_date": row["approval_date"],
                    "effective_date": record["valid_from"],
                    "source": source,
                    "note": "imported",
                }
            )
    queries.copy_place_names(conn, rows)
    queries.replace_keys(conn, keys)
    queries.insert_events(conn, events)
    report.inserted, report.updated = len(rows), len(updated_ids)
    return {"inserted_ids": ids, "updated_ids": updated_ids}
