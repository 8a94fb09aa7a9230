"""Domain logic of the gazetteer: reference points, reverse lookup, the place-name registry and its search
(no web framework here)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import shapely.geometry
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core import audit
from core.crs import parse_crs
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.files import archive_input
from core.imports import (
    ImportReport,
    Rejected,
    enforce_all_or_nothing,
    file_checksum,
    has_control_characters,
    read_csv,
)
from core.values import GeoPoint, level_of_code, normalize_code, parent_of_code, parse_date, significant_code
from gazetteer import history, names, queries, secrecy_queries, signs
from gazetteer.geometry import located
from gazetteer.models import PLACE_STATUSES, PROPOSAL_STATUSES, SECRECY_LEVELS, lowers_secrecy
from gazetteer.romanization import romanize

# Statistical names carry the committee or office; the place name does not.
ADMINISTRATIVE_SUFFIXES = re.compile(r"(居民委员会|居委会|村民委员会|村委会|委员会|办事处)$")
LEVELS_BELOW = {"province": [], "city": [], "county": ["township", "village"], "township": ["village"]}


def core_name(name: str) -> str:
    """A unit's name without the committee or office suffix (新村社区居委会 -> 新村社区, 交通街道办事处 -> 交通街道)."""
    return ADMINISTRATIVE_SUFFIXES.sub("", name.strip())


def import_points(
    conn: Connection,
    path: Path,
    *,
    source: str,
    crs: str,
    lon_column: str,
    lat_column: str,
    name_column: str,
    id_column: str,
    category_column: str | None = None,
    code_column: str | None = None,
    hint_code_column: str | None = None,
    encoding: str | None = None,
    skip_invalid: bool = False,
    actor: str = "cli",
) -> ImportReport:
    """Load named points from a CSV file with lon/lat columns in ``crs``.

    Unit matching: ``code_column`` holds a code the file vouches for (used when it is a current unit);
    ``hint_code_column`` holds an older code, used when the current unit of that code has the same
    name, else to match the name among the current units of the same level in the same county.
    """
    required = [
        c for c in (lon_column, lat_column, name_column, id_column, category_column, code_column, hint_code_column) if c
    ]
    crs = parse_crs(crs)  # an unknown CRS is refused once, with the accepted names, before any row is read
    report = ImportReport(source=path.name, checksum=file_checksum(path) if path.is_file() else "")
    rows = read_csv(path, required, encoding)
    points: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        report.read += 1
        try:
            point = _point_row(row, crs, lon_column, lat_column, name_column, id_column, category_column)
            if point["external_id"] in seen:
                raise InvalidInput(
                    f"{id_column} {point['external_id']!r} appears twice in the file (first at row "
                    f"{seen[point['external_id']]})"
                )
            seen[point["external_id"]] = number
        except InvalidInput as exc:
            report.rejected.append(Rejected(number, exc.detail))
            continue
        point["unit_code"], method = _match_unit(conn, row, point["name"], code_column, hint_code_column)
        point["unit_level"] = level_of_code(point["unit_code"]) if point["unit_code"] else None
        point["properties"] = {
            **{k: v for k, v in row.items() if k not in (lon_column, lat_column) and v not in ("", None)},
            "source_crs": crs,
            "match": method,
        }
        points.append(point)
    enforce_all_or_nothing(report, skip_invalid)
    unmatched = sum(1 for p in points if p["unit_code"] is None and (code_column or hint_code_column))
    if unmatched:
        report.notes.append(f"{unmatched} point(s) not matched to a current unit (kept without a unit)")
    report.inserted, report.updated, report.unchanged = queries.upsert_points(conn, source, points)
    replay = archive_input(
        path,
        importer="points",
        source=source,
        crs=crs,
        lon_column=lon_column,
        lat_column=lat_column,
        name_column=name_column,
        id_column=id_column,
        category_column=category_column,
        code_column=code_column,
        hint_code_column=hint_code_column,
        encoding=encoding,
        skip_invalid=skip_invalid,
    )
    audit.record(
        conn,
        actor=actor,
        action="import",
        object_type="reference_point",
        object_id=str(path),
        after={**report.as_dict(), "replay": replay},
    )
    return report


def _point_row(
    row: dict[str, str],
    crs: str,
    lon_column: str,
    lat_column: str,
    name_column: str,
    id_column: str,
    category_column: str | None,
) -> dict[str, Any]:
    name = (row.get(name_column) or "").strip()
    external_id = (row.get(id_column) or "").strip()
    if not name or has_control_characters(name):
        raise InvalidInput(f"name {name!r} is empty or has control characters")
    if not external_id:
        raise InvalidInput(f"{id_column} is empty")
    values = []
    for column in (lon_column, lat_column):
        raw = (row.get(column) or "").strip()
        try:
            values.append(float(raw))
        except ValueError:
            raise InvalidInput(f"{column} {raw!r} is not a number") from None
    point = GeoPoint.from_input(values[0], values[1], crs)
    if not (73 <= point.lon <= 136 and 3 <= point.lat <= 54):
        raise InvalidInput(f"point ({values[0]}, {values[1]}) in {crs} lies far outside China — wrong CRS?")
    category = (row.get(category_column) or "").strip() or None if category_column else None
    return {"external_id": external_id, "name": name, "category": category, "lon": point.lon, "lat": point.lat}


def _match_unit(
    conn: Connection, row: dict[str, str], name: str, code_column: str | None, hint_code_column: str | None
) -> tuple[str | None, str]:
    """The current unit a point stands for, and how it was found.

    In order: a code (either column) whose current unit has the point's name; the one current unit of that
    name and level in the code's county; the vouched code (``code_column``) even though the names differ
    (a facility is not named after its village). A code is never taken on its word while a unit of the county
    carries the point's name: codes get reused (the township file's 2023 code for 乌兰镇 is NBS 2023's 棋盘井镇).
    """
    codes = []
    for column in (code_column, hint_code_column):
        raw = (row.get(column) or "").strip() if column else ""
        if raw.isdigit() and len(raw) in (6, 9, 12):
            codes.append((column == code_column, raw))
    units = [(trusted, boundaries.find_unit(conn, raw)) for trusted, raw in codes]
    for _, unit in units:
        if unit and core_name(unit["name"]) == core_name(name):
            return unit["code"], "code"
    for _, raw in codes:
        full = raw.ljust(12, "0")
        candidates = [
            u
            for u in boundaries.units_within(conn, full[:6], level_of_code(full))
            if core_name(u["name"]) == core_name(name)
        ]
        if len(candidates) == 1:
            return candidates[0]["code"], "name_within_county"
    for trusted, unit in units:
        if trusted and unit:
            return unit["code"], "code_name_differs"
    return None, "unmatched"


def reverse(conn: Connection, point: GeoPoint, *, as_of: date | None = None) -> dict[str, Any]:
    """The unit path at a point (deepest level with a polygon), then the nearest lower-level unit points."""
    path = boundaries.unit_path_at_point(conn, point, as_of=as_of)
    if not path:
        raise NotFound(f"no registered unit polygon contains lon {point.lon:.6f}, lat {point.lat:.6f} (EPSG:4490)")
    deepest = path[-1]
    found = queries.nearest_unit_points(
        conn,
        point.lon,
        point.lat,
        within=significant_code(deepest["code"]),
        levels=LEVELS_BELOW.get(deepest["level"], []),
    )
    units = boundaries.find_units(conn, [f["unit_code"] for f in found], as_of=as_of) if found else {}
    nearest = [
        {
            **boundaries.unit_summary_short(units[f["unit_code"]]),
            "relation": "nearest",
            "distance_m": round(float(f["distance_m"]), 1),
            "point": {"lon": f["lon"], "lat": f["lat"], "source": f["source"]},
            "note": "nearest unit point (an approximate seat), not a containing polygon",
        }
        for f in found
        if f["unit_code"] in units
    ]
    return {
        "lon": point.lon,
        "lat": point.lat,
        "crs": "EPSG:4490",
        "path": [{**unit, "relation": "contains"} for unit in path],
        "nearest": nearest,
    }


def point_count(conn: Connection) -> int:
    """Number of reference points loaded."""
    return queries.count_points(conn)


def list_points(conn: Connection, *, within: str = "", level: str | None = None) -> list[dict[str, Any]]:
    """Reference points (EPSG:4490 lon/lat) under a code prefix, optionally only those standing for a unit level."""
    return [dict(row) for row in queries.list_points(conn, within, level)]


# --- place names -----------------------------------------------------------------------------------
DEFAULT_STATUSES = ("standard", "alias", "historic", "retired")
UNIT_LEVELS = ("province", "city", "county", "township", "village")
POLYGON_POINT_LEVELS = ("province", "city", "county")
EXACT_KINDS = ("exact", "statistical", "traditional")
LATIN_EXACT = {
    "pinyin": ("exact", 100),
    "official": ("exact", 100),
    "pinyin_core": ("core", 90),
    "official_core": ("core", 90),
    "initials": ("initials", 80),
}
PREFIX_LATIN_KINDS = ("pinyin", "pinyin_core", "official", "official_core", "initials")
FUZZY_KEYS = 64  # nationally, a typo tie of more cores than this keeps the shorter, then the lowest ids
FUZZY_ROWS = 500  # within a unit, typo candidates read at most


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
        plain, toned, origin = names.unit_romanization(name, unit["level"])
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
            plain, _, origin = names.unit_romanization(record["name"], unit["level"])
            keys.extend(
                (record["id"], k, kind) for k, kind in names.search_keys(record["name"], unit["name"], plain, origin)
            )
    queries.copy_place_names(conn, rows)
    queries.update_statistical_names(conn, changed)
    queries.replace_keys(conn, keys, [i for i, _ in changed])
    counts = {"units": len(units), "created": len(rows), "statistical_name_updated": len(changed)}
    counts["unchanged"] = len(units) - len(rows) - len(changed)
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


def _unit_prefix(conn: Connection, unit: str | None) -> str | None:
    if unit is None:
        return None
    code = normalize_code(unit)
    if not queries.unit_names(conn, [code], None) and boundaries.find_unit(conn, code) is None:
        raise InvalidInput(f"unit {unit!r} is not a known unit code")
    return significant_code(code)


def _statuses(status: str | None) -> tuple[str, ...]:
    if status is None:
        return DEFAULT_STATUSES
    if status not in PLACE_STATUSES:
        raise InvalidInput(f"status {status!r} is not one of {', '.join(PLACE_STATUSES)}")
    return (status,)


def _category(category: str | None) -> str | None:
    return None if category is None else names.check_category(category)


def _hit(row: Any, match: str, score: int) -> dict[str, Any]:
    point = None if row["lon"] is None else {"lon": row["lon"], "lat": row["lat"], "crs": "EPSG:4490"}
    return {
        "id": row["id"],
        "place_id": row["place_id"],
        "name": row["name"],
        "statistical_name": row["statistical_name"],
        "romanization": row["romanization"],
        "romanization_origin": row["romanization_origin"],
        "category": row["category"],
        "category_name": names.CATEGORIES.get(row["category"]),
        "unit_code": row["unit_code"],
        "admin_code": row["admin_code"],
        "status": row["status"],
        "valid_from": row["valid_from"],
        "valid_to": row["valid_to"],
        "match": match,
        "score": score,
        "point": point,
        "_rank": (row["level_rank"], row["valid_to"] is not None, len(row["name"]), row["id"]),
    }


def _add_unit_paths(conn: Connection, hits: list[dict[str, Any]], as_of: date | None) -> None:
    """Attach the unit path (names of the 所在政区 chain, top first) to each hit."""
    chains = {}
    for hit in hits:
        code = hit["unit_code"]
        chains[hit["id"]] = (
            [code[:n].ljust(12, "0") for n in (2, 4, 6, 9, 12) if n <= len(significant_code(code))] if code else []
        )
    found = queries.unit_names(conn, sorted({c for chain in chains.values() for c in chain}), as_of)
    for hit in hits:
        hit["unit_path"] = [{"code": c, "name": found[c]} for c in chains[hit["id"]] if c in found]
        hit["unit_path_text"] = "/".join(p["name"] for p in hit["unit_path"])


def search_places(
    conn: Connection,
    q: str,
    *,
    limit: int = 10,
    offset: int = 0,
    unit: str | None = None,
    category: str | None = None,
    status: str | None = None,
    as_of: date | None = None,
    autocomplete: bool = False,
) -> dict[str, Any]:
    """Place names matching ``q`` (Hanzi simplified/traditional, pinyin, initials, official forms, one typo,
    generic dropped or the whole prefix written in), ranked: exact, core (generic dropped), prefix, fuzzy;
    within a tie the higher level and the current name first. ``autocomplete`` keeps prefix matches only."""
    text_ = names.normalize_query(q)
    if not 1 <= limit <= 100 or not 0 <= offset <= 1000:
        raise InvalidInput(f"limit {limit} / offset {offset} out of range (limit 1–100, offset 0–1000)")
    scope = {
        "unit_prefix": _unit_prefix(conn, unit),
        "category": _category(category),
        "statuses": _statuses(status),
        "as_of": as_of,
    }
    hits = _Hits(limit + offset)
    if names.is_latin(text_):
        _search_latin(conn, names.latin_key(text_), scope, hits, autocomplete)
    else:
        _search_hanzi(conn, text_, scope, hits, autocomplete)
    ranked = sorted(hits.found.values(), key=lambda h: (-h["score"], h["_rank"]))
    page = ranked[offset : offset + limit]
    for hit in page:
        del hit["_rank"]
    _add_unit_paths(conn, page, as_of)
    return {"query": text_, "count": len(page), "offset": offset, "more": len(ranked) > offset + limit, "results": page}


class _Hits:
    """Hits collected across the match phases (best score per record); ``full`` once a page is certain."""

    def __init__(self, wanted: int) -> None:
        self.wanted = wanted
        self.found: dict[int, dict[str, Any]] = {}

    def take(self, rows: list[Any], match: str, score: int) -> None:
        for row in rows:
            if row["id"] not in self.found or self.found[row["id"]]["score"] < score:
                self.found[row["id"]] = _hit(row, match, score)

    @property
    def full(self) -> bool:
        """True when later (lower-ranked) phases cannot reach the page any more."""
        return len(self.found) >= self.wanted

    @property
    def fetch(self) -> int:
        """Rows to fetch in one phase."""
        return self.wanted + 50


def _search_latin(conn: Connection, key: str, scope: dict[str, Any], hits: _Hits, prefix_only: bool) -> None:
    if not key:
        raise InvalidInput("q has no letters or characters to search for")
    if not prefix_only:
        for row in queries.find_by_keys(
            conn, [key], list(LATIN_EXACT), limit=hits.fetch * 4, per_key=hits.fetch, **scope
        ):
            match, score = LATIN_EXACT[row["matched_kind"]]
            hits.take([row], match, score)
    if len(key) >= 2 and not hits.full:
        for row in queries.find_by_keys(conn, [], PREFIX_LATIN_KINDS, prefix=key, limit=hits.fetch, **scope):
            # initials of the name with its generic left off (kbs -> kbsq) rank as initials
            initials = row["matched_kind"] == "initials" and len(row["matched_key"]) - len(key) <= 2
            hits.take([row], *(("initials", 78) if initials else ("prefix", 70)))


def _search_hanzi(conn: Connection, raw: str, scope: dict[str, Any], hits: _Hits, prefix_only: bool) -> None:
    simplified = names.to_simplified(raw).replace(" ", "")
    variants = {raw.replace(" ", ""), simplified}
    core, generic = names.split_name(simplified)
    if not prefix_only:
        kinds = (*EXACT_KINDS, "core")
        for row in queries.find_by_keys(conn, sorted(variants | {core}), kinds, limit=hits.fetch, **scope):
            if row["matched_key"] in variants:
                hits.take([row], *(("exact", 100) if row["matched_kind"] in EXACT_KINDS else ("core", 90)))
            elif not generic or names.split_name(row["name"])[1] == generic:
                hits.take([row], "core", 85)  # the query's own generic dropped
            else:
                hits.take([row], "generic differs", 60)  # 中和镇 -> 中和村: another kind of place
        remainder, unit_prefix = _strip_written_prefix(conn, simplified, scope)
        if remainder != simplified:
            narrowed = {**scope, "unit_prefix": unit_prefix}
            hits.take(queries.find_by_keys(conn, [remainder], kinds, limit=hits.fetch, **narrowed), "prefixed", 95)
    if not hits.full:
        prefix_kinds = ("exact", "core", "statistical")
        rows = queries.find_by_keys(conn, [], prefix_kinds, prefix=simplified, limit=hits.fetch, **scope)
        hits.take(rows, "prefix", 70)
    if not prefix_only and not hits.full:
        _search_typos(conn, core, generic, scope, hits)


def _search_typos(conn: Connection, core: str, generic: str, scope: dict[str, Any], hits: _Hits) -> None:
    """Names whose core is one edit (replaced, dropped or added character) from the query's core, the query's
    generic term first. Within a unit, the unit's keys are compared directly. Nationally, the candidate cores come
    from the distinct core deletions (a common deletion such as 庄 costs its distinct cores, not its 20,000
    records); of a tie of more than FUZZY_KEYS cores the shorter are kept, then those of the lowest record id (the
    ranking's last tie-break); the names of the query's generic are looked up first, the other generics only while
    the page is not full."""
    if scope["unit_prefix"] is not None:
        _take_typos(
            queries.find_near_in_unit(conn, core, ("core", "exact"), limit=FUZZY_ROWS, **scope), core, generic, hits
        )
        return
    probes = sorted({core} | names.deletions(core))
    near = [*probes, *(c for c in queries.cores_near(conn, core, probes, FUZZY_KEYS) if c not in probes)]
    near = near[:FUZZY_KEYS]  # the core and its deletions (shorter), then the nearby cores in their order
    lookups: list[tuple[list[str], tuple[str, ...]]] = [([c + generic for c in near], ("exact",))] if generic else []
    lookups.append((near, ("core", "exact")))
    for keys, kinds in lookups:
        rows = queries.find_by_keys(conn, keys, kinds, limit=hits.fetch, per_key=hits.wanted, **scope)
        _take_typos(rows, core, generic, hits)
        if hits.full:
            return


def _take_typos(rows: list[Any], core: str, generic: str, hits: _Hits) -> None:
    """Take the rows whose core is one edit from ``core``; a one-character core replaced is another name."""
    for row in rows:
        candidate_core, candidate_generic = names.split_name(row["name"])
        if _within_one_edit(core, candidate_core) and (
            len(core) > 1 or len(candidate_core) != 1 or core == candidate_core
        ):
            hits.take([row], "fuzzy", 52 if candidate_generic == generic else 50)


def _strip_written_prefix(conn: Connection, text_: str, scope: dict[str, Any]) -> tuple[str, str | None]:
    """The query without a written-in prefix of province and unit names, and the code prefix of the last unit
    stripped (内蒙古自治区鄂尔多斯市东胜区 -> 东胜区 within 150602)."""
    unit_prefix = scope["unit_prefix"]
    for province in sorted(names.PROVINCE_NAMES, key=len, reverse=True):
        if text_.startswith(province) and len(text_) > len(province):
            text_ = text_[len(province) :]
            break
    if len(text_) < 3:
        return text_, unit_prefix
    heads = sorted({text_[i:j] for i in range(len(text_)) for j in range(i + 2, min(len(text_), i + 20) + 1)})
    rows = queries.find_by_keys(
        conn,
        heads,
        ("exact", "statistical"),
        unit_prefix=unit_prefix,
        statuses=("standard",),
        as_of=scope["as_of"],
        limit=500,
        per_key=10,  # a head naming a unit: the lowest ids of a key are its units (synced level by level)
    )
    units = [r for r in rows if r["admin_code"] and r["level_rank"] <= 4]
    position = 0
    while True:
        following = [
            r
            for r in units
            if text_.startswith(r["matched_key"], position)
            and position + len(r["matched_key"]) < len(text_)
            and (unit_prefix is None or r["admin_code"].startswith(unit_prefix))
        ]
        if not following:
            break
        best = max(following, key=lambda r: (len(r["matched_key"]), -r["level_rank"]))
        position += len(best["matched_key"])
        unit_prefix = significant_code(best["admin_code"])
    return text_[position:], unit_prefix


def _within_one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by at most one inserted, deleted or replaced character."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def get_place(conn: Connection, place_name_id: int, *, as_of: date | None = None) -> dict[str, Any]:
    """The whole record of a place name with the other names of its place and its events."""
    row = queries.place_by_id(conn, place_name_id)
    if row is None:
        raise NotFound(f"no place name with id {place_name_id}")
    record = _hit(row, "id", 100)
    del record["_rank"], record["match"], record["score"]
    for field in ("meaning", "origin", "history", "approving_body", "document_number", "approval_date", "tags"):
        record[field] = row[field]
    record.update(
        romanization_toned=row["romanization_toned"],
        secrecy=row["secrecy"],
        version=row["version"],
        geometry_type=row["geometry_type"],
        geom_source=row["geom_source"],
        geometry=queries.public_geometries(conn, [place_name_id]).get(place_name_id),
    )
    _add_unit_paths(conn, [record], as_of)
    record["names"] = [
        {k: r[k] for k in ("id", "name", "status", "valid_from", "valid_to")}
        for r in queries.names_of_place(conn, row["place_id"])
    ]
    record["events"] = [dict(e) for e in queries.events_of_place(conn, row["place_id"])]
    return record


def nearby_places(
    conn: Connection, point: GeoPoint, *, radius_m: float, category: str | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """Current place names within ``radius_m`` metres of the point, nearest first (public locations)."""
    if not 1 <= radius_m <= 50_000:
        raise InvalidInput(f"radius_m {radius_m} is out of range (1–50,000 m)")
    rows = queries.nearby(
        conn, point.lon, point.lat, radius_m, category=_category(category), statuses=("standard",), limit=limit
    )
    hits = []
    for row in rows:
        hit = _hit(row, "nearby", 0)
        del hit["_rank"], hit["score"]
        hit["distance_m"] = round(float(row["distance_m"]), 1)
        hits.append(hit)
    _add_unit_paths(conn, hits, None)
    return hits


def romanize_text(text_: str) -> dict[str, Any]:
    """Plain and toned romanization of a name, its specific/generic split and the rule deciding each part."""
    return romanize(names.normalize_query(text_)).as_dict()


def place_name_count(conn: Connection) -> int:
    """Number of place-name records."""
    return queries.count_place_names(conn)


def create_place(
    conn: Connection,
    *,
    name: str,
    category: str,
    unit: str,
    point: GeoPoint | None = None,
    geometry: BaseGeometry | None = None,
    secrecy: str = "public",
    status: str = "standard",
    valid_from: date | None = None,
    tags: list[str] | None = None,
    texts: dict[str, str | None] | None = None,
    actor: str,
) -> dict[str, Any]:
    """Register a place name (not an administrative unit) in ``unit``, romanized and indexed; audited.
    ``texts`` may carry meaning, origin and history; the location is a point or a geometry (line, polygon…)."""
    clean = names.normalize_query(name)
    if status not in PLACE_STATUSES or secrecy not in SECRECY_LEVELS:
        raise InvalidInput(f"status {status!r} or secrecy {secrecy!r} is not known")
    code = normalize_code(unit)
    if boundaries.find_unit(conn, code) is None:
        raise InvalidInput(f"unit {unit!r} is not a current unit code")
    result = romanize(clean)
    (place_name_id,) = queries.allocate_place_ids(conn, 1)
    row = {
        "id": place_name_id,
        "place_id": place_name_id,
        "name": clean,
        "romanization": result.plain,
        "romanization_toned": result.toned,
        "romanization_origin": result.origin,
        "category": names.check_category(category),
        "unit_code": code,
        "level_rank": names.NON_UNIT_RANK,
        "geom": located(conn, point, geometry, code),
        "status": status,
        "secrecy": secrecy,
        "tags": tags or [],
        "valid_from": valid_from or date.today(),
        **{k: (texts or {}).get(k) for k in ("meaning", "origin", "history")},
    }
    queries.copy_place_names(conn, [row])
    keys = names.search_keys(clean, None, result.plain, result.origin)
    queries.replace_keys(conn, [(place_name_id, k, kind) for k, kind in keys])
    audit.record(conn, actor=actor, action="create", object_type="place_name", object_id=str(place_name_id), after=row)
    return get_place(conn, place_name_id)


def _published_unit_parts(level: str) -> list[str]:
    """The published SELECT of a level's units in its two index-friendly parts (with a registered polygon or not)."""
    return queries.published_units_parts(
        boundaries.published_units_sql(level, registered_polygon=True),
        boundaries.published_units_sql(level, registered_polygon=False),
    )


def published_collections(conn: Connection) -> list[dict[str, Any]]:
    """The collections this context publishes (see ogc.collections): units by level (registered polygon,
    else the unit's reference point), reference points, and place names (generalised where not public)."""
    units = [
        {
            "id": f"units-{level}",
            "title": f"Administrative units: {level}",
            "description": f"Every version of the {level}-level units with its validity; geometry is the registered "
            "polygon (polygon_source) where one exists, else the unit's reference point, else none (geometry_kind).",
            "sql": " UNION ALL ".join(_published_unit_parts(level)),
            "parts": _published_unit_parts(level),
            "properties": {
                "code": "string",
                "name": "string",
                "kind": "string",
                "parent_code": "string",
                "polygon_source": "string",
                "geometry_kind": "string",
                "valid_from": "date",
                "valid_to": "date",
            },
            "temporal": True,
            "geometry_type": "geometry",
        }
        for level in boundaries.LEVELS
    ]
    points = {
        "id": "reference-points",
        "title": "Reference points",
        "description": "Named points from the loaded sources (GeoNames, township and village seats), with the unit "
        "each was matched to where that could be done.",
        "sql": queries.PUBLISHED_POINTS,
        "properties": {
            "source": "string",
            "external_id": "string",
            "name": "string",
            "category": "string",
            "unit_code": "string",
            "unit_level": "string",
        },
        "geometry_type": "point",
    }
    place_names = {
        "id": "place-names",
        "title": "Place names",
        "description": "Standard names, aliases and historic names with their validity; the location of a record "
        "that is not public is generalised exactly as the lookup API does (a point on a 0.1° grid).",
        "sql": queries.PUBLISHED_PLACE_NAMES,
        "properties": {
            "place_id": "integer",
            "name": "string",
            "statistical_name": "string",
            "romanization": "string",
            "romanization_origin": "string",
            "category": "string",
            "unit_code": "string",
            "admin_code": "string",
            "status": "string",
            "secrecy": "string",
            "approval_date": "date",
            "valid_from": "date",
            "valid_to": "date",
        },
        "temporal": True,
        "geometry_type": "geometry",
    }
    return [*units, points, place_names, *signs.published_collections()]


def replay_unit_history(conn: Connection, path: Path, *, actor: str = "cli") -> ImportReport:
    """Replay a unit list across releases (CSV: as_of, code, name) as name events and historic names.

    Rules in gazetteer/history.py. Current names get the date their name took effect; earlier names become
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
            plain, toned, origin = names.unit_romanization(period.name, "township")
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
    after = {**report.as_dict(), "replay": archive_input(path, importer="unit_history")}
    audit.record(conn, actor=actor, action="import", object_type="name_event", object_id=str(path), after=after)
    return report


def _township_kind(name: str) -> str:
    for kind in ("街道", "苏木", "镇", "乡"):
        if name.endswith(kind):
            return kind
    return "其他"


# --- editing: proposals, approval, updates, renames, retirements (optimistic concurrency, audited) ----------
def _record(conn: Connection, place_name_id: int, version: int) -> Any:
    row = queries.record_for_update(conn, place_name_id)
    if row is None:
        raise NotFound(f"no place name with id {place_name_id}")
    if row["version"] != version:
        raise Conflict(
            f"place name {place_name_id} is at version {row['version']}, not {version}: reload it and apply the change"
            " again",
            extra={"current_version": row["version"]},
        )
    return row


def _write(conn: Connection, row: Any, values: dict[str, Any], geom_ewkt: str | None = None) -> None:
    if not queries.update_record(conn, row["id"], row["version"], values, geom_ewkt):
        raise Conflict(f"place name {row['id']} changed meanwhile: reload it")


def _public_fields(row: Any) -> dict[str, Any]:
    return {k: row[k] for k in queries.PLACE_FIELDS if k in row and k != "geom"}


def propose_place(
    conn: Connection,
    *,
    name: str,
    category: str,
    unit: str,
    point: GeoPoint | None = None,
    geometry: BaseGeometry | None = None,
    meaning: str | None = None,
    origin: str | None = None,
    history_text: str | None = None,
    tags: list[str] | None = None,
    secrecy: str = "public",
    actor: str,
) -> dict[str, Any]:
    """A new name proposal (status ``proposed``) for an approver to approve; romanized and indexed."""
    return create_place(
        conn,
        name=name,
        category=category,
        unit=unit,
        point=point,
        geometry=geometry,
        secrecy=secrecy,
        status="proposed",
        tags=tags,
        texts={"meaning": meaning, "origin": origin, "history": history_text},
        actor=actor,
    )


class Update(NamedTuple):
    """What :func:`update_place` did: wrote the record (``applied``; ``answer`` is the record) or, for a lowering of
    its secrecy, filed a proposal for an approver (``answer`` is the pending proposal; the record is unchanged)."""

    answer: dict[str, Any]
    applied: bool


def update_place(
    conn: Connection,
    place_name_id: int,
    *,
    version: int,
    changes: dict[str, Any],
    point: GeoPoint | None = None,
    geometry: BaseGeometry | None = None,
    actor: str,
) -> Update:
    """Change the descriptive fields of a record (not its name: rename does that) at ``version``.

    Raising the secrecy (密级) is a change like any other. Lowering it (to public, or secret to internal) is not
    written: it becomes a pending proposal that an approver other than ``actor`` must approve (two-person rule,
    :func:`decide_secrecy_proposal`). A lowering travels alone: with other changes it is refused (422), nothing
    written, so a PATCH is applied whole or not at all.
    """
    unknown = set(changes) - set(queries.EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(
            f"field(s) {', '.join(sorted(unknown))} cannot be changed here; editable: "
            f"{', '.join(queries.EDITABLE_FIELDS)} (the name changes through rename)"
        )
    if not changes and point is None and geometry is None:
        raise InvalidInput("nothing to change")
    if "category" in changes:
        names.check_category(changes["category"])
    if "secrecy" in changes and changes["secrecy"] not in SECRECY_LEVELS:
        raise InvalidInput(f"secrecy {changes['secrecy']!r} is not one of {', '.join(SECRECY_LEVELS)}")
    if "approval_date" in changes:
        changes["approval_date"] = parse_date(changes["approval_date"], "approval_date")
    row = _record(conn, place_name_id, version)
    if row["status"] in ("retired", "historic"):
        raise Conflict(f"place name {place_name_id} is {row['status']}: it is kept as it was")
    if "secrecy" in changes and lowers_secrecy(row["secrecy"], changes["secrecy"]):
        if len(changes) > 1 or point is not None or geometry is not None:
            raise InvalidInput(
                f"lowering the secrecy of place name {place_name_id} ({row['secrecy']} → {changes['secrecy']}) is a "
                "proposal an approver must approve: send it alone, without other changes; nothing was written"
            )
        return Update(_propose_secrecy(conn, row, changes["secrecy"], actor), applied=False)
    geom = located(conn, point, geometry, row["unit_code"] or row["admin_code"])
    _write(conn, row, changes, geom)
    audit.record(
        conn,
        actor=actor,
        action="update",
        object_type="place_name",
        object_id=str(place_name_id),
        before=_public_fields(row),
        after={**changes, "geometry": geom},
    )
    return Update(get_place(conn, place_name_id), applied=True)


def _propose_secrecy(conn: Connection, row: Any, secrecy: str, actor: str) -> dict[str, Any]:
    """File the proposal to lower the record's secrecy to ``secrecy`` (at most one pending per record); audited."""
    pending = secrecy_queries.proposals(conn, place_name_id=row["id"], status="pending")
    if pending:
        raise Conflict(
            f"proposal {pending[0]['id']} by {pending[0]['proposed_by']} to lower the secrecy of place name "
            f"{row['id']} to {pending[0]['to_secrecy']} is pending: an approver approves or rejects it first",
            extra={"proposal_id": pending[0]["id"]},
        )
    proposal_id = secrecy_queries.insert_proposal(conn, row["id"], row["secrecy"], secrecy, row["version"], actor)
    audit.record(
        conn,
        actor=actor,
        action="propose_secrecy",
        object_type="place_name",
        object_id=str(row["id"]),
        before={"secrecy": row["secrecy"], "version": row["version"]},
        after={"secrecy": secrecy, "proposal_id": proposal_id, "proposed_by": actor},
    )
    return secrecy_queries.proposals(conn, place_name_id=row["id"], status="pending")[0]


def secrecy_proposals(
    conn: Connection, place_name_id: int | None = None, *, status: str | None = None
) -> list[dict[str, Any]]:
    """The proposals to lower secrecy of a record (of every record when None), newest first, optionally only
    those of one status (pending, approved, rejected)."""
    if status is not None and status not in PROPOSAL_STATUSES:
        raise InvalidInput(f"status {status!r} is not one of {', '.join(PROPOSAL_STATUSES)}")
    if place_name_id is not None and queries.place_by_id(conn, place_name_id) is None:
        raise NotFound(f"no place name with id {place_name_id}")
    return secrecy_queries.proposals(conn, place_name_id=place_name_id, status=status)


def decide_secrecy_proposal(conn: Connection, proposal_id: int, *, approve: bool, actor: str) -> dict[str, Any]:
    """Approve (the record's secrecy is lowered) or reject a pending proposal; answers the decided proposal.

    The proposer may not decide their own proposal (403: two persons). An approval applies to the record as it
    was proposed: when the record changed since (another version), it is refused (409) — reject the proposal and
    propose again. The audit row names both the proposer and the approver.
    """
    found = secrecy_queries.proposal_for_update(conn, proposal_id)
    if found is None:
        raise NotFound(f"no secrecy proposal {proposal_id}")
    place_name_id = found["place_name_id"]
    if found["status"] != "pending":
        raise Conflict(f"secrecy proposal {proposal_id} was already {found['status']} by {found['decided_by']}")
    if found["proposed_by"] == actor:
        raise Forbidden(
            f"secrecy proposal {proposal_id} was made by {actor}: another approver must decide it (two-person rule)"
        )
    decision = "approved" if approve else "rejected"
    if approve:
        try:
            row = _record(conn, place_name_id, found["record_version"])
        except Conflict as exc:
            raise Conflict(
                f"place name {place_name_id} changed since the proposal (version {found['record_version']} → "
                f"{exc.extra['current_version']}): reject proposal {proposal_id} and propose again"
            ) from None
        _write(conn, row, {"secrecy": found["to_secrecy"]})
    decided_at = secrecy_queries.decide(conn, proposal_id, decision, actor)
    audit.record(
        conn,
        actor=actor,
        action="approve_secrecy" if approve else "reject_secrecy",
        object_type="place_name",
        object_id=str(place_name_id),
        before={"secrecy": found["from_secrecy"], "version": found["record_version"]},
        after={
            "secrecy": found["to_secrecy"] if approve else found["from_secrecy"],
            "proposal_id": proposal_id,
            "proposed_by": found["proposed_by"],
            f"{decision}_by": actor,
        },
    )
    return {**found, "status": decision, "decided_by": actor, "decided_at": decided_at}


def _approval(approving_body: str | None, document_number: str | None, approval_date: Any) -> dict[str, Any]:
    if not (approving_body or "").strip() or not (document_number or "").strip():
        raise InvalidInput("approving_body and document_number are required (the approval that decided this)")
    return {
        "approving_body": approving_body.strip() if approving_body else None,
        "document_number": document_number.strip() if document_number else None,
        "approval_date": parse_date(approval_date, "approval_date"),
    }


def approve_place(
    conn: Connection,
    place_name_id: int,
    *,
    version: int,
    approving_body: str | None,
    document_number: str | None,
    approval_date: Any,
    effective_date: Any = None,
    actor: str,
) -> dict[str, Any]:
    """A proposal becomes a standard name (命名), with its approval."""
    approval = _approval(approving_body, document_number, approval_date)
    effective = parse_date(effective_date, "effective_date") or approval["approval_date"] or date.today()
    row = _record(conn, place_name_id, version)
    if row["status"] != "proposed":
        raise Conflict(f"place name {place_name_id} is {row['status']}, not a proposal")
    _write(conn, row, {"status": "standard", **approval})
    queries.insert_events(
        conn,
        [
            {
                "place_id": row["place_id"],
                "kind": "naming",
                "new_name": row["name"],
                "effective_date": effective,
                **approval,
            }
        ],
    )
    audit.record(
        conn,
        actor=actor,
        action="approve",
        object_type="place_name",
        object_id=str(place_name_id),
        before={"status": "proposed"},
        after={"status": "standard", **approval},
    )
    return get_place(conn, place_name_id)


def _required_effective_date(raw: Any) -> date:
    effective = parse_date(raw, "effective_date")
    if effective is None:
        raise InvalidInput("effective_date is required (YYYY-MM-DD)")
    return effective


def rename_place(
    conn: Connection,
    place_name_id: int,
    *,
    version: int,
    new_name: str,
    approving_body: str | None,
    document_number: str | None,
    approval_date: Any,
    effective_date: Any,
    actor: str,
) -> dict[str, Any]:
    """更名: the current name becomes historic on the effective date, the new one standard from it."""
    approval = _approval(approving_body, document_number, approval_date)
    effective = _required_effective_date(effective_date)
    clean = names.normalize_query(new_name).replace(" ", "")
    row = _record(conn, place_name_id, version)
    if row["status"] != "standard":
        raise Conflict(f"place name {place_name_id} is {row['status']}: only a standard name is renamed")
    if clean == row["name"]:
        raise InvalidInput(f"the new name {clean!r} is the current name")
    if effective <= row["valid_from"]:
        raise InvalidInput(f"effective_date {effective} must be after the current name's start {row['valid_from']}")
    result = romanize(clean)
    _write(conn, row, {"status": "historic", "valid_to": effective})
    (new_id,) = queries.allocate_place_ids(conn, 1)
    new_row = {
        "id": new_id,
        "place_id": row["place_id"],
        "name": clean,
        "statistical_name": None,
        "romanization": result.plain,
        "romanization_toned": result.toned,
        "romanization_origin": result.origin,
        "category": row["category"],
        "unit_code": row["unit_code"],
        "admin_code": row["admin_code"],
        "level_rank": row["level_rank"],
        "geom": row["geom_ewkt"],
        "meaning": row["meaning"],
        "origin": row["origin"],
        "history": row["history"],
        "status": "standard",
        "secrecy": row["secrecy"],
        "tags": row["tags"],
        "valid_from": effective,
        "geom_source": row["geom_source"],
        **approval,
    }
    queries.copy_place_names(conn, [new_row])
    keys = names.search_keys(clean, None, result.plain, result.origin)
    queries.replace_keys(conn, [(new_id, k, kind) for k, kind in keys])
    queries.insert_events(
        conn,
        [
            {
                "place_id": row["place_id"],
                "kind": "renaming",
                "old_name": row["name"],
                "new_name": clean,
                "effective_date": effective,
                **approval,
            }
        ],
    )
    audit.record(
        conn,
        actor=actor,
        action="rename",
        object_type="place_name",
        object_id=str(place_name_id),
        before=_public_fields(row),
        after={"id": new_id, "name": clean, "valid_from": effective, **approval},
    )
    return get_place(conn, new_id)


def retire_place(
    conn: Connection,
    place_name_id: int,
    *,
    version: int,
    approving_body: str | None,
    document_number: str | None,
    approval_date: Any,
    effective_date: Any,
    actor: str,
) -> dict[str, Any]:
    """销名: the name is retired from the effective date (kept, searchable as retired)."""
    approval = _approval(approving_body, document_number, approval_date)
    effective = _required_effective_date(effective_date)
    row = _record(conn, place_name_id, version)
    if row["status"] == "retired":
        raise Conflict(f"place name {place_name_id} was already retired on {row['valid_to']}")
    if row["status"] != "standard":
        raise Conflict(f"place name {place_name_id} is {row['status']}: only a standard name is retired")
    if effective <= row["valid_from"]:
        raise InvalidInput(f"effective_date {effective} must be after the name's start {row['valid_from']}")
    _write(conn, row, {"status": "retired", "valid_to": effective})
    queries.insert_events(
        conn,
        [
            {
                "place_id": row["place_id"],
                "kind": "retirement",
                "old_name": row["name"],
                "effective_date": effective,
                **approval,
            }
        ],
    )
    audit.record(
        conn,
        actor=actor,
        action="retire",
        object_type="place_name",
        object_id=str(place_name_id),
        before=_public_fields(row),
        after={"status": "retired", "valid_to": effective, **approval},
    )
    return get_place(conn, place_name_id)


# --- lists and exports ---------------------------------------------------------------------------
def list_by_tag(
    conn: Connection, tag: str, *, unit: str | None = None, status: str | None = None, limit: int = 1000
) -> dict[str, Any]:
    """A thematic list: the place names carrying ``tag`` (e.g. 红色地名), with unit paths."""
    clean = tag.strip()
    if not clean or has_control_characters(clean) or len(clean) > 50:
        raise InvalidInput(f"tag {tag!r} is empty, too long or has control characters")
    rows = queries.places_by_tag(
        conn, clean, unit_prefix=_unit_prefix(conn, unit), statuses=_statuses(status), limit=limit
    )
    hits = []
    for row in rows:
        hit = _hit(row, "tag", 0)
        del hit["_rank"], hit["match"], hit["score"]
        hits.append(hit)
    _add_unit_paths(conn, hits, None)
    return {"tag": clean, "count": len(hits), "results": hits}


def located_standard_places(conn: Connection, *, unit: str, as_of: date | None = None) -> list[dict[str, Any]]:
    """The standard place names valid on the date (today) within ``unit`` that have a location, for maps: each
    with name, romanization, category, unit path, secrecy and its public point (generalised unless public)."""
    prefix = _unit_prefix(conn, unit) or ""
    hits = []
    for row in queries.standard_places_located(conn, prefix, as_of or date.today()):
        hit = _hit(row, "map", 0)
        del hit["_rank"], hit["match"], hit["score"]
        hit["secrecy"] = row["secrecy"]
        hits.append(hit)
    _add_unit_paths(conn, hits, as_of)
    return hits
