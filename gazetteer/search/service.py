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
from core.values import GeoPoint, normalize_code, significant_code
from gazetteer.places import english, names
from gazetteer.places.models import PLACE_STATUSES
from gazetteer.search import queries

# --- place names -----------------------------------------------------------------------------------
DEFAULT_STATUSES = ("standard", "alias", "historic", "retired")
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
    """Place names matching ``q`` (Hanzi simplified/traditional, pinyin, initials, official and English forms, one typo,
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
        _search_latin(conn, text_, scope, hits, autocomplete)
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


def _search_latin(conn: Connection, query: str, scope: dict[str, Any], hits: _Hits, prefix_only: bool) -> None:
    key = names.latin_key(query)
    if not key:
        raise InvalidInput("q has no letters or characters to search for")
    if not prefix_only:
        # English forms of units (Ejin Horo Banner), then the query with an English generic read as pinyin.
        hits.take(queries.find_by_english(conn, key, limit=hits.fetch, **scope), "exact", 100)
        generic_keys = english.generic_read_keys(query)
        if generic_keys:
            rows = queries.find_by_keys(conn, generic_keys, list(LATIN_EXACT), limit=hits.fetch, **scope)
            hits.take([r for r in rows if LATIN_EXACT[r["matched_kind"]][0] == "exact"], "exact", 95)
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
        self._built: dict[str, tuple[str, dict[str, list[_UnitHead]]]] = {}

    def of(self, conn: Connection) -> dict[str, list[_UnitHead]]:
        """The heads of ``conn``'s database as of its committed gazetteer version."""
        database = conn.engine.url.render_as_string(hide_password=True)
        version = versions(conn, ("gazetteer",))
        with self._lock:
            built = self._built.get(database)
            if built is None or built[0] != version:
                heads: dict[str, list[_UnitHead]] = {}
                for row in queries.unit_heads(conn, HEAD_MAX_RANK):
                    if HEAD_LENGTHS[0] <= len(row["key"]) <= HEAD_LENGTHS[1]:
                        heads.setdefault(row["key"], []).append(_UnitHead(**row))
                built = (version, heads)
                self._built[database] = built
        return built[1]


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


def _within_one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by at most one inserted, deleted or replaced character."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


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
