"""The viewer's maps, built from the contexts' services (no SQL here)."""

from __future__ import annotations

import html
from typing import Any

import shapely.geometry
from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core.errors import InvalidInput
from facilities import coverage
from facilities import service as facilities
from facilities.service import CITY_CODE
from gazetteer import service as gazetteer
from maps.builders import BASEMAPS, Canvas, classed_colour, popup_html

CITY_PREFIX = "1506"
MAPS = {
    "boundaries": "行政区划 Administrative units",
    "places": "地名点 Place names",
    "coverage": "设施覆盖 Facility coverage",
}
ILLUSTRATIVE_NOTE = "示意数据 ILLUSTRATIVE: 设施为演示用虚构记录, 非真实清单 (facilities are made-up demo records)"
APPROX_NOTE = "乡镇/村点为地名服务的近似位置, 非驻地测量点 (unit points are approximate, geocoded from names)"


def _unit_names(conn: Connection) -> dict[str, str]:
    names = {}
    for level in ("county", "township", "village"):
        names.update({u["code"]: u["name"] for u in boundaries.units_within(conn, CITY_PREFIX, level)})
    return names


def _banner_polygons(conn: Connection) -> list[dict[str, Any]]:
    """The banners' registered polygons (EPSG:4490) with code and name."""
    out = []
    for banner in boundaries.get_children(conn, CITY_CODE):
        unit = boundaries.get_unit(conn, banner["code"], crs="EPSG:4490")
        if unit["polygon"] is not None:
            out.append(
                {
                    "code": unit["code"],
                    "name": unit["name"],
                    "geometry": unit["polygon"]["geometry"],
                    "area_km2": unit["polygon"]["area_km2"],
                    "source": unit["polygon"]["source"],
                }
            )
    return out


def boundaries_map(conn: Connection, *, basemap: str = "none", tianditu_key: str = "") -> str:
    """Units by level: the city outline and banner polygons (registered), Chinese labels, township/village points."""
    canvas = Canvas(MAPS["boundaries"], basemap, tianditu_key=tianditu_key, notes=[APPROX_NOTE])
    city = boundaries.get_unit(conn, CITY_CODE, crs="EPSG:4490")
    if city["polygon"] is not None:
        canvas.polygons(
            "市界 City outline (registered)",
            [
                {
                    "geometry": city["polygon"]["geometry"],
                    "properties": {"name": city["name"], "source": city["polygon"]["source"]},
                }
            ],
            style=lambda _: {"color": "#b2182b", "weight": 3, "fill": False},
            fields=["name", "source"],
            aliases=["名称", "来源"],
        )
    banners = _banner_polygons(conn)
    canvas.polygons(
        "旗区 Banners (registered polygons)",
        [
            {
                "geometry": b["geometry"],
                "properties": {"name": b["name"], "code": b["code"], "area_km2": b["area_km2"], "source": b["source"]},
            }
            for b in banners
        ],
        style=lambda _: {"color": "#2166ac", "weight": 2, "fillColor": "#92c5de", "fillOpacity": 0.25},
        fields=["name", "code", "area_km2", "source"],
        aliases=["名称", "代码", "面积 km²", "来源"],
    )
    labels = canvas.group("旗区名称 Banner labels")
    for banner in banners:
        spot = shapely.geometry.shape(banner["geometry"]).representative_point()
        canvas.label(labels, spot.x, spot.y, banner["name"])
    names = _unit_names(conn)
    for level, title, colour in (
        ("township", "乡镇级单位 Township-level units (points)", "#d6604d"),
        ("village", "村级单位 Village-level units (points)", "#4393c3"),
    ):
        group = canvas.group(title, show=level == "township")
        for point in gazetteer.list_points(conn, within=CITY_PREFIX, level=level):
            name = names.get(point["unit_code"], point["name"])
            canvas.point(
                group,
                point["lon"],
                point["lat"],
                colour=colour,
                radius=4 if level == "village" else 6,
                tooltip=html.escape(name),
                popup=popup_html(
                    name,
                    [("代码 code", point["unit_code"]), ("来源 source", point["source"])],
                    f"/api/v1/units/{point['unit_code']}",
                ),
            )
    return canvas.render()


def places_map(conn: Connection, *, basemap: str = "none", tianditu_key: str = "") -> str:
    """Every reference point, clustered by kind, with popups (name, category, unit, source, link)."""
    canvas = Canvas(MAPS["places"], basemap, tianditu_key=tianditu_key, notes=[APPROX_NOTE])
    names = _unit_names(conn)
    groups = {
        "township": canvas.cluster("乡镇级地名 Township-level places"),
        "village": canvas.cluster("村级地名 Village-level places"),
        None: canvas.cluster("其他地名 Other places (not matched to a unit)"),
    }
    colours = {"township": "#d6604d", "village": "#4393c3", None: "#5aae61"}
    for point in gazetteer.list_points(conn):
        level = point["unit_level"] if point["unit_level"] in ("township", "village") else None
        if point["unit_code"] is not None and not point["unit_code"].startswith(CITY_PREFIX):
            continue
        unit = point["unit_code"]
        canvas.point(
            groups[level],
            point["lon"],
            point["lat"],
            colour=colours[level],
            tooltip=html.escape(point["name"]),
            popup=popup_html(
                point["name"],
                [
                    ("拼写 romanization", _romanization(point["name"])),
                    ("类别 category", point["category"]),
                    ("单位 unit", f"{names.get(unit, '')} {unit}" if unit else "未匹配 unmatched"),
                    ("来源 source", point["source"]),
                ],
                f"/api/v1/units/{unit}" if unit else None,
            ),
        )
    return canvas.render()


def _romanization(name: str) -> str | None:
    """The name's romanization with its origin (official lexicon or derived), None for a name it cannot read."""
    try:
        spelled = gazetteer.romanize_text(gazetteer.core_name(name))
    except InvalidInput:
        return None
    return f"{spelled['plain']} ({spelled['origin']})" if spelled["plain"] != name else None


BED_BINS = ((0.5, "#d73027"), (1.0, "#fdae61"), (float("inf"), "#1a9850"))
SHARE_BINS = ((0.25, "#d73027"), (0.5, "#fdae61"), (0.75, "#a6d96a"), (float("inf"), "#1a9850"))


def coverage_map(
    conn: Connection,
    *,
    basemap: str = "none",
    tianditu_key: str = "",
    walk_m: float = coverage.DEFAULT_WALK_M,
    bed_target: float = coverage.DEFAULT_BED_TARGET,
) -> str:
    """Community sites with walking circles, covered/uncovered communities, townships without a public-welfare
    cemetery, and choropleths per banner (community share in the circle; beds per 1,000 elderly) with legends."""
    everything = facilities.list_facilities(conn, unit=CITY_CODE)
    circle = coverage.eldercare_circle(conn, level="county", walk_m=walk_m)
    notes = [circle["method"], APPROX_NOTE]
    if any(f["illustrative"] for f in everything):
        notes.insert(0, ILLUSTRATIVE_NOTE)
    canvas = Canvas(MAPS["coverage"], basemap, tianditu_key=tianditu_key, notes=notes)
    banners = _banner_polygons(conn)
    share = {a["code"]: a["share"] for a in circle["areas"] if a["class"] == "community"}
    beds = {b["code"]: b for b in coverage.beds(conn, target=bed_target)["banners"]}

    def bed_ratio(code: str) -> float | None:
        value = beds.get(code, {}).get("beds_per_1000")
        return None if value is None else value / bed_target

    canvas.polygons(
        "社区一刻钟覆盖率(旗区) Community share in the circle, per banner",
        [
            {
                "geometry": b["geometry"],
                "properties": {
                    "name": b["name"],
                    "share": share.get(b["code"]),
                    "colour": classed_colour(share.get(b["code"]), SHARE_BINS),
                },
            }
            for b in banners
        ],
        style=lambda f: {"color": "#555", "weight": 1, "fillColor": f["properties"]["colour"], "fillOpacity": 0.5},
        fields=["name", "share"],
        aliases=["旗区", "覆盖率 share"],
    )
    canvas.polygons(
        "每千老人床位(旗区) Beds per 1,000 aged 60+, per banner",
        [
            {
                "geometry": b["geometry"],
                "properties": {
                    "name": b["name"],
                    "beds_per_1000": beds.get(b["code"], {}).get("beds_per_1000"),
                    "colour": classed_colour(bed_ratio(b["code"]), BED_BINS),
                },
            }
            for b in banners
        ],
        style=lambda f: {"color": "#555", "weight": 1, "fillColor": f["properties"]["colour"], "fillOpacity": 0.5},
        fields=["name", "beds_per_1000"],
        aliases=["旗区", "床位/千老人"],
        show=False,
    )
    burial = coverage.burial(conn)
    burial_share: dict[str, float | None] = {}
    for banner in banners:
        towns = [t for t in burial["townships"] if t["banner_code"] == banner["code"]]
        with_site = sum(1 for t in towns if t["has_public_welfare_cemetery"])
        burial_share[banner["code"]] = round(with_site / len(towns), 4) if towns else None
    canvas.polygons(
        "乡镇公益性公墓覆盖率(旗区) Share of townships with a public-welfare cemetery, per banner",
        [
            {
                "geometry": b["geometry"],
                "properties": {
                    "name": b["name"],
                    "share": burial_share[b["code"]],
                    "colour": classed_colour(burial_share[b["code"]], SHARE_BINS),
                },
            }
            for b in banners
        ],
        style=lambda f: {"color": "#555", "weight": 1, "fillColor": f["properties"]["colour"], "fillOpacity": 0.5},
        fields=["name", "share"],
        aliases=["旗区", "覆盖率 share"],
        show=False,
    )
    canvas.legend(
        "覆盖率 share (社区/公墓) | 床位 vs 目标 " + f"{bed_target:g}",
        [
            ("#d73027", "< 25% | < 50% of target"),
            ("#fdae61", "25–50% | 50–100%"),
            ("#a6d96a", "50–75%"),
            ("#1a9850", "≥ 75% | ≥ target"),
            ("#cccccc", "无数据 no data"),
        ],
    )
    sites = canvas.group(f"社区养老服务设施及{walk_m:g} m 圈 Community eldercare sites and circles")
    for site in (f for f in everything if f["kind"] == "community_eldercare_site" and f["status"] == "operating"):
        canvas.circle(sites, site["lon"], site["lat"], walk_m, "#762a83")
        canvas.point(
            sites,
            site["lon"],
            site["lat"],
            colour="#762a83",
            radius=6,
            tooltip=html.escape(site["name"]),
            popup=_facility_popup(site),
        )
    covered = canvas.group("已覆盖社区/村 Covered communities and villages")
    uncovered = canvas.group("未覆盖社区/村 Uncovered communities and villages")
    distance = {u["code"]: u["distance_m"] for u in circle["uncovered"]}
    for unit in circle["located"]:
        target = covered if unit["covered"] else uncovered
        canvas.point(
            target,
            unit["lon"],
            unit["lat"],
            colour="#1a9850" if unit["covered"] else "#d73027",
            radius=4,
            tooltip=html.escape(unit["name"]),
            popup=popup_html(
                unit["name"],
                [
                    ("类别 class", unit["class"]),
                    ("代码 code", unit["code"]),
                    ("最近站点距离 m", distance.get(unit["code"])),
                ],
            ),
        )
    without = {t["code"]: t for t in burial["townships"] if not t["has_public_welfare_cemetery"]}
    no_burial = canvas.group("无公益性公墓的乡镇(点) Townships without a public-welfare cemetery")
    for point in gazetteer.list_points(conn, within=CITY_PREFIX, level="township"):
        town = without.pop(point["unit_code"], None)
        if town is not None:
            canvas.point(
                no_burial,
                point["lon"],
                point["lat"],
                colour="#8c510a",
                radius=6,
                tooltip=html.escape(town["name"]),
                popup=popup_html(town["name"], [("类别 class", town["class"]), ("旗区", town["banner_name"])]),
            )
    other = canvas.group("其他设施 Other facilities (cemeteries, funeral homes, institutions)")
    for place in (f for f in everything if f["kind"] != "community_eldercare_site"):
        canvas.point(
            other,
            place["lon"],
            place["lat"],
            colour="#01665e",
            radius=5,
            tooltip=html.escape(place["name"]),
            popup=_facility_popup(place),
        )
    return canvas.render()


def _facility_popup(place: dict[str, Any]) -> str:
    title = place["name"] + (" (示意 illustrative)" if place["illustrative"] else "")
    return popup_html(
        title,
        [
            ("类型 kind", place["kind_label"]),
            ("公墓性质", place["cemetery_type"]),
            ("床位 beds", place["beds"]),
            ("单位 unit", place["unit_code"]),
            ("状态 status", place["status"]),
        ],
        f"/api/v1/facilities/{place['id']}",
    )


def index_page(tianditu_available: bool) -> str:
    """The viewer's index: a link to every map, with each basemap choice."""
    choices = [b for b in BASEMAPS if b != "tianditu" or tianditu_available]
    items = "".join(
        f'<li><a href="/maps/{name}">{html.escape(title)}</a> — '
        + " · ".join(f'<a href="/maps/{name}?basemap={b}">{b}</a>' for b in choices if b != "none")
        + "</li>"
        for name, title in MAPS.items()
    )
    return (
        '<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>鄂尔多斯 地图 Ordos maps</title></head>'
        '<body style="font:15px sans-serif;margin:2em"><h1>鄂尔多斯市 地图 Ordos maps</h1>'
        f"<ul>{items}</ul><p>底图默认无 (离线可用); 高德底图时数据转换为 GCJ-02. "
        "No basemap by default (works offline); on the AMap basemap data are shifted to GCJ-02.</p></body></html>"
    )
