"""Imports of the facility side: facility lists (CSV or GeoJSON), population per unit and year, prohibited-zone layers;
all or nothing, archived and audited."""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core import audit
from core.crs import STORAGE_CRS, parse_crs, transform_geometry
from core.database import hold_import_lock
from core.errors import InvalidInput
from core.geojson import feature_collection
from core.imports import ImportReport, Rejected, csv_table, enforce_all_or_nothing, has_control_characters, replayable
from core.values import normalize_code
from facilities import queries
from facilities.models import LAYER_KINDS
from facilities.registry import (
    OPTIONAL_FIELDS,
    _record,
    decode_text,
    parse_facility,
    plan_statement,
    road_edges,
    write_statement,
)

CSV_REQUIRED = ("external_id", "name", "kind", "lon", "lat")
POPULATION_REQUIRED = ("unit_code", "year", "total", "aged_60_plus")
MAX_COUNT_DIGITS = 10  # a population count; int() of thousands of digits raises (and costs) before any range check


# --- imports -----------------------------------------------------------------------------------------
def _csv_records(content: str, name: str) -> list[dict[str, Any]]:
    header, rows = csv_table(content, name)
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        raise InvalidInput(f"{name}: missing column(s) {', '.join(missing)}; the file has: {', '.join(header) or '—'}")
    return [{k: v for k, v in row.items() if k is not None} for row in rows]


def _geojson_records(content: str, name: str) -> tuple[list[dict[str, Any]], str | None]:
    features, stated = feature_collection(content, name)
    records = []
    for feature in features:
        if not isinstance(feature, dict):
            feature = {"geometry": {"type": type(feature).__name__}}
        raw_properties = feature.get("properties")
        properties = dict(raw_properties) if isinstance(raw_properties, dict) else {}
        raw_geometry = feature.get("geometry")
        geometry: dict[str, Any] = raw_geometry if isinstance(raw_geometry, dict) else {}
        coords = geometry.get("coordinates") if geometry.get("type") == "Point" else None
        properties.setdefault("external_id", feature.get("id"))
        properties["lon"], properties["lat"] = (coords[0], coords[1]) if coords and len(coords) >= 2 else (None, None)
        properties["_geometry_type"] = geometry.get("type")
        records.append(properties)
    return records, stated


@replayable("facilities", reads="bytes")
def import_facilities(
    conn: Connection,
    content: bytes,
    *,
    name: str,
    file_format: str,
    source: str,
    crs: str | None = None,
    illustrative: bool = False,
    skip_invalid: bool = False,
    actor: str = "cli",
) -> ImportReport:
    """Load facilities from CSV (lon/lat columns) or a GeoJSON FeatureCollection of points, all or nothing.

    Rows are keyed by (source, external_id): re-importing the same file changes nothing. A row may carry
    ``opened_on``, ``closed_on`` and ``valid_from`` (the day its attributes took effect, default the day of the
    import): a changed row starts a new dated version of the facility rather than overwriting its history
    (facilities.versions); a row that would overlap a recorded version is rejected. The CRS given overrides the
    file's; one of them is required.
    """
    if not source.strip():
        raise InvalidInput("source must name the list the facilities come from")
    hold_import_lock(conn, "facilities", source)
    text_ = decode_text(content, name)
    if file_format == "csv":
        records, stated = _csv_records(text_, name), None
    elif file_format == "geojson":
        records, stated = _geojson_records(text_, name)
    else:
        raise InvalidInput(f"format {file_format!r} is not one of csv, geojson")
    if crs is None and stated is None:
        raise InvalidInput(f"{name}: the file states no CRS; give one (e.g. EPSG:4490, GCJ-02)")
    source_crs = parse_crs(crs if crs is not None else stated)
    report = ImportReport(source=name)
    report.notes.append(f"source CRS {source_crs}" + (" (given)" if crs is not None else " (from the file)"))
    existing = queries.facilities_by_external_id(conn, source)
    seen: dict[str, int] = {}
    planned: list[tuple[Any, dict[str, Any], list[dict[str, Any]]]] = []
    for number, raw in enumerate(records, start=1):
        report.read += 1
        try:
            geometry_type = raw.pop("_geometry_type", "Point")
            if geometry_type != "Point":
                raise InvalidInput(f"geometry {geometry_type!r} is not a Point")
            external_id = str(raw.get("external_id") or "").strip()
            if not external_id or has_control_characters(external_id):
                raise InvalidInput("external_id is empty")
            if external_id in seen:
                raise InvalidInput(f"external_id {external_id!r} appears twice (first at row {seen[external_id]})")
            seen[external_id] = number
            data = {k: raw.get(k) for k in ("name", "kind", "lon", "lat", *OPTIONAL_FIELDS)}
            data = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
            data = {k: v for k, v in data.items() if v not in ("", None) or k in ("lon", "lat", "name", "kind")}
            facility = parse_facility({**data, "crs": source_crs, "illustrative": illustrative})
            record = _record(conn, facility, source=source, external_id=external_id)
            old = existing.get(external_id)
            row, history, changed = plan_statement(conn, record, facility.valid_from, old)
            if not changed:
                report.unchanged += 1
                continue
            planned.append((old, row, history))
        except InvalidInput as exc:
            report.rejected.append(Rejected(number, exc.detail))
    enforce_all_or_nothing(report, skip_invalid)
    for old, row, history in planned:
        write_statement(conn, row, history, old)
        if old is None:
            report.inserted += 1
        else:
            report.updated += 1
    audit.record_import(
        conn,
        content,
        report,
        importer="facilities",
        name=name,
        file_format=file_format,
        source=source,
        crs=crs,
        illustrative=illustrative,
        skip_invalid=skip_invalid,
        actor=actor,
        object_type="facility",
        object_id=source,
    )
    return report


@replayable("population", reads="bytes")
def import_population(
    conn: Connection, content: bytes, *, name: str, source: str, skip_invalid: bool = False, actor: str = "cli"
) -> ImportReport:
    """Load population per unit and year (total, aged 60+) from CSV; unknown unit codes are rejected."""
    if not source.strip():
        raise InvalidInput("source must name where the figures come from")
    hold_import_lock(conn, "population", source)
    header, rows_read = csv_table(decode_text(content, name), name)
    missing = [c for c in POPULATION_REQUIRED if c not in header]
    if missing:
        raise InvalidInput(f"{name}: missing column(s) {', '.join(missing)}; the file has: {', '.join(header) or '—'}")
    report = ImportReport(source=name)
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, int], int] = {}
    for number, raw in enumerate(rows_read, start=1):
        report.read += 1
        try:
            code = normalize_code(raw.get("unit_code") or "")
            if boundaries.find_unit(conn, code) is None:
                raise InvalidInput(f"unit_code {code} is not a current unit")
            values = {}
            for column in ("year", "total", "aged_60_plus"):
                text_value = (raw.get(column) or "").strip()
                if not (text_value.isascii() and text_value.isdigit() and len(text_value) <= MAX_COUNT_DIGITS):
                    raise InvalidInput(f"{column} {text_value[:40]!r} is not a whole number >= 0 of at most 10 digits")
                values[column] = int(text_value)
            if not 1949 <= values["year"] <= 2100:
                raise InvalidInput(f"year {values['year']} is out of range 1949-2100")
            if values["aged_60_plus"] > values["total"]:
                raise InvalidInput(f"aged_60_plus {values['aged_60_plus']} exceeds total {values['total']}")
            key = (code, values["year"])
            if key in seen:
                raise InvalidInput(f"unit {code} year {values['year']} appears twice (first at row {seen[key]})")
            seen[key] = number
            rows.append({"unit_code": code, **values})
        except InvalidInput as exc:
            report.rejected.append(Rejected(number, exc.detail))
    enforce_all_or_nothing(report, skip_invalid)
    report.inserted, report.updated, report.unchanged = queries.upsert_population(conn, source, rows)
    audit.record_import(
        conn,
        content,
        report,
        importer="population",
        name=name,
        source=source,
        skip_invalid=skip_invalid,
        actor=actor,
        object_type="unit_population",
        object_id=source,
    )
    return report


def import_layer(
    conn: Connection,
    content: bytes,
    *,
    name: str,
    layer: str,
    layer_kind: str,
    buffer_m: float,
    crs: str | None = None,
    skip_invalid: bool = False,
    actor: str = "cli",
) -> ImportReport:
    """Load a prohibited-zone layer (roads, rivers, ...) from GeoJSON with the buffer width of the layer."""
    if layer_kind not in LAYER_KINDS:
        raise InvalidInput(f"layer_kind {layer_kind!r} is not one of {', '.join(LAYER_KINDS)}")
    if not (buffer_m >= 0 and buffer_m <= 100_000):
        raise InvalidInput(f"buffer_m {buffer_m} must be between 0 and 100000 metres")
    hold_import_lock(conn, "prohibited_layer", layer)
    if not layer.strip():
        raise InvalidInput("layer must be named")
    layer_features, _ = feature_collection(decode_text(content, name), name)
    if crs is None:
        raise InvalidInput(f"{name}: give the CRS of the layer (e.g. EPSG:4490, GCJ-02)")
    source_crs = parse_crs(crs)
    report = ImportReport(source=name)
    features: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, feature in enumerate(layer_features, start=1):
        report.read += 1
        try:
            if not isinstance(feature, dict) or not isinstance(feature.get("properties") or {}, dict):
                raise InvalidInput("feature is not a GeoJSON Feature object")
            feature_id = str((feature.get("properties") or {}).get("id") or feature.get("id") or number)
            if feature_id in seen:
                raise InvalidInput(f"feature id {feature_id!r} appears twice")
            seen.add(feature_id)
            try:
                geom = shape(feature["geometry"])
            except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GeometryTypeError) as exc:
                raise InvalidInput(f"geometry is not valid GeoJSON ({exc})") from None
            geom = transform_geometry(geom, source_crs, STORAGE_CRS)
            if geom.is_empty or not geom.is_valid:
                raise InvalidInput(f"geometry is empty or invalid ({shapely.is_valid_reason(geom)})")
            if layer_kind == "road" and geom.geom_type not in ("LineString", "MultiLineString"):
                raise InvalidInput(f"a road must be a LineString or MultiLineString, not {geom.geom_type}")
            label = (feature.get("properties") or {}).get("name")
            features.append({"feature_id": feature_id, "name": label, "wkb": shapely.to_wkb(geom)})
        except InvalidInput as exc:
            report.rejected.append(Rejected(number, exc.detail))
    enforce_all_or_nothing(report, skip_invalid)
    report.inserted, report.updated, report.unchanged = queries.upsert_layer_features(
        conn, layer, layer_kind, float(buffer_m), features
    )
    if layer_kind == "road" and report.written:
        edges = road_edges(features)
        queries.replace_road_edges(conn, layer, edges)
        report.notes.append(f"road network: {len(edges)} edge(s) for network distances")
    audit.record_import(
        conn,
        content,
        report,
        importer="prohibited_layer",
        name=name,
        layer=layer,
        layer_kind=layer_kind,
        buffer_m=buffer_m,
        crs=crs,
        skip_invalid=skip_invalid,
        actor=actor,
        object_type="prohibited_layer",
        object_id=layer,
    )
    return report
