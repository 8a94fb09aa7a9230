"""Coverage indicators over hand-made fixture facilities on the real Ordos units and unit points:
burial per township, the eldercare circle, beds per 1,000 elderly, cemeteries in prohibited zones."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx
import pytest
from pyproj import Geod
from sqlalchemy import Engine, inspect, text

from app import schema
from tests.facilities.test_facilities import editor

FACILITY_TABLES = {"facility", "unit_population", "prohibited_layer", "road_edge"}


def add(api: httpx.Client, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    body = {"crs": "EPSG:4490", "illustrative": True, **body}
    response = api.post("/api/v1/facilities", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def village_points(engine: Engine, prefix: str) -> list[Any]:
    """The located village-level units (one point per unit) straight from the tables, to check the service."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT DISTINCT ON (r.unit_code) r.unit_code, a.name, a.kind,"
                    " ST_X(r.geom) AS lon, ST_Y(r.geom) AS lat"
                    " FROM reference_point r JOIN admin_unit a ON a.code = r.unit_code"
                    " WHERE r.unit_level = 'village' AND r.unit_code LIKE :p ORDER BY r.unit_code, r.id"
                ),
                {"p": prefix + "%"},
            ).all()
        )


def test_facility_tables_come_and_go_with_the_migration(engine: Engine) -> None:
    assert FACILITY_TABLES <= set(inspect(engine).get_table_names())
    schema.downgrade(engine, "0001")
    assert not FACILITY_TABLES & set(inspect(engine).get_table_names())
    schema.upgrade(engine)
    assert FACILITY_TABLES <= set(inspect(engine).get_table_names())


def test_burial_coverage_per_township(api: httpx.Client, ordos_engine: Engine) -> None:
    headers = editor(ordos_engine)
    towns = [u for u in api.get("/api/v1/units/150602/children").json() if u["kind"] in ("镇", "苏木", "乡")]
    streets = [u for u in api.get("/api/v1/units/150602/children").json() if u["kind"] == "街道"]
    point = {"lon": 109.98, "lat": 39.81}  # inside 东胜区; the township is declared (no township polygons)
    add(
        api,
        headers,
        name="公墓甲(fixture)",
        kind="cemetery",
        cemetery_type="public_welfare",
        unit_code=towns[0]["code"],
        **point,
    )
    add(
        api,
        headers,
        name="公墓乙(fixture)",
        kind="cemetery",
        cemetery_type="commercial",
        unit_code=streets[0]["code"],
        **point,
    )
    add(
        api,
        headers,
        name="公墓丙(fixture)",
        kind="cemetery",
        cemetery_type="public_welfare",
        status="planned",
        unit_code=streets[1]["code"],
        **point,
    )
    add(api, headers, name="公墓丁(fixture)", kind="cemetery", cemetery_type="public_welfare", **point)
    result = api.get("/api/v1/coverage/burial").json()
    with ordos_engine.connect() as conn:
        township_count = conn.execute(text("SELECT count(*) FROM admin_unit WHERE level = 'township'")).scalar_one()
    assert len(result["townships"]) == township_count
    covered = [t["code"] for t in result["townships"] if t["has_public_welfare_cemetery"]]
    assert covered == [towns[0]["code"]]  # commercial and planned sites do not count
    assert "1 declared" in result["method"]
    assert [c["name"] for c in result["cemeteries_without_township"]] == ["公墓丁(fixture)"]
    by_class = {s["class"]: s for s in result["summary"]}
    assert by_class["苏木/乡/镇"]["with_site"] == 1
    assert by_class["街道"]["with_site"] == 0
    assert sum(s["units"] for s in result["summary"]) == township_count
    banner = api.get("/api/v1/coverage/burial?unit=150602").json()
    assert {t["banner_code"] for t in banner["townships"]} == {"150602000000"}


def test_burial_csv_has_a_bom_and_the_township_rows(ordos_api: httpx.Client) -> None:
    response = ordos_api.get("/api/v1/coverage/burial?unit=150603&format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    children = ordos_api.get("/api/v1/units/150603/children").json()
    assert [r["code"] for r in rows] == [c["code"] for c in children]
    assert {r["has_public_welfare_cemetery"] for r in rows} == {"False"}


@pytest.mark.parametrize(
    ("path", "status", "needle"),
    [
        ("/api/v1/coverage/burial?unit=150699", 404, "150699"),
        ("/api/v1/coverage/burial?unit=150602001001", 422, "village"),
        ("/api/v1/coverage/burial?unit=15x", 422, "division code"),
        ("/api/v1/coverage/burial?format=xls", 422, "format"),
        ("/api/v1/coverage/eldercare?level=village", 422, "level"),
        ("/api/v1/coverage/eldercare?level=province", 422, "level"),
        ("/api/v1/coverage/eldercare?unit=150602&level=city", 422, "above"),
        ("/api/v1/coverage/eldercare?walk_m=-100", 422, "walk_m"),
        ("/api/v1/coverage/eldercare?walk_m=abc", 422, "walk_m"),
        ("/api/v1/coverage/eldercare?minutes=0", 422, "minutes"),
        ("/api/v1/coverage/eldercare?speed_kmh=40", 422, "speed_kmh"),
        ("/api/v1/coverage/eldercare/uncovered?speed_kmh=nan", 422, "speed_kmh"),
        ("/api/v1/coverage/eldercare?unit=159999", 404, "159999"),
        ("/api/v1/coverage/eldercare?method=network", 422, "road layer"),
        ("/api/v1/coverage/eldercare?method=fly", 422, "method"),
        ("/api/v1/coverage/beds?target=-1", 422, "target"),
        ("/api/v1/coverage/beds?unit=150602001", 422, "township"),
        ("/api/v1/coverage/prohibited-zones?widths=road:-5", 422, "road"),
        ("/api/v1/coverage/prohibited-zones?widths=moat:5", 422, "moat"),
        ("/api/v1/coverage/prohibited-zones?widths=road:wide", 422, "wide"),
    ],
)
def test_bad_coverage_requests(ordos_api: httpx.Client, path: str, status: int, needle: str) -> None:
    response = ordos_api.get(path)
    assert response.status_code == status, response.text
    assert needle in response.text


def test_eldercare_circle_counts_and_distances(api: httpx.Client, ordos_engine: Engine) -> None:
    located = village_points(ordos_engine, "150602")
    communities = [p for p in located if p.kind == "社区"]
    assert len(communities) >= 3, "the fixture needs located communities in 东胜区"
    headers = editor(ordos_engine)
    site = communities[0]
    add(api, headers, name="服务站(fixture)", kind="community_eldercare_site", lon=site.lon, lat=site.lat)
    with ordos_engine.connect() as conn:  # the expected answer, computed independently in SQL
        near = conn.execute(
            text(
                "SELECT count(*) FROM unnest(CAST(:lons AS float8[]), CAST(:lats AS float8[])) AS p(lon, lat)"
                " WHERE ST_DWithin(ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4490)::geography,"
                " ST_SetSRID(ST_MakePoint(:slon, :slat), 4490)::geography, 1000)"
            ),
            {
                "lons": [c.lon for c in communities],
                "lats": [c.lat for c in communities],
                "slon": site.lon,
                "slat": site.lat,
            },
        ).scalar_one()
    result = api.get("/api/v1/coverage/eldercare?unit=150602&level=county").json()
    assert "straight-line" in result["method"]
    county = {a["class"]: a for a in result["areas"]}
    assert county["community"]["located"] == len(communities)
    assert county["community"]["covered"] == near
    assert county["community"]["share"] == round(near / len(communities), 4)
    uncovered = {u["code"]: u for u in result["uncovered"]}
    assert site.unit_code not in uncovered
    assert len([u for u in uncovered.values() if u["class"] == "community"]) == len(communities) - near
    assert all(u["distance_m"] > 1000 or u["distance_m"] is None for u in uncovered.values())
    assert result["walk"] == {"minutes": 15, "speed_kmh": 4, "walk_m": 1000}  # the documented defaults
    paced = api.get("/api/v1/coverage/eldercare?unit=150602&level=county&minutes=30&speed_kmh=5").json()
    assert paced["walk"] == {"minutes": 30, "speed_kmh": 5, "walk_m": 2500} and paced["walk_m"] == 2500
    far = max(uncovered.values(), key=lambda u: u["distance_m"])
    wide = api.get(f"/api/v1/coverage/eldercare?unit=150602&level=county&walk_m={far['distance_m'] + 1}").json()
    assert wide["uncovered"] == []  # every located unit is within the widest distance
    township = api.get("/api/v1/coverage/eldercare?unit=150602").json()
    assert sum(a["located"] for a in township["areas"]) == len(located)
    csv_text = api.get("/api/v1/coverage/eldercare/uncovered?unit=150602&format=csv").content.decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(csv_text)))) == len(result["uncovered"])


def test_eldercare_share_is_weighted_by_population(api: httpx.Client, ordos_engine: Engine) -> None:
    communities = [p for p in village_points(ordos_engine, "150602") if p.kind == "社区"]
    first = communities[0]
    headers = editor(ordos_engine)
    add(api, headers, name="服务站(fixture)", kind="community_eldercare_site", lon=first.lon, lat=first.lat)
    path = "/api/v1/coverage/eldercare/uncovered?unit=150602"
    second = next(u for u in api.get(path).json()["uncovered"] if u["class"] == "community")
    figures = f"unit_code,year,total,aged_60_plus\n{first.unit_code},2023,1000,300\n{second['code']},2023,1000,100\n"
    imported = api.post("/api/v1/population/import", params={"source": "fixture"}, content=figures, headers=headers)
    assert imported.status_code == 200, imported.text
    area = next(
        a
        for a in api.get("/api/v1/coverage/eldercare?unit=150602&level=county").json()["areas"]
        if a["class"] == "community"
    )
    assert area["population_known"] == 2
    assert area["share_weighted_aged_60_plus"] == pytest.approx(300 / 400)


def test_beds_per_thousand_elderly_against_a_target(api: httpx.Client, ordos_engine: Engine) -> None:
    headers = editor(ordos_engine)
    for beds in (60, 40):
        add(api, headers, name=f"养老院{beds}(fixture)", kind="eldercare_institution", beds=beds, lon=109.98, lat=39.81)
    add(
        api,
        headers,
        name="停业院(fixture)",
        kind="eldercare_institution",
        beds=500,
        status="closed",
        lon=109.98,
        lat=39.81,
    )
    figures = "unit_code,year,total,aged_60_plus\n150602,2023,50000,2500\n"
    api.post("/api/v1/population/import", params={"source": "fixture"}, content=figures, headers=headers)
    rows = {r["code"]: r for r in api.get("/api/v1/coverage/beds").json()["banners"]}
    assert len(rows) == 9
    dongsheng = rows["150602000000"]
    assert (dongsheng["beds"], dongsheng["institutions"], dongsheng["beds_per_1000"]) == (100, 2, 40.0)
    assert dongsheng["meets_target"] is True
    assert rows["150603000000"]["beds_per_1000"] is None  # no population figure: not guessed
    strict = api.get("/api/v1/coverage/beds?target=45").json()["banners"]
    assert next(r for r in strict if r["code"] == "150602000000")["meets_target"] is False


# A hand-made road fixture: a straight east-west line through 康巴什区 (EPSG:4490), not a real road.
ROAD = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"id": "r1", "name": "示例道路(fixture)"},
            "geometry": {"type": "LineString", "coordinates": [[109.70, 39.60], [109.90, 39.60]]},
        }
    ],
}


def test_cemeteries_inside_prohibited_zones(api: httpx.Client, ordos_engine: Engine) -> None:
    headers = editor(ordos_engine)
    params: dict[str, Any] = {"layer": "示例道路(fixture)", "layer_kind": "road", "buffer_m": 500, "crs": "EPSG:4490"}
    imported = api.post("/api/v1/prohibited-layers/import", params=params, content=json.dumps(ROAD), headers=headers)
    assert imported.status_code == 200, imported.text
    again = api.post("/api/v1/prohibited-layers/import", params=params, content=json.dumps(ROAD), headers=headers)
    assert again.json()["unchanged"] == 1
    # 0.002 deg of latitude north of the line
    near = add(
        api, headers, name="近路公墓(fixture)", kind="cemetery", cemetery_type="public_welfare", lon=109.78, lat=39.602
    )
    add(api, headers, name="远路公墓(fixture)", kind="cemetery", cemetery_type="commercial", lon=109.78, lat=39.62)
    hits = api.get("/api/v1/coverage/prohibited-zones").json()["hits"]
    assert [(h["facility_id"], h["layer"]) for h in hits] == [(near["id"], "示例道路(fixture)")]
    # expected: the shortest distance to the geodesic between the line's ends (which bows north), by pyproj
    geod = Geod(ellps="GRS80")
    expected = min(geod.inv(109.78, 39.602, x, y)[2] for x, y in geod.npts(109.70, 39.60, 109.90, 39.60, 999))
    assert hits[0]["distance_m"] == pytest.approx(expected, abs=0.5)
    assert api.get("/api/v1/coverage/prohibited-zones?widths=road:200").json()["hits"] == []
    csv_text = api.get("/api/v1/coverage/prohibited-zones?format=csv").content.decode("utf-8-sig")
    assert "近路公墓(fixture)" in csv_text


@pytest.mark.parametrize(
    ("params", "content", "needle"),
    [
        ({"buffer_m": -1}, json.dumps(ROAD), "buffer_m"),
        ({"layer_kind": "moat"}, json.dumps(ROAD), "layer_kind"),
        ({"crs": "EPSG:3857"}, json.dumps(ROAD), "unsupported CRS"),
        ({}, "{nope", "not JSON"),
        ({}, json.dumps({"type": "FeatureCollection", "features": ["road"]}), "not a GeoJSON Feature"),
        ({}, json.dumps({"type": "FeatureCollection", "features": 5}), "no list of features"),
        ({}, json.dumps({"type": "Feature"}), "FeatureCollection"),
        (
            {},
            json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Line"}}]}),
            "geometry",
        ),
    ],
)
def test_bad_layers_write_nothing(
    api: httpx.Client, ordos_engine: Engine, params: dict[str, Any], content: str, needle: str
) -> None:
    query = {"layer": "x", "layer_kind": "road", "buffer_m": 100, "crs": "EPSG:4490", **params}
    response = api.post("/api/v1/prohibited-layers/import", params=query, content=content, headers=editor(ordos_engine))
    assert response.status_code == 422, response.text
    assert needle in response.text
    with ordos_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM prohibited_layer")).scalar_one() == 0


def test_eldercare_follows_the_road_network_once_roads_are_imported(api: httpx.Client, ordos_engine: Engine) -> None:
    """A hand-made road (not a real one) from a community to a site 800 m east goes round by 600 m north:
    in the circle by straight line, outside it along the road."""
    community = next(p for p in village_points(ordos_engine, "150602") if p.kind == "社区")
    geod = Geod(ellps="GRS80")
    east_lon, east_lat, _ = geod.fwd(community.lon, community.lat, 90, 800)
    corner_b = geod.fwd(community.lon, community.lat, 0, 600)[:2]
    corner_a = geod.fwd(east_lon, east_lat, 0, 600)[:2]
    road = [(community.lon, community.lat), corner_b, corner_a, (east_lon, east_lat)]
    headers = editor(ordos_engine)
    site = add(api, headers, name="路网服务站(fixture)", kind="community_eldercare_site", lon=east_lon, lat=east_lat)
    path = "/api/v1/coverage/eldercare/uncovered?unit=150602"
    straight = api.get(path).json()
    assert "straight-line" in straight["method"] and straight["distance"] == "straight_line"
    assert community.unit_code not in {u["code"] for u in straight["uncovered"]}
    layer = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "loop", "name": "示例道路(fixture)"},
                "geometry": {"type": "LineString", "coordinates": [list(c) for c in road]},
            }
        ],
    }
    params: dict[str, Any] = {"layer": "示例路网(fixture)", "layer_kind": "road", "buffer_m": 10, "crs": "EPSG:4490"}
    imported = api.post("/api/v1/prohibited-layers/import", params=params, content=json.dumps(layer), headers=headers)
    assert imported.status_code == 200, imported.text
    assert "3 edge(s)" in imported.json()["notes"][0]
    networked = api.get(path).json()
    assert networked["distance"] == "network" and "pgRouting" in networked["method"]
    outside = {u["code"]: u for u in networked["uncovered"]}[community.unit_code]
    expected = sum(geod.inv(*a, *b)[2] for a, b in zip(road, road[1:], strict=False))
    assert outside["distance_m"] == pytest.approx(expected, abs=0.5)
    assert outside["nearest_site_id"] == site["id"]
    wide = api.get(f"{path}&walk_m={expected + 1}").json()
    assert community.unit_code not in {u["code"] for u in wide["uncovered"]}
    forced = api.get(f"{path}&method=straight_line").json()
    assert community.unit_code not in {u["code"] for u in forced["uncovered"]}
