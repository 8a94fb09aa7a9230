"""An ILLUSTRATIVE facility registry at the city's real scale, generated reproducibly for the demo (no real list is
public). Nothing here is real data: the counts and totals are those of Ordos's 2021 year-end work report, the
places are made up around the real township and village points loaded with the Ordos dataset, every name ends in
(示意) and every record is imported with ``--illustrative`` (source ``demo-illustrative``).

Rules (one seed, default 2021, gives the same files every time on the same loaded units and points):

- 71 eldercare institutions (养老机构): 26 public at the points of 26 苏木/乡/镇 (rural homes, 敬老院), 45 private
  at the points of streets (街道) and communities (社区); 200–900 m from their point. Beds: 2,708 public and 8,582
  private (11,290), split by random weights (largest remainder). Nursing-type beds: 5,702 in all (50.5 %), each
  institution 30–75 % of its beds before scaling. Infirmary (内设医疗机构): the 40 largest by beds times a random
  factor; medical contract (签约医疗机构): 24 of the other 31. Opened 2005–2021.
- 87 community eldercare sites (社区养老服务设施): one 100–700 m from each of 24 located communities (about 82 %,
  the plan's coverage), the other 63 near street and village points (100–900 m); 36 opened 2012–2020, 51 in 2021.
- 6 funeral homes: the city's (东胜区) and 5 banners' (seeded choice), 3–6 km from a township point of the banner.
- 27 cemeteries, outside built-up areas (2–8 km from a township point, at least 1.5 km from every township and
  village point and 1 km from the railway below): 12 public-welfare (公益性), one in each of 12 苏木/乡/镇 (declared
  as their unit), and 15 commercial (经营性).
- A prohibited-zone layer: one illustrative railway (示意铁路) through the first township point of six banners from
  west to east (a vertex every 0.01°), buffer 200 m (an illustrative width, not a cited rule).
- 300 individual graves (散埋乱葬坟墓): 40 within 20–150 m of the railway (inside the zone), 260 elsewhere 1–8 km
  from a township or village point and more than 500 m from the railway.
- Population aged 60+ per banner for 2020 and 2021, split half by the banner's share of village-level units and half
  by its share of the beds above: 213,019 in 2021 (11,290 beds / 53 per 1,000, the report's figure) and 97 % of
  that in 2020; the total is the aged figure / 0.15. Illustrative too (source ``demo-illustrative``).

- Later history (after the report's day, so the 2021 figures stand): 4 institutions change their beds (a new dated
  version from a day in 2022–2024, beds 20–40 % more or less, nursing beds in proportion), 1 institution and 3
  community sites opened before 2021 close (a day in 2023–2025). They are a second file of the same source,
  imported after the first; the first gives each row ``valid_from`` = its opening day, so that re-importing both
  (``make demo`` again) changes nothing.

Every point is checked to lie in the banner of its declared unit (a retry moves it). Distances are measured on a
local plane (equirectangular at the point's latitude), accurate to well under 1 % at these ranges.
"""

from __future__ import annotations

import csv
import json
import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core.errors import InvalidInput
from core.values import GeoPoint
from gazetteer import service as gazetteer

SEED = 2021
SOURCE = "demo-illustrative"
MARK = "(示意)"
CITY_PREFIX = "1506"
CITY_BANNER = "150602000000"  # 东胜区, the city seat: the city's funeral home
TOWN_KINDS = ("镇", "乡", "苏木", "民族乡", "民族苏木")
# The figures of the 2021 year-end work report the registry reproduces.
PUBLIC_INSTITUTIONS, PUBLIC_BEDS = 26, 2_708
PRIVATE_INSTITUTIONS, PRIVATE_BEDS = 45, 8_582
NURSING_BEDS = 5_702  # just over half of 11,290 (50.5 %)
WITH_INFIRMARY, WITH_CONTRACT = 40, 24
SITES_BEFORE_2021, SITES_IN_2021 = 36, 51
SERVED_COMMUNITIES = 24
FUNERAL_HOMES = 6
PUBLIC_WELFARE_CEMETERIES, COMMERCIAL_CEMETERIES = 12, 15
GRAVES_IN_ZONE, GRAVES_ELSEWHERE = 40, 260
BED_CHANGES, CLOSED_INSTITUTIONS, CLOSED_SITES = 4, 1, 3
RAILWAY_BUFFER_M = 200.0
BEDS_PER_1000 = 53
AGED_SHARE = 0.15
EARTH_M_PER_DEGREE = 111_320.0
MAX_TRIES = 200

FACILITY_COLUMNS = (
    "external_id",
    "name",
    "kind",
    "cemetery_type",
    "ownership",
    "beds",
    "nursing_beds",
    "capacity",
    "infirmary",
    "medical_contract",
    "status",
    "opened_on",
    "closed_on",
    "valid_from",
    "unit_code",
    "lon",
    "lat",
)


@dataclass
class Anchor:
    """A real unit point the made-up places are put around."""

    code: str
    name: str
    kind: str
    lon: float
    lat: float


@dataclass
class Registry:
    """The generated rows: facilities as they opened and their later changes (CSV columns), population rows, the
    railway layer (GeoJSON)."""

    facilities: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    population: list[dict[str, Any]] = field(default_factory=list)
    railway: dict[str, Any] = field(default_factory=dict)


def apportion(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` by largest remainder (the parts sum to ``total``)."""
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    parts = [math.floor(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: parts[i] - exact[i])[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _offset(lon: float, lat: float, distance_m: float, bearing: float) -> tuple[float, float]:
    dx, dy = distance_m * math.sin(bearing), distance_m * math.cos(bearing)
    return (
        round(lon + dx / (EARTH_M_PER_DEGREE * math.cos(math.radians(lat))), 6),
        round(lat + dy / EARTH_M_PER_DEGREE, 6),
    )


def _plane(lon: float, lat: float, ref_lat: float) -> tuple[float, float]:
    return lon * EARTH_M_PER_DEGREE * math.cos(math.radians(ref_lat)), lat * EARTH_M_PER_DEGREE


def distance_to_line(lon: float, lat: float, line: list[tuple[float, float]]) -> float:
    """Metres from a point to a polyline (local plane at the point's latitude)."""
    px, py = _plane(lon, lat, lat)
    best = math.inf
    for (x1, y1), (x2, y2) in zip(line, line[1:], strict=False):
        ax, ay = _plane(x1, y1, lat)
        bx, by = _plane(x2, y2, lat)
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
        best = min(best, math.hypot(px - ax - t * dx, py - ay - t * dy))
    return best


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Metres between two lon/lat points (local plane)."""
    ax, ay = _plane(a[0], a[1], a[1])
    bx, by = _plane(b[0], b[1], a[1])
    return math.hypot(ax - bx, ay - by)


def densify(line: list[tuple[float, float]], step_deg: float = 0.01) -> list[tuple[float, float]]:
    """The polyline with a vertex every ``step_deg`` or less, so that its segments in degrees and on the ellipsoid
    (geography distances in PostGIS) part by well under a metre."""
    out = [line[0]]
    for (x1, y1), (x2, y2) in zip(line, line[1:], strict=False):
        steps = max(1, math.ceil(max(abs(x2 - x1), abs(y2 - y1)) / step_deg))
        out += [
            (round(x1 + (x2 - x1) * k / steps, 6), round(y1 + (y2 - y1) * k / steps, 6)) for k in range(1, steps + 1)
        ]
    return out


class _Generator:
    def __init__(self, conn: Connection, seed: int) -> None:
        self.conn = conn
        self.rng = random.Random(seed)
        self.banners = {u["code"]: u for u in boundaries.units_within(conn, CITY_PREFIX, "county")}
        units = {
            u["code"]: u for level in ("township", "village") for u in boundaries.units_within(conn, CITY_PREFIX, level)
        }
        self.towns: list[Anchor] = []
        self.streets: list[Anchor] = []
        self.communities: list[Anchor] = []
        self.villages: list[Anchor] = []
        seen: set[str] = set()
        for point in gazetteer.list_points(conn, within=CITY_PREFIX):
            unit = units.get(point["unit_code"] or "")
            if unit is None or unit["code"] in seen:
                continue
            seen.add(unit["code"])
            anchor = Anchor(unit["code"], unit["name"], unit["kind"], point["lon"], point["lat"])
            if unit["level"] == "township":
                group = self.towns if unit["kind"] in TOWN_KINDS else self.streets if unit["kind"] == "街道" else None
            else:
                group = self.communities if unit["kind"] == "社区" else self.villages
            if group is not None:
                group.append(anchor)
        self.all_points = [(a.lon, a.lat) for a in self.towns + self.streets + self.communities + self.villages]
        self.railway: list[tuple[float, float]] = []
        self.registry = Registry()
        self.count: dict[str, int] = {}

    def _date(self, first: date, last: date) -> str:
        return (first + timedelta(days=self.rng.randrange((last - first).days + 1))).isoformat()

    def _banner_at(self, lon: float, lat: float) -> str | None:
        units = [u for u in boundaries.units_at_point(self.conn, GeoPoint(lon, lat)) if u["level"] == "county"]
        return units[0]["code"] if units else None

    def _place(self, anchor: Anchor, low_m: float, high_m: float, *, rural: bool = False) -> tuple[float, float]:
        """A point ``low_m``–``high_m`` from the anchor inside the anchor's banner (rural: away from every unit
        point and the railway)."""
        for _ in range(MAX_TRIES):
            lon, lat = _offset(
                anchor.lon, anchor.lat, self.rng.uniform(low_m, high_m), self.rng.uniform(0, 2 * math.pi)
            )
            if rural and (
                min(distance_m((lon, lat), p) for p in self.all_points) < 1_500
                or distance_to_line(lon, lat, self.railway) < 1_000
            ):
                continue
            if self._banner_at(lon, lat) == anchor.code[:6] + "000000":
                return lon, lat
        raise InvalidInput(f"no place found around {anchor.name} ({anchor.code}) in {MAX_TRIES} tries")

    def _add(self, prefix: str, **row: Any) -> None:
        self.count[prefix] = self.count.get(prefix, 0) + 1
        record = {c: "" for c in FACILITY_COLUMNS}
        record.update(external_id=f"{prefix}-{self.count[prefix]:03d}", status="operating", **row)
        record["valid_from"] = record["opened_on"]  # the attributes as opened: a re-import restates that version
        self.registry.facilities.append(record)

    def institutions(self) -> None:
        towns = self.rng.sample(self.towns, PUBLIC_INSTITUTIONS)
        urban = [self.rng.choice(self.streets + self.communities) for _ in range(PRIVATE_INSTITUTIONS)]
        public_beds = apportion(PUBLIC_BEDS, [self.rng.uniform(0.5, 1.5) for _ in towns])
        private_beds = apportion(PRIVATE_BEDS, [self.rng.uniform(0.4, 2.0) for _ in urban])
        homes = [(a, "public", b) for a, b in zip(towns, public_beds, strict=True)]
        homes += [(a, "private", b) for a, b in zip(urban, private_beds, strict=True)]
        nursing = apportion(NURSING_BEDS, [beds * self.rng.uniform(0.3, 0.75) for _, _, beds in homes])
        ranked = sorted(range(len(homes)), key=lambda i: -homes[i][2] * self.rng.uniform(0.5, 1.5))
        infirmary = set(ranked[:WITH_INFIRMARY])
        contract = set(self.rng.sample(ranked[WITH_INFIRMARY:], WITH_CONTRACT))
        for i, (anchor, ownership, beds) in enumerate(homes):
            lon, lat = self._place(anchor, 200, 900)
            label = "公办养老院" if ownership == "public" else "民办养老机构"
            self._add(
                "home",
                name=f"{anchor.name}示意{label}{i + 1}{MARK}",
                kind="eldercare_institution",
                ownership=ownership,
                beds=beds,
                nursing_beds=min(nursing[i], beds),
                infirmary=str(i in infirmary).lower(),
                medical_contract=str(i in contract).lower(),
                opened_on=self._date(date(2005, 1, 1), date(2021, 12, 31)),
                unit_code=anchor.code,
                lon=lon,
                lat=lat,
            )

    def sites(self) -> None:
        served = self.rng.sample(self.communities, min(SERVED_COMMUNITIES, len(self.communities)))
        others = self.streets + self.villages
        anchors = served + [self.rng.choice(others) for _ in range(SITES_BEFORE_2021 + SITES_IN_2021 - len(served))]
        years = ["before"] * SITES_BEFORE_2021 + ["2021"] * SITES_IN_2021
        self.rng.shuffle(years)
        for i, (anchor, year) in enumerate(zip(anchors, years, strict=True)):
            lon, lat = self._place(anchor, 100, 700 if i < len(served) else 900)
            opened = (
                self._date(date(2012, 1, 1), date(2020, 12, 31))
                if year == "before"
                else self._date(date(2021, 1, 1), date(2021, 12, 31))
            )
            self._add(
                "site",
                name=f"{anchor.name}示意社区养老服务站{i + 1}{MARK}",
                kind="community_eldercare_site",
                opened_on=opened,
                unit_code=anchor.code,
                lon=lon,
                lat=lat,
            )

    def _first_point(self, banner: str) -> Anchor:
        return min((a for a in self.towns + self.streets if a.code.startswith(banner[:6])), key=lambda a: a.code)

    def railway_layer(self) -> None:
        with_points = [b for b in sorted(self.banners) if any(a.code[:6] == b[:6] for a in self.towns + self.streets)]
        stops = sorted((self._first_point(b) for b in self.rng.sample(with_points, 6)), key=lambda a: a.lon)
        self.railway = densify([(a.lon, a.lat) for a in stops])
        self.registry.railway = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": "railway-1",
                    "properties": {"name": f"示意铁路{MARK}"},
                    "geometry": {"type": "LineString", "coordinates": [list(p) for p in self.railway]},
                }
            ],
        }

    def funeral_and_burial(self) -> None:
        others = sorted(b for b in self.banners if b != CITY_BANNER and any(a.code[:6] == b[:6] for a in self.towns))
        for banner in [CITY_BANNER, *self.rng.sample(others, FUNERAL_HOMES - 1)]:
            anchor = self._first_point(banner)
            lon, lat = self._place(anchor, 3_000, 6_000)
            owner = "鄂尔多斯市" if banner == CITY_BANNER else self.banners[banner]["name"]
            self._add("funeral", name=f"{owner}示意殡仪馆{MARK}", kind="funeral_home", lon=lon, lat=lat)
        for i, town in enumerate(self.rng.sample(self.towns, PUBLIC_WELFARE_CEMETERIES)):
            lon, lat = self._place(town, 2_000, 6_000, rural=True)
            self._add(
                "cemetery",
                name=f"{town.name}示意公益性公墓{i + 1}{MARK}",
                kind="cemetery",
                cemetery_type="public_welfare",
                capacity=self.rng.randrange(2_000, 10_001, 500),
                unit_code=town.code,
                lon=lon,
                lat=lat,
            )
        for i in range(COMMERCIAL_CEMETERIES):
            anchor = self.rng.choice(self.towns + self.streets)
            lon, lat = self._place(anchor, 3_000, 8_000, rural=True)
            self._add(
                "cemetery",
                name=f"{self.banners[anchor.code[:6] + '000000']['name']}示意经营性公墓{i + 1}{MARK}",
                kind="cemetery",
                cemetery_type="commercial",
                capacity=self.rng.randrange(5_000, 30_001, 1_000),
                lon=lon,
                lat=lat,
            )

    def graves(self) -> None:
        placed = 0
        while placed < GRAVES_IN_ZONE:
            k = self.rng.randrange(len(self.railway) - 1)
            t = self.rng.random()
            (x1, y1), (x2, y2) = self.railway[k], self.railway[k + 1]
            lon, lat = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
            bearing = math.atan2((x2 - x1) * math.cos(math.radians(lat)), y2 - y1) + self.rng.choice((1, -1)) * (
                math.pi / 2
            )
            lon, lat = _offset(lon, lat, self.rng.uniform(20, 150), bearing)
            if self._banner_at(lon, lat) is None or not 15 <= distance_to_line(lon, lat, self.railway) <= 160:
                continue
            placed += 1
            self._add("grave", name=f"示意散埋坟墓{placed:03d}{MARK}", kind="grave", lon=lon, lat=lat)
        anchors = self.towns + self.streets + self.villages
        while placed < GRAVES_IN_ZONE + GRAVES_ELSEWHERE:
            anchor = self.rng.choice(anchors)
            lon, lat = _offset(anchor.lon, anchor.lat, self.rng.uniform(1_000, 8_000), self.rng.uniform(0, 2 * math.pi))
            if distance_to_line(lon, lat, self.railway) <= 500 or self._banner_at(lon, lat) is None:
                continue
            placed += 1
            self._add("grave", name=f"示意散埋坟墓{placed:03d}{MARK}", kind="grave", lon=lon, lat=lat)

    def population(self) -> None:
        villages = {b: 0 for b in self.banners}
        for unit in boundaries.units_within(self.conn, CITY_PREFIX, "village"):
            villages[unit["code"][:6] + "000000"] += 1
        beds = {b: 0 for b in self.banners}
        for row in self.registry.facilities:
            if row["kind"] == "eldercare_institution":
                beds[row["unit_code"][:6] + "000000"] += row["beds"]
        codes = sorted(villages)
        weights = [villages[c] / sum(villages.values()) + beds[c] / sum(beds.values()) for c in codes]
        for year, factor in ((2020, 0.97), (2021, 1.0)):
            total = round(factor * (PUBLIC_BEDS + PRIVATE_BEDS) * 1000 / BEDS_PER_1000)
            aged = apportion(total, weights)
            for code, value in zip(codes, aged, strict=True):
                self.registry.population.append(
                    {"unit_code": code, "year": year, "total": round(value / AGED_SHARE), "aged_60_plus": value}
                )

    def history(self) -> None:
        """Bed changes and closings after 2021 (the second file: rows restating a facility from a later day)."""
        homes = [r for r in self.registry.facilities if r["kind"] == "eldercare_institution"]
        changed = self.rng.sample(homes, BED_CHANGES + CLOSED_INSTITUTIONS)
        for row in changed[:BED_CHANGES]:
            factor = self.rng.choice((-1, 1)) * self.rng.uniform(0.2, 0.4)
            beds = max(10, round(row["beds"] * (1 + factor)))
            nursing = min(beds, round(row["nursing_beds"] * beds / row["beds"]))
            day = self._date(date(2022, 1, 1), date(2024, 12, 31))
            self.registry.changes.append({**row, "beds": beds, "nursing_beds": nursing, "valid_from": day})
        sites = [
            r
            for r in self.registry.facilities
            if r["kind"] == "community_eldercare_site" and r["opened_on"] < "2021-01-01"
        ]
        for row in changed[BED_CHANGES:] + self.rng.sample(sites, CLOSED_SITES):
            day = self._date(date(2023, 1, 1), date(2025, 12, 31))
            self.registry.changes.append({**row, "valid_from": "", "closed_on": day})


def generate(conn: Connection, *, seed: int = SEED) -> Registry:
    """The illustrative registry (facilities, population, railway layer) around the loaded units and points."""
    gen = _Generator(conn, seed)
    if len(gen.towns) < PUBLIC_INSTITUTIONS or not gen.communities or len(gen.banners) < FUNERAL_HOMES:
        raise InvalidInput("load the Ordos dataset first (gaz load data/ordos.toml): its unit points are needed")
    gen.institutions()
    gen.sites()
    gen.railway_layer()
    gen.funeral_and_burial()
    gen.graves()
    gen.population()
    gen.history()
    return gen.registry


def write(registry: Registry, folder: Path) -> list[Path]:
    """The registry as four files in ``folder``: facilities CSV (EPSG:4490), their later changes CSV (imported
    after it, same source), population CSV, railway GeoJSON."""
    folder.mkdir(parents=True, exist_ok=True)
    facilities, changes, population, railway = (
        folder / "illustrative_facilities.csv",
        folder / "illustrative_changes.csv",
        folder / "illustrative_population.csv",
        folder / "illustrative_railway.geojson",
    )
    for path, rows in ((facilities, registry.facilities), (changes, registry.changes)):
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, FACILITY_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    with population.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, ("unit_code", "year", "total", "aged_60_plus"))
        writer.writeheader()
        writer.writerows(registry.population)
    railway.write_text(json.dumps(registry.railway, ensure_ascii=False), encoding="utf-8")
    return [facilities, changes, population, railway]
