"""The viewer's maps, built from the contexts' services (no SQL here). Names go to the builders as plain text:
they escape them (maps.escape)."""

from __future__ import annotations

from datetime import date
from typing import Any

import shapely.geometry
from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from facilities.service import CITY_CODE
from gazetteer import service as gazetteer
from maps.builders import Canvas, area_style, popup_html
from maps.escape import Html, text
from maps.labels import APPROX_NOTE, GENERALISED_NOTE, MAPS, POLYGON_SOURCES, POLYGON_STATUSES

CITY_PREFIX = "1506"


def source_text(source: str) -> str:
    """A polygon source (or a check's side, ``registered``) in words."""
    return POLYGON_SOURCES.get(source, source)


def polygons_label(source: str, statuses: list[str]) -> str:
    """Polygons named by their source and their statuses in the registry, e.g.
    高德 AMap 2020 行政区划面（参考 reference）."""
    return f"{source_text(source)}（{'、'.join(POLYGON_STATUSES.get(s, s) for s in statuses)}）"


def unit_names(conn: Connection, as_of: date | None = None) -> dict[str, str]:
    """The names of the city's banners, townships and villages valid on the date (today), by code."""
    names = {}
    for level in ("county", "township", "village"):
        names.update({u["code"]: u["name"] for u in boundaries.units_within(conn, CITY_PREFIX, level, as_of=as_of)})
    return names


def _banner_polygons(conn: Connection, as_of: date | None = None) -> list[dict[str, Any]]:
    """The banners' registered polygons (EPSG:4490) with code and name, on the date (today)."""
    out = []
    for banner in boundaries.get_children(conn, CITY_CODE, as_of=as_of):
        unit = boundaries.get_unit(conn, banner["code"], crs="EPSG:4490", as_of=as_of)
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


# Colours and labels of the topology findings (boundaries.topology.KINDS) and of the disputed pieces.
FINDING_STYLES = {
    "overlap": ("#e41a1c", "重叠 overlap"),
    "gap": ("#377eb8", "缝隙 gap"),
    "sliver": ("#ff7f00", "碎片 sliver"),
    "invalid": ("#984ea3", "无效几何 invalid ring"),
    "outside_parent": ("#a65628", "超出上级 spill outside the parent"),
    "uncovered_parent": ("#f781bf", "上级未覆盖 parent not covered"),
}
PIECE_STYLES = {
    "between": ("#e7298a", "争议块 disputed between units"),
    "first_only": ("#1b9e77", "仅{first}有 only in {first}"),
    "second_only": ("#7570b3", "仅{second}有 only in {second}"),
}
# The township and village points: level, layer name, colour (the viewer's tile layers use the same).
UNIT_POINT_LAYERS = (
    ("township", "乡镇级单位 Township-level units (points)", "#d6604d"),
    ("village", "村级单位 Village-level units (points)", "#4393c3"),
)
SOURCE_COLOURS = ("#2166ac", "#4d4d4d", "#b8860b", "#35978f", "#8c510a")
FINDINGS_DRAWN = 10_000  # at most this many findings or pieces of one check or comparison are drawn


def _area_text(area_m2: float | None) -> str | None:
    return None if area_m2 is None else f"{area_m2:,.1f} m² ({area_m2 / 1e6:,.4f} km²)"


def _units_text(codes: list[str | None], names: dict[str, str]) -> str:
    return "、".join(f"{names.get(c, '')} {c}".strip() if c else "无 none" for c in codes)


def boundaries_map(
    conn: Connection,
    *,
    basemap: str = "none",
    tianditu_key: str = "",
    check_id: int | None = None,
    comparison_id: int | None = None,
    compliance_note: str,
) -> str:
    """Units by level: the city outline, the banners' polygons of each source (one layer per source), Chinese
    labels, township/village points; with ``check_id`` or ``comparison_id`` the findings of a stored topology
    check or the disputed pieces of a stored comparison, coloured by kind, with popups and a legend. The notes
    start with ``compliance_note`` (the setting maps.compliance_note)."""
    notes = [compliance_note, APPROX_NOTE]
    check, findings, comparison = None, [], None
    if check_id is not None:
        check = boundaries.get_check(conn, check_id, limit=0)
        findings = boundaries.findings_geojson(conn, check_id, limit=FINDINGS_DRAWN)["features"]
        notes += _check_notes(check, len(findings))
    if comparison_id is not None:
        comparison = boundaries.get_comparison(conn, comparison_id, limit=FINDINGS_DRAWN)
        notes += _comparison_notes(comparison)
    names = unit_names(conn)
    canvas = Canvas(MAPS["boundaries"], basemap, tianditu_key=tianditu_key, notes=notes)
    legend = unit_layers(canvas, conn, names)
    if check is not None:
        legend += _check_layers(canvas, check, findings, names)
    if comparison is not None:
        legend += _comparison_layers(canvas, comparison, names)
    drawn = [f["geometry"] for f in findings] + [p["geometry"] for p in (comparison or {}).get("pieces", [])]
    if drawn:  # open at what was found: small findings are invisible at the city's scale
        canvas.fit_to(shapely.union_all([shapely.geometry.shape(g) for g in drawn]).bounds)
    canvas.legend("图例 Legend", legend)
    return canvas.render()


def unit_layers(
    canvas: Canvas,
    conn: Connection,
    names: dict[str, str],
    as_of: date | None = None,
    *,
    tiles: list[dict[str, Any]] | None = None,
) -> list[tuple[str, str]]:
    """The city outline, the banners' polygons of each source (one overlay per source), the banners' labels and
    the township/village points (of units valid on the date) on ``canvas``; the legend entries of the sources.
    With ``tiles`` (the viewer) the banners' polygons are drawn from the service's vector tiles instead: their
    layers are appended to it (see maps.viewer.tile_layers), and the points are left to the viewer's tiles."""
    city = boundaries.get_unit(conn, CITY_CODE, crs="EPSG:4490", as_of=as_of)
    if city["polygon"] is not None:
        outline = city["polygon"]
        canvas.polygons(
            f"市界 City outline {polygons_label(outline['source'], [outline['status']])}",
            [
                {
                    "geometry": outline["geometry"],
                    "properties": {
                        "name": city["name"],
                        "source": source_text(outline["source"]),
                        "status": POLYGON_STATUSES.get(outline["status"], outline["status"]),
                    },
                }
            ],
            style=lambda _: {"color": "#b2182b", "weight": 3, "fill": False},
            fields=["name", "source", "status"],
            aliases=["名称", "来源", "状态"],
        )
    legend: list[tuple[str, str]] = []
    polygons_now = boundaries.polygons_by_source(conn, CITY_CODE, "county", as_of=as_of)
    for number, (source, polygons) in enumerate(polygons_now.items()):
        colour = SOURCE_COLOURS[number % len(SOURCE_COLOURS)]
        statuses = sorted({p["status"] for p in polygons})
        registered = statuses == ["registered"]
        label = f"旗区边界 {polygons_label(source, statuses)}"
        legend.append((colour, label))
        if tiles is not None:
            tiles.append(
                {
                    "name": text(label),
                    "collection": boundaries.polygon_collection_id(source),
                    "codes": sorted(p["code"] for p in polygons),  # the banners' polygons of the source, no other
                    "colour": colour,
                    "fill_opacity": 0.2 if registered else 0.0,
                    "dashed": not registered,
                    "shown": True,
                }
            )
            continue
        canvas.polygons(
            label,
            [
                {
                    "geometry": p["geometry"],
                    "properties": {k: p[k] for k in ("name", "code", "area_km2")}
                    | {"source": source_text(source), "status": POLYGON_STATUSES.get(p["status"], p["status"])},
                }
                for p in polygons
            ],
            style=area_style(colour, fill_opacity=0.2 if registered else 0.0, dashed=not registered),
            fields=["name", "code", "area_km2", "source", "status"],
            aliases=["名称", "代码", "面积 km²", "来源", "状态"],
        )
    labels = canvas.group("旗区名称 Banner labels")
    for banner in _banner_polygons(conn, as_of):
        spot = shapely.geometry.shape(banner["geometry"]).representative_point()
        canvas.label(labels, spot.x, spot.y, banner["name"])
    if tiles is not None:
        return legend
    for level, title, colour in UNIT_POINT_LAYERS:
        group = canvas.group(title, show=level == "township")
        for point in gazetteer.list_points(conn, within=CITY_PREFIX, level=level):
            if as_of is not None and point["unit_code"] not in names:
                continue  # the unit did not exist on the date
            name = names.get(point["unit_code"], point["name"])
            canvas.point(
                group,
                point["lon"],
                point["lat"],
                colour=colour,
                radius=4 if level == "village" else 6,
                tooltip=name,
                popup=popup_html(
                    name,
                    [("代码 code", point["unit_code"]), ("来源 source", point["source"])],
                    f"/api/v1/units/{point['unit_code']}",
                ),
            )
    return legend


def _check_notes(check: dict[str, Any], drawn: int) -> list[str]:
    total = sum(int(k["count"]) for k in check["summary"]["by_kind"].values())
    parent = check["parent"]["code"] if check["parent"] else "all units"
    return [
        f"拓扑检查 topology check #{check['id']}: {check['level']} units under {parent}, polygons "
        f"{source_text(check['source'])}, as of {check['as_of']}; {total} findings"
        + (f", the {drawn} largest drawn" if total > drawn else ", all drawn")
    ]


def _check_layers(
    canvas: Canvas, check: dict[str, Any], found: list[dict[str, Any]], names: dict[str, str]
) -> list[tuple[str, str]]:
    """One overlay per kind of finding of a stored topology check; the legend entries drawn."""
    entries = []
    for kind, (colour, label) in FINDING_STYLES.items():
        features = [f for f in found if f["properties"]["kind"] == kind]
        if not features:
            continue
        entries.append((colour, label))
        canvas.polygons(
            f"检查 #{check['id']} {label}",
            [
                {
                    "geometry": f["geometry"],
                    "properties": {
                        "kind": kind,
                        "area_m2": f["properties"]["area_m2"],
                        "units": ", ".join(f["properties"]["units"]),
                    },
                    "popup": _finding_popup(check["id"], label, f["properties"], names),
                }
                for f in features
            ],
            style=area_style(colour),
            fields=["kind", "area_m2", "units"],
            aliases=["类型 kind", "面积 m²", "单位 units"],
        )
    return entries


def _finding_popup(check_id: int, label: str, finding: dict[str, Any], names: dict[str, str]) -> Html:
    width = finding["width_m"]
    return popup_html(
        f"{label} #{finding['id']}",
        [
            ("类型 kind", label + _piece_text(finding["kind"], finding["piece"])),
            ("面积 area", _area_text(finding["area_m2"])),
            ("宽度 width", None if width is None else f"{width:,.2f} m"),
            ("单位 units", _units_text(finding["units"], names)),
            ("说明 detail", finding["detail"]),
        ],
        f"/api/v1/boundaries/checks/{check_id}",
    )


def _piece_text(kind: str, piece: str | None) -> str:
    """What part of a finding a piece is, in words (nothing when it is the finding itself): never the enum."""
    if not piece or piece == kind:
        return ""
    return f" / {FINDING_STYLES[piece][1] if piece in FINDING_STYLES else piece}"


def _comparison_notes(comparison: dict[str, Any]) -> list[str]:
    total = comparison["summary"]["disputed"]["count"]
    drawn = len(comparison["pieces"])
    return [
        f"边界比对 comparison #{comparison['id']}: {source_text(comparison['first'])} / "
        f"{source_text(comparison['second'])}, "
        f"{comparison['level']} units, as of {comparison['as_of']}, pieces of at least "
        f"{comparison['tolerance_m2']:g} m²; {total} disputed pieces"
        + (f", the {drawn} largest drawn" if total > drawn else ", all drawn")
    ]


def _comparison_layers(canvas: Canvas, comparison: dict[str, Any], names: dict[str, str]) -> list[tuple[str, str]]:
    """One overlay per kind of disputed piece of a stored comparison; the legend entries drawn."""
    first, second = source_text(comparison["first"]), source_text(comparison["second"])
    kinds = {
        "between": [p for p in comparison["pieces"] if p["first_unit"] and p["second_unit"]],
        "first_only": [p for p in comparison["pieces"] if not p["second_unit"]],
        "second_only": [p for p in comparison["pieces"] if not p["first_unit"]],
    }
    entries = []
    for kind, pieces in kinds.items():
        colour, template = PIECE_STYLES[kind]
        label = template.format(first=first, second=second)
        if not pieces:
            continue
        entries.append((colour, label))
        canvas.polygons(
            f"比对 #{comparison['id']} {label}",
            [
                {
                    "geometry": p["geometry"],
                    "properties": {"area_m2": p["area_m2"], "first": p["first_unit"], "second": p["second_unit"]},
                    "popup": popup_html(
                        f"{label} #{p['id']}",
                        [
                            ("类型 kind", label),
                            ("面积 area", _area_text(p["area_m2"])),
                            (f"{first} 归属 unit", _units_text([p["first_unit"]], names)),
                            (f"{second} 归属 unit", _units_text([p["second_unit"]], names)),
                            ("地名 places inside", "、".join(x["name"] for x in p.get("places") or [])),
                        ],
                        f"/api/v1/boundaries/comparisons/{comparison['id']}",
                    ),
                }
                for p in pieces
            ],
            style=area_style(colour),
            fields=["area_m2", "first", "second"],
            aliases=["面积 m²", first, second],
        )
    return entries


PLACE_COLOURS = ("#d6604d", "#4393c3", "#5aae61", "#9970ab", "#bf812d", "#35978f", "#e7298a", "#666666")


def places_map(conn: Connection, *, basemap: str = "none", tianditu_key: str = "") -> str:
    """The standard place names of Ordos valid today that have a location: one clustered overlay per GB/T 18521
    category present, popups with name, romanization, category, unit and a link to the record. Records that are
    not public are drawn at their generalised location only (the gazetteer's public location)."""
    canvas = Canvas(MAPS["places"], basemap, tianditu_key=tianditu_key, notes=[GENERALISED_NOTE, APPROX_NOTE])
    place_layers(canvas, conn)
    return canvas.render()


def place_layers(canvas: Canvas, conn: Connection, as_of: date | None = None, *, show: bool = True) -> None:
    """One clustered overlay per GB/T 18521 category of the standard names valid on the date, and its legend."""
    places = gazetteer.located_standard_places(conn, unit=CITY_CODE, as_of=as_of)
    clusters: dict[str, Any] = {}
    layer_names: list[str] = []
    for place in places:
        category = place["category"]
        if category not in clusters:
            layer_names.append(place_layer_name(category, place["category_name"]))
            clusters[category] = canvas.cluster(layer_names[-1], show=show)
        colour = PLACE_COLOURS[list(clusters).index(category) % len(PLACE_COLOURS)]
        canvas.point(
            clusters[category],
            place["point"]["lon"],
            place["point"]["lat"],
            colour=colour,
            tooltip=place["name"],
            popup=popup_html(
                place["name"],
                [
                    ("拼写 romanization", _romanization(place)),
                    ("类别 category", f"{category} {place['category_name'] or ''}".strip()),
                    ("单位 unit", f"{place['unit_path_text']} {place['unit_code'] or ''}".strip()),
                    ("位置 location", None if place["secrecy"] == "public" else "概化 generalised (0.1° grid)"),
                ],
                f"/api/v1/places/{place['id']}",
            ),
        )
    canvas.legend(
        "类别 GB/T 18521 category",
        [(PLACE_COLOURS[n % len(PLACE_COLOURS)], name) for n, name in enumerate(layer_names)],
        layers=list(clusters.values()),
        points=True,
    )


def place_layer_name(category: str, category_name: str | None) -> str:
    """The overlay of a GB/T 18521 category on the places map."""
    return f"{category} {category_name or '未知类别 unknown category'}"


def _romanization(place: dict[str, Any]) -> str | None:
    """The record's romanization with its origin (official lexicon or derived)."""
    if not place["romanization"]:
        return None
    return f"{place['romanization']} ({place['romanization_origin']})"
