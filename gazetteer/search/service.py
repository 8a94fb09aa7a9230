"""Name search: exact, traditional, pinyin, initials and one-character typos, scoped to a unit, with the unit path of
each hit."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core.data_version import versions
from core.errors import InvalidInput
from core.heap import freeze_long_lived
from core.values import GeoPoint, normalize_code, significant_code
from gazetteer.places import english, names
from gazetteer.places.models import PLACE_STATUSES
from gazetteer.search import queries

# --- place names -----------------------------------------------------------------------------------
DEFAULT_STATUSES = ("standard", "alias", "historic", "retired")
FUZZY_KEYS = 64  # nationally, a typo tie of more cores than this keeps the shorter, then the lowest ids
FUZZY_ROWS = 500  # within a unit, typo candidates read at most


def _unit_prefix(conn: Connection, unit: str | None) -> str | None:
    """The code prefix of a unit given by its code; 422 for a code no unit or unit name has."""
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
    """A search answer's record from a row of PAGE_COLUMNS (with its unit path when the row carries one)."""
    point = None if row["lon"] is None else {"lon": row["lon"], "lat": row["lat"], "crs": "EPSG:4490"}
    hit = {
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
    }
    if "unit_path" in row:
        hit["unit_path"] = row["unit_path"]
        hit["unit_path_text"] = "/".join(p["name"] for p in row["unit_path"])
    return hit


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
    """Place names matching ``q`` (Hanzi simplified/traditional, pinyin, initials, official and English forms, one typo,
    generic dropped or the whole prefix written in), ranked: exact, core (generic dropped), prefix, fuzzy;
    within a tie the higher level and the current name first. ``autocomplete`` keeps prefix matches only.

    One round trip (queries.search_page: the phases run server-side) returns the finished page; a written-in prefix
    is read from the in-process index of unit names, and the search runs again in the rare case that the function
    saw a newer gazetteer version than the index was built from."""
    text_ = names.normalize_query(q)
    if not 1 <= limit <= 100 or not 0 <= offset <= 1000:
        raise InvalidInput(f"limit {limit} / offset {offset} out of range (limit 1–100, offset 0–1000)")
    code = None if unit is None else normalize_code(unit)
    scope: dict[str, Any] = {
        "unit_prefix": None if code is None else significant_code(code),
        "category": _category(category),
        "statuses": _statuses(status),
        "as_of": as_of,
    }
    wanted = limit + offset
    params: dict[str, Any] = {
        "unit_prefix": None if scope["unit_prefix"] is None else scope["unit_prefix"] + "%",
        "category_prefix": None if scope["category"] is None else scope["category"] + "%",
        "statuses": list(scope["statuses"]),
        "as_of": as_of,
        "unit_code": code,
        "wanted": wanted,
        "fetch": wanted + 50,
        "limit": limit,
        "offset": offset,
    }
    while True:
        heads_version = _UNIT_HEADS.version(conn)
        if names.is_latin(text_):
            params["steps"], labels = _latin_steps(text_, params, autocomplete), LATIN_LABELS
        else:
            params["steps"], labels = _hanzi_steps(conn, text_, scope, params, autocomplete), HANZI_LABELS
        rows = queries.search_page(conn, params)
        if heads_version is None or str(rows[0]["version"] or 0) == heads_version:
            break
        _UNIT_HEADS.rebuild(conn, heads_version)  # the unit names changed since it was built: read them again
    if not rows[0]["unit_known"] and boundaries.find_unit(conn, code or "") is None:
        raise InvalidInput(f"unit {unit!r} is not a known unit code")
    page = [_hit(row, labels[row["score"]], row["score"]) for row in rows if row["id"] is not None]
    return {"query": text_, "count": len(page), "offset": offset, "more": rows[0]["total"] > wanted, "results": page}


# The scores of the steps of gazetteer_search (migration 0024) and the match they are reported as.
LATIN_LABELS = {100: "exact", 95: "exact", 90: "core", 80: "initials", 78: "initials", 70: "prefix"}
HANZI_LABELS = {100: "exact", 95: "prefixed", 90: "core", 85: "core", 70: "prefix", 60: "generic differs"}
HANZI_LABELS |= {52: "fuzzy", 50: "fuzzy"}


def _latin_steps(query: str, params: dict[str, Any], prefix_only: bool) -> list[str]:
    """The steps of a Latin query: English forms of units (Ejin Horo Banner), the query with an English generic
    read as pinyin, the pinyin / official / initials keys, then (two letters or more) their prefix."""
    key = names.latin_key(query)
    if not key:
        raise InvalidInput("q has no letters or characters to search for")
    params |= {"key": key}
    steps = []
    if not prefix_only:
        steps.append("english")
        generic_keys = english.generic_read_keys(query)
        if generic_keys:
            params["generic_keys"] = generic_keys
            steps.append("generic_read")
        steps.append("latin")
    if len(key) >= 2:
        params |= {"lo": key, "hi": key + chr(0x10FFFF)}
        steps.append("latin_prefix")
    return steps


def _hanzi_steps(
    conn: Connection, raw: str, scope: dict[str, Any], params: dict[str, Any], prefix_only: bool
) -> list[str]:
    """The steps of a Hanzi query: exact and core keys, a written-in prefix of unit names read off (the rest
    within the last unit), the prefix, then one-character typos (nationally from the distinct core deletions, a
    common deletion such as 庄 costing its distinct cores, not its 20,000 records, and of a tie of more than
    FUZZY_KEYS cores the shorter kept, then those of the lowest record id, the names of the query's generic first;
    within a unit the unit's keys compared directly)."""
    simplified = names.to_simplified(raw).replace(" ", "")
    variants = {raw.replace(" ", ""), simplified}
    core, generic = names.split_name(simplified)
    params |= {"core": core, "generic": generic}
    steps = []
    if not prefix_only:
        params |= {"variants": sorted(variants), "keys": sorted(variants | {core})}
        steps.append("exact")
        remainder, unit_prefix = _strip_written_prefix(conn, simplified, scope)
        if remainder != simplified:
            params |= {"remainder": remainder, "narrow_prefix": None if unit_prefix is None else unit_prefix + "%"}
            steps.append("prefixed")
    params |= {"lo": simplified, "hi": simplified + chr(0x10FFFF)}
    steps.append("prefix")
    if prefix_only:
        return steps
    if scope["unit_prefix"] is not None:
        params["fuzzy_rows"] = FUZZY_ROWS
        return [*steps, "unit_typo"]
    params |= {"probes": sorted({core} | names.deletions(core)), "fuzzy_keys": FUZZY_KEYS}
    return [*steps, *(["typo_generic"] if generic else []), "typo"]


HEAD_MAX_RANK = 4  # township
HEAD_LENGTHS = (2, 20)  # characters of a unit name a prefix is read from


class _UnitHead(NamedTuple):
    """A key of a unit's standard name, with what the prefix reading filters and ranks by."""

    key: str
    id: int
    admin_code: str
    unit_code: str | None
    level_rank: int
    valid_from: date
    valid_to: date | None


class _UnitHeads:
    """The names a written-in prefix is made of (provinces down to townships), by key, built once per database
    and rebuilt when the gazetteer's data version changes (core.data_version: any committed write to its tables)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: dict[Any, tuple[str, dict[str, list[_UnitHead]]]] = {}

    @staticmethod
    def _database(conn: Connection) -> Any:
        return conn.engine.url

    def version(self, conn: Connection) -> str | None:
        """The gazetteer version the heads of ``conn``'s database were built from; None before they are built."""
        built = self._built.get(self._database(conn))
        return None if built is None else built[0]

    def of(self, conn: Connection) -> dict[str, list[_UnitHead]]:
        """The heads of ``conn``'s database, built on first use (a caller that learns of a newer gazetteer version
        calls rebuild)."""
        built = self._built.get(self._database(conn))
        return self.rebuild(conn, None) if built is None else built[1]

    def rebuild(self, conn: Connection, stale: str | None) -> dict[str, list[_UnitHead]]:
        """Read the heads of ``conn``'s database as of its committed gazetteer version, unless another thread did
        while this one waited: only heads built from version ``stale`` (None: none built) are read again, so the
        threads that all found the heads missing or stale build them once, not once each."""
        with self._lock:
            built = self._built.get(self._database(conn))
            if built is not None and built[0] != stale:
                return built[1]
            version = versions(conn, ("gazetteer",))
            heads: dict[str, list[_UnitHead]] = {}
            for row in queries.unit_heads(conn, HEAD_MAX_RANK):
                head = _UnitHead._make(row)
                if HEAD_LENGTHS[0] <= len(head.key) <= HEAD_LENGTHS[1]:
                    heads.setdefault(head.key, []).append(head)
            self._built[self._database(conn)] = (version, heads)
        freeze_long_lived()  # the heads live until the next rebuild: out of the full collections' walk
        return heads


_UNIT_HEADS = _UnitHeads()


def _strip_written_prefix(conn: Connection, text_: str, scope: dict[str, Any]) -> tuple[str, str | None]:
    """The query without a written-in prefix of province and unit names, and the code prefix of the last unit
    stripped (内蒙古自治区鄂尔多斯市东胜区 -> 东胜区 within 150602). The unit names come from an in-process index
    (_UnitHeads): at each step, the names the rest of the query starts with are looked up by key."""
    unit_prefix = scope["unit_prefix"]
    for province in sorted(names.PROVINCE_NAMES, key=len, reverse=True):
        if text_.startswith(province) and len(text_) > len(province):
            text_ = text_[len(province) :]
            break
    if len(text_) < 3:
        return text_, unit_prefix
    heads = _UNIT_HEADS.of(conn)
    scope_prefix, as_of = unit_prefix, scope["as_of"]
    position = 0
    while True:
        following = [
            head
            for end in range(position + HEAD_LENGTHS[0], min(len(text_) - 1, position + HEAD_LENGTHS[1]) + 1)
            for head in heads.get(text_[position:end], ())
            if (
                scope_prefix is None
                or head.admin_code.startswith(scope_prefix)
                or (head.unit_code or "").startswith(scope_prefix)
            )
            and (as_of is None or head.valid_from <= as_of and (head.valid_to is None or head.valid_to > as_of))
            and (unit_prefix is None or head.admin_code.startswith(unit_prefix))
        ]
        if not following:
            break
        following.sort(key=lambda h: (h.level_rank, h.valid_to is not None, len(h.key), h.id))
        best = max(following, key=lambda h: (len(h.key), -h.level_rank))
        position += len(best.key)
        unit_prefix = significant_code(best.admin_code)
    return text_[position:], unit_prefix


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
        del hit["score"]
        hit["distance_m"] = round(float(row["distance_m"]), 1)
        hits.append(hit)
    _add_unit_paths(conn, hits, None)
    return hits
