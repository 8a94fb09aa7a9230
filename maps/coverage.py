"""The coverage map: burial sites per township, the 15-minute eldercare circle, beds per 1,000 elderly and the
prohibited zones, as folium layers."""

from __future__ import annotations

from datetime import date
from typing import Any

import shapely
import shapely.geometry
from sqlalchemy.engine import Connection

from core.settings import CoverageSettings
from facilities import service as facilities
from facilities.service import CITY_CODE
from gazetteer import service as gazetteer
from maps.builders import NO_DATA_COLOUR, Canvas, area_style, classed_colour, popup_html
from maps.escape import Html
from maps.labels import APPROX_NOTE, COVERAGE_LEGEND, ILLUSTRATIVE_MARK, ILLUSTRATIVE_NOTE, MAPS
from maps.service import CITY_PREFIX, _banner_polygons

BED_BINS = ((0.5, "#d73027"), (1.0, "#fdae61"), (float("inf"), "#1a9850"))
SHARE_BINS = ((0.25, "#d73027"), (0.5, "#fdae61"), (0.75, "#a6d96a"), (float("inf"), "#1a9850"))
CHOROPLETH_TOLERANCE_DEG = 0.0005  # about 50 m: a third of the page's weight instead of all of it
SHARE_LEGEND = [
    ("#d73027", "< 25%"),
    ("#fdae61", "25–50%"),
    ("#a6d96a", "50–75%"),
    ("#1a9850", "≥ 75%"),
    (NO_DATA_COLOUR, COVERAGE_LEGEND["no_data"]),
]
# The coverage map's points: colour and legend words (maps/labels.py) of each point overlay (round symbols).
POINT_COLOURS = {
    "site": "#762a83",
    "covered": "#1a9850",
    "uncovered": "#d73027",
    "no_burial": "#8c510a",
    "grave": "#4d4d4d",
    "inside": "#e31a1c",
    "other": "#01665e",
}
POINT_STYLES = {kind: (colour, COVERAGE_LEGEND[kind]) for kind, colour in POINT_COLOURS.items()}

TARGET_ORIGINS = {
    "request": ("本图指定", "given for this map"),
    "setting": ("本局设定", "set by the office"),
    "placeholder": ("占位默认值，尚未由本局设定", "a placeholder default, not yet set by the office"),
}


def bed_target_note(target: float, origin: str) -> str:
    """The beds target as the map's reader needs it (no setting names: those are in the API's target_note)."""
    chinese, english = TARGET_ORIGINS[origin]
    return f"床位目标 {target:g} 张/千名老人（{chinese}） beds target {target:g} per 1,000 aged 60+ ({english})"


def coverage_map(
    conn: Connection,
    *,
    basemap: str = "none",
    tianditu_key: str = "",
    walk_m: float = facilities.DEFAULT_WALK_M,
    bed_target: float | None = None,
    widths: dict[str, float] | None = None,
    settings: CoverageSettings,
    as_of: date | None = None,
) -> str:
    """Community sites with walking circles, covered/uncovered communities, townships without a public-welfare
    cemetery, individual graves, the cemeteries and graves inside prohibited-zone buffers (``widths`` overriding
    the layers' own per kind), and choropleths per banner (community share in the circle; beds per 1,000
    elderly) with legends: the facilities open on ``as_of`` (today when None, the date of the data shown in the
    notes) over the current units."""
    day = facilities.as_of_day(as_of)
    everything = facilities.list_facilities(conn, unit=CITY_CODE, as_of=day)
    zones = facilities.prohibited_zones(conn, widths=widths, as_of=day)
    circle = facilities.eldercare_circle(conn, level="county", walk_m=walk_m, as_of=day)
    bed_result = facilities.beds(conn, settings=settings, target=bed_target, as_of=day)
    notes = [
        f"数据日期 {day.isoformat()}：当日在营的设施（按当日有效的版本），现行区划 facilities as of {day.isoformat()}",
        circle["method"],
        bed_target_note(bed_result["target"], bed_result["target_origin"]),
        APPROX_NOTE,
    ]
    illustrative = any(f["illustrative"] for f in everything)
    if illustrative:
        notes.insert(0, ILLUSTRATIVE_NOTE)
    canvas = Canvas(MAPS["coverage"], basemap, tianditu_key=tianditu_key, notes=notes)
    if illustrative:
        canvas.watermark(ILLUSTRATIVE_MARK)
    burial = choropleths(canvas, conn, circle, bed_result, as_of=day)
    sites = canvas.group(f"社区养老服务设施及{walk_m:g} m 圈 Community eldercare sites and circles")
    for site in (f for f in everything if f["kind"] == "community_eldercare_site" and f["status"] == "operating"):
        canvas.circle(sites, site["lon"], site["lat"], walk_m, POINT_STYLES["site"][0])
        canvas.point(
            sites,
            site["lon"],
            site["lat"],
            colour=POINT_STYLES["site"][0],
            radius=6,
            tooltip=site["name"],
            popup=facility_popup(site),
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
            colour=POINT_STYLES["covered" if unit["covered"] else "uncovered"][0],
            radius=4,
            tooltip=unit["name"],
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
                colour=POINT_STYLES["no_burial"][0],
                radius=6,
                tooltip=town["name"],
                popup=popup_html(town["name"], [("类别 class", town["class"]), ("旗区", town["banner_name"])]),
            )
    canvas.polygons(
        "三沿七区缓冲区 Prohibited-zone buffers",
        [
            {
                "geometry": z["geometry"],
                "properties": {
                    "layer": f"{z['layer']} ({z['layer_kind']})",
                    "feature": z["name"] or z["feature_id"],
                    "width_m": z["width_m"],
                },
            }
            for z in facilities.zone_buffers(conn, widths=widths)
        ],
        style=area_style("#fb9a99", fill_opacity=0.3),
        fields=["layer", "feature", "width_m"],
        aliases=["图层 layer", "要素 feature", "缓冲 m"],
    )
    graves = canvas.group("散埋乱葬坟墓 Individual graves")
    for grave in (f for f in everything if f["kind"] == "grave"):
        canvas.point(
            graves,
            grave["lon"],
            grave["lat"],
            colour=POINT_STYLES["grave"][0],
            radius=4,
            tooltip=grave["name"],
            popup=facility_popup(grave),
        )
    inside = canvas.group("三沿七区内的公墓/坟墓 Cemeteries and graves inside prohibited zones")
    for hits in _hits_by_facility(zones["hits"]).values():
        first = hits[0]
        canvas.point(
            inside,
            first["lon"],
            first["lat"],
            colour=POINT_STYLES["inside"][0],
            radius=8,
            tooltip=first["facility_name"],
            popup=popup_html(
                first["facility_name"] + (" (示意 illustrative)" if first["illustrative"] else ""),
                [("类型 kind", f"{first['facility_kind_label']} {first['facility_kind']}")]
                + [
                    (
                        f"{h['layer']} ({h['layer_kind']}) {h['feature_name'] or h['feature_id']}",
                        f"{h['distance_m']:,.1f} m ≤ {h['width_m']:g} m",
                    )
                    for h in hits
                ],
                f"/api/v1/facilities/{first['facility_id']}",
            ),
        )
    other = canvas.group("其他设施 Other facilities (cemeteries, funeral homes, institutions)")
    for place in (f for f in everything if f["kind"] not in ("community_eldercare_site", "grave")):
        canvas.point(
            other,
            place["lon"],
            place["lat"],
            colour=POINT_STYLES["other"][0],
            radius=5,
            tooltip=place["name"],
            popup=facility_popup(place),
        )
    point_layers = [sites, covered, uncovered, no_burial, graves, inside, other]
    canvas.legend(COVERAGE_LEGEND["points"], list(POINT_STYLES.values()), layers=point_layers, points=True)
    return canvas.render()


def choropleths(
    canvas: Canvas,
    conn: Connection,
    circle: dict[str, Any],
    bed_result: dict[str, Any],
    *,
    show: bool = True,
    as_of: date | None = None,
) -> dict[str, Any]:
    """The three KPIs per banner as overlays, each with its legend shown while it is on: the community share in
    the walking circle (``circle``, on when ``show``), beds per 1,000 aged 60+ against the target
    (``bed_result``) and the share of townships with a public-welfare cemetery on ``as_of``; the burial answer. The
    banners are drawn simplified (:data:`CHOROPLETH_TOLERANCE_DEG`): a statistic per banner needs no exact edge."""
    target = bed_result["target"]
    banners = [
        b | {"geometry": shapely.simplify(shapely.geometry.shape(b["geometry"]), CHOROPLETH_TOLERANCE_DEG)}
        for b in _banner_polygons(conn)
    ]
    share = {a["code"]: a["share"] for a in circle["areas"] if a["class"] == "community"}
    beds = {b["code"]: b for b in bed_result["banners"]}

    def bed_ratio(code: str) -> float | None:
        value = beds.get(code, {}).get("beds_per_1000")
        return None if value is None else value / target

    community = canvas.polygons(
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
        show=show,
    )
    canvas.legend(COVERAGE_LEGEND["community_share"], SHARE_LEGEND, layers=[community])
    bed_layer = canvas.polygons(
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
    canvas.legend(
        COVERAGE_LEGEND["beds"].format(target=f"{target:g}"),
        [
            ("#d73027", COVERAGE_LEGEND["beds_low"]),
            ("#fdae61", COVERAGE_LEGEND["beds_middle"]),
            ("#1a9850", COVERAGE_LEGEND["beds_met"]),
            (NO_DATA_COLOUR, COVERAGE_LEGEND["no_data"]),
        ],
        layers=[bed_layer],
    )
    burial = facilities.burial(conn, as_of=as_of)
    burial_share: dict[str, float | None] = {}
    for banner in banners:
        towns = [t for t in burial["townships"] if t["banner_code"] == banner["code"]]
        with_site = sum(1 for t in towns if t["has_public_welfare_cemetery"])
        burial_share[banner["code"]] = round(with_site / len(towns), 4) if towns else None
    burial_layer = canvas.polygons(
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
    canvas.legend(COVERAGE_LEGEND["township_share"], SHARE_LEGEND, layers=[burial_layer])
    return burial


def _hits_by_facility(hits: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Prohibited-zone hits grouped by facility (one marker per cemetery or grave)."""
    grouped: dict[int, list[dict[str, Any]]] = {}
    for hit in hits:
        grouped.setdefault(hit["facility_id"], []).append(hit)
    return grouped


def facility_popup(place: dict[str, Any]) -> Html:
    """The popup of a facility: name (illustrative ones marked), kind, cemetery type, beds, unit, status."""
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
