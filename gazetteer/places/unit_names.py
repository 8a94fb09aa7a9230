"""The place-name records of the units themselves: kept in step with the division codes (sync) and rebuilt from the
release history (replay)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import shapely.geometry
from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core import audit
from core.errors import InvalidInput
from core.imports import (
    ImportReport,
    Rejected,
    enforce_all_or_nothing,
    file_checksum,
    has_control_characters,
    read_csv,
)
from core.values import normalize_code, parent_of_code, parse_date
from gazetteer.places import english, history, names, queries

UNIT_LEVELS = ("province", "city", "county", "township", "village")
POLYGON_POINT_LEVELS = ("province", "city", "county")


def sync_unit_names(conn: Connection, *, as_of: date | None = None, actor: str = "cli") -> dict[str, int]:
    """Give every administrative unit valid on ``as_of`` its place-name record (one owner: the registry).

    A unit without a record gets one: the place name derived from the statistical name (names.py rules),
    romanized, categorised, with a point from a matched reference point, else the representative point of its
    registered polygon, else none. A unit whose statistical name changed keeps its standard name (the
    registry owns it) and gets the new statistical name beside it. Re-running changes nothing.
    """
    day = as_of or date.today()
    existing = queries.current_unit_names(conn)
    points = queries.reference_points_by_unit(conn)
    units = [
        u
        for level in UNIT_LEVELS
        for u in boundaries.units_within(conn, "", level, as_of=day)
        if u["kind"] != names.GROUPING_KIND
    ]
    polygon_points = _polygon_points(conn, units, day)
    todo = [u for u in units if u["code"] not in existing]
    ids = queries.allocate_place_ids(conn, len(todo))
    rows: list[dict[str, Any]] = []
    keys: list[tuple[int, str, str]] = []
    for unit, place_name_id in zip(todo, ids, strict=True):
        name = names.unit_place_name(unit["name"])
        plain, toned, origin = names.unit_romanization(name, unit["level"], unit["code"])
        located = points.get(unit["code"]) or polygon_points.get(unit["code"])
        rows.append(
            {
                "id": place_name_id,
                "place_id": place_name_id,
                "name": name,
                "statistical_name": unit["name"],
                "romanization": plain,
                "romanization_toned": toned,
                "romanization_origin": origin,
                "category": names.unit_category(unit["level"], unit["kind"]),
                "unit_code": parent_of_code(unit["code"]),
                "admin_code": unit["code"],
                "level_rank": names.LEVEL_RANK[unit["level"]],
                "geom": f"SRID=4490;POINT({located[0]} {located[1]})" if located else None,
                "geom_source": located[2] if located else None,
                "status": "standard",
                "valid_from": unit["valid_from"],
            }
        )
        keys.extend((place_name_id, k, kind) for k, kind in names.search_keys(name, unit["name"], plain, origin))
    changed = []
    for unit in units:
        record = existing.get(unit["code"])
        if record is not None and record["statistical_name"] != unit["name"]:
            changed.append((record["id"], unit["name"]))
            plain, _, origin = names.unit_romanization(record["name"], unit["level"], unit["code"])
            keys.extend(
                (record["id"], k, kind) for k, kind in names.search_keys(record["name"], unit["name"], plain, origin)
            )
    queries.copy_place_names(conn, rows)
    queries.update_statistical_names(conn, changed)
    queries.replace_keys(conn, keys, [i for i, _ in changed])
    counts = {"units": len(units), "created": len(rows), "statistical_name_updated": len(changed)}
    counts["unchanged"] = len(units) - len(rows) - len(changed)
    english.load_english_names(conn)  # the units' English forms: the documented list data/unit_english_names.csv
    if rows or changed:
        after = {**counts, "as_of": day}  # the date decides the units: a replay of the log re-runs the sync on it
        audit.record(conn, actor=actor, action="sync", object_type="place_name", object_id=None, after=after)
    return counts


def _polygon_points(conn: Connection, units: list[dict[str, Any]], day: date) -> dict[str, tuple[float, float, str]]:
    """Representative points of the registered polygons of units at county level and above."""
    if not any(k.startswith("polygons_registered") for k in boundaries.data_counts(conn)):
        return {}
    found = {}
    for unit in units:
        if unit["level"] in POLYGON_POINT_LEVELS:
            polygon = boundaries.get_unit(conn, unit["code"], as_of=day, crs="EPSG:4490")["polygon"]
            if polygon is not None:
                point = shapely.geometry.shape(polygon["geometry"]).representative_point()
                found[unit["code"]] = (point.x, point.y, f"polygon:{polygon['source']}")
    return found


def replay_unit_history(conn: Connection, path: Path, *, actor: str = "cli") -> ImportReport:
    """Replay a unit list across releases (CSV: as_of, code, name) as name events and historic names.

    Rules in gazetteer/places/history.py. Current names get the date their name took effect; earlier names become
    historic records of the same place, abolished units retired ones; events carry the release that shows the
    change. All or nothing; a file already replayed changes nothing.
    """
    report = ImportReport(source=path.name, checksum=file_checksum(path) if path.is_file() else "")
    releases: dict[date, dict[str, str]] = {}
    for number, row in enumerate(read_csv(path, ["as_of", "code", "name"]), start=1):
        report.read += 1
        try:
            day = parse_date(row["as_of"], "as_of")
            code, name = row["code"].strip(), row["name"].strip()
            if not code.isdigit() or len(code) not in (6, 9, 12):
                raise InvalidInput(f"code {code!r} is not a 6, 9 or 12 digit division code")
            if not name or has_control_characters(name):
                raise InvalidInput(f"name {name!r} is empty or has control characters")
            assert day is not None
            if code in releases.setdefault(day, {}):
                raise InvalidInput(f"code {code} appears twice in release {day}")
            releases[day][code] = name
        except InvalidInput as exc:
            report.rejected.append(Rejected(number, exc.detail))
    enforce_all_or_nothing(report, skip_invalid=False)
    if queries.events_from_source(conn, path.name):
        report.unchanged = report.read
        report.notes.append(f"{path.name} was replayed before: nothing changed")
        return report
    places, events = history.replay(releases)
    current = queries.current_unit_names(conn)
    rows: list[dict[str, Any]] = []
    keys: list[tuple[int, str, str]] = []
    moved: list[tuple[int, date]] = []
    place_ids: dict[int, int] = {}
    new_periods = []
    for place in places:
        last_code = normalize_code(place.current.code)
        record = current.get(last_code) if place.abolished is None else None
        if record is not None:
            place_ids[place.key] = record["place_id"]
            if record["name"] == place.current.name:
                moved.append((record["id"], place.current.valid_from))
        # closed periods only: the open one is the registry's current record
        new_periods.append((place, [p for p in place.periods if p.valid_to is not None]))
    ids = iter(queries.allocate_place_ids(conn, sum(len(e) for _, e in new_periods)))
    for place, periods in new_periods:
        for period in periods:
            record_id = next(ids)
            place_id = place_ids.setdefault(place.key, record_id)
            closing = period is place.current and place.abolished is not None
            plain, toned, origin = names.unit_romanization(period.name, "township", normalize_code(period.code))
            rows.append(
                {
                    "id": record_id,
                    "place_id": place_id,
                    "name": period.name,
                    "statistical_name": period.statistical_name,
                    "romanization": plain,
                    "romanization_toned": toned,
                    "romanization_origin": origin,
                    "category": names.unit_category("township", _township_kind(period.name)),
                    "unit_code": normalize_code(period.code[:6]),
                    "admin_code": normalize_code(period.code),
                    "level_rank": names.LEVEL_RANK["township"],
                    "status": "retired" if closing else "historic",
                    "valid_from": period.valid_from,
                    "valid_to": period.valid_to,
                }
            )
            keys.extend(
                (record_id, k, kind)
                for k, kind in names.search_keys(period.name, period.statistical_name, plain, origin)
            )
    queries.copy_place_names(conn, rows)
    queries.replace_keys(conn, keys)
    queries.move_valid_from(conn, moved)
    queries.insert_events(
        conn,
        [
            {
                "place_id": place_ids[e.place_key],
                "kind": e.kind,
                "old_name": e.old_name,
                "new_name": e.new_name,
                "old_code": normalize_code(e.old_code) if e.old_code else None,
                "new_code": normalize_code(e.new_code) if e.new_code else None,
                "effective_date": e.effective_date,
                "source": path.name,
                "note": f"seen first in the release of {e.effective_date}; after the release of {e.previous_release}",
            }
            for e in events
        ],
    )
    report.inserted = len(rows)
    report.updated = len(moved)
    report.notes.append(f"{len(events)} name events")
    audit.record_import(
        conn, path, report, importer="unit_history", actor=actor, object_type="name_event", object_id=str(path)
    )
    return report


def _township_kind(name: str) -> str:
    for kind in ("街道", "苏木", "镇", "乡"):
        if name.endswith(kind):
            return kind
    return "其他"
