"""Two-version comparison: exact pieces and offsets on hand-made fixtures, AMap against DataV on the real
Ordos data (against an independent computation), claims through the API with the places inside, bad input."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import httpx
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import mapping, shape
from sqlalchemy import Engine, text

from boundaries import service
from boundaries.compare import compare_sources
from core import auth
from core.crs import transform_geometry
from core.database import transaction
from tests.boundary_fixtures import add_polygon, add_units, box

GRS80 = Geod(ellps="GRS80")


def add_second_version(conn: object, code: str, rings: list) -> None:
    """A reference polygon of a hand-made unit from the made-up second source "fixture-b"."""
    service.add_polygon(
        conn,  # type: ignore[arg-type]
        code,
        geometry={"type": "Polygon", "coordinates": rings},
        crs="EPSG:4546",
        source="fixture-b",
        status="reference",
        valid_from=date(2020, 1, 1),
        actor="test",
    )


def test_a_line_moved_by_100_m(engine: Engine, tmp_path: Path) -> None:
    """Version b moves the line between two 1 km squares 100 m east: one disputed piece of 100,000 m² that the
    first version gives to B and the second to A, and a Hausdorff offset of 100 m on their shared line."""
    with transaction(engine) as conn:
        add_units(conn, tmp_path, "9911", ["991101", "991102"])
        add_polygon(conn, "991101", [box(0, 0, 1000, 1000)])
        add_polygon(conn, "991102", [box(1000, 0, 2000, 1000)])
        add_second_version(conn, "991101", [box(0, 0, 1100, 1000)])
        add_second_version(conn, "991102", [box(1100, 0, 2000, 1000)])
        result = compare_sources(conn, parent="9911", level="county", second="fixture-b", actor="test")
    assert len(result["pieces"]) == 1
    piece = result["pieces"][0]
    assert (piece["first_unit"], piece["second_unit"]) == ("991102000000", "991101000000")
    assert piece["area_m2"] == pytest.approx(100_000, rel=1e-4)
    (line,) = result["summary"]["lines"]
    assert line["units"] == ["991101000000", "991102000000"]
    assert line["hausdorff_m"] == pytest.approx(100, abs=0.5)
    assert line["first_length_km"] == pytest.approx(1.0, abs=1e-3)
    assert result["summary"]["between_units"]["count"] == 1 and result["summary"]["outer"]["count"] == 0


def test_tolerance_leaves_small_pieces_out(engine: Engine, tmp_path: Path) -> None:
    with transaction(engine) as conn:
        add_units(conn, tmp_path, "9912", ["991201"])
        add_polygon(conn, "991201", [box(0, 0, 1000, 1000)])
        add_second_version(conn, "991201", [box(0, 0, 1000, 1005)])  # 5,000 m² more in version b
        kept = compare_sources(conn, parent="9912", level="county", second="fixture-b", tolerance_m2=1000, actor="t")
        dropped = compare_sources(conn, parent="9912", level="county", second="fixture-b", actor="t")
    assert [(p["first_unit"], p["second_unit"]) for p in kept["pieces"]] == [(None, "991201000000")]
    assert kept["pieces"][0]["area_m2"] == pytest.approx(5000, rel=1e-3)
    assert dropped["pieces"] == [] and dropped["summary"]["below_tolerance"]["count"] == 1


def vendor_layer(data_root: Path, relative: str) -> dict[str, shapely.Geometry]:
    features = json.loads((data_root / relative).read_text(encoding="utf-8"))["features"]
    return {
        str(f["properties"]["adcode"]).ljust(12, "0"): transform_geometry(
            shapely.make_valid(shape(f["geometry"])), "GCJ-02", "EPSG:4490"
        )
        for f in features
    }


def test_amap_against_datav_on_the_real_banners(shared_ordos_engine: Engine, data_root: Path) -> None:
    """Every piece counted (tolerance 0): the total matches Σ area(A_u − D_u) + Σ area(D_v − ∪A) computed
    independently from the vendor files; the shared lines are hundreds of metres apart."""
    amap = vendor_layer(data_root, "ordos/boundaries/ordos_banners_amap2020_gcj02.geojson")
    datav = vendor_layer(data_root, "ordos/boundaries/ordos_banners_datav_gcj02.geojson")
    union_amap = shapely.union_all(list(amap.values()))
    expected = sum(abs(GRS80.geometry_area_perimeter(amap[u].difference(datav[u]))[0]) for u in amap)
    expected += sum(abs(GRS80.geometry_area_perimeter(datav[v].difference(union_amap))[0]) for v in datav)
    with transaction(shared_ordos_engine) as conn:
        result = compare_sources(
            conn, parent="150600", level="county", second="datav-2021", tolerance_m2=0, actor="test"
        )
        conn.rollback()
    summary = result["summary"]
    assert summary["disputed"]["area_m2"] == pytest.approx(expected, rel=0.005)
    lines = summary["lines"]
    assert len(lines) >= 15  # the 9 banners have at least 15 shared lines
    assert all(10 < line["hausdorff_m"] < 2000 for line in lines)
    assert sum(line["hausdorff_m"] > 100 for line in lines) >= len(lines) // 2


def key(engine: Engine, role: str = "editor") -> dict[str, str]:
    with transaction(engine) as conn:
        return {"X-API-Key": auth.create_user(conn, role, role)}


def test_claim_through_the_api_names_the_places_inside(api: httpx.Client, ordos_engine: Engine) -> None:
    """康巴什区 claims a 2 km square around a reference point of 东胜区: a piece from 150602 to 150603 naming it."""
    with ordos_engine.connect() as conn:
        point = conn.execute(
            text(
                "SELECT r.name, ST_X(r.geom) AS lon, ST_Y(r.geom) AS lat FROM reference_point r JOIN unit_polygon p"
                " ON p.unit_code = '150602000000' AND p.status = 'registered' AND ST_Contains(p.geom,"
                " ST_Buffer(r.geom, 0.02)) ORDER BY r.id LIMIT 1"
            )
        ).one()
    kangbashi = shape(api.get("/api/v1/units/150603", params={"crs": "EPSG:4490"}).json()["polygon"]["geometry"])
    square = shapely.box(point.lon - 0.01, point.lat - 0.01, point.lon + 0.01, point.lat + 0.01)
    claim = mapping(shapely.union_all([kangbashi, square]))
    body = {"unit": "150603", "claim": claim, "crs": "EPSG:4490", "label": "kangbashi-claim-2026"}
    response = api.post("/api/v1/boundaries/compare", headers=key(ordos_engine), json=body)
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["second"] == "kangbashi-claim-2026:150603000000" and result["first"] == "registered"
    named = [p for p in result["pieces"] if point.name in [q["name"] for q in p["places"]]]
    assert len(named) == 1
    assert (named[0]["first_unit"], named[0]["second_unit"]) == ("150602000000", "150603000000")
    served = api.get(f"/api/v1/boundaries/comparisons/{result['id']}")
    assert served.status_code == 200 and served.json()["summary"] == result["summary"]


BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[109.9, 39.6], [110.0, 39.7], [110.0, 39.6], [109.9, 39.7], [109.9, 39.6]]],
}
SMALL = {"type": "Polygon", "coordinates": [[[109.9, 39.6], [110.0, 39.6], [110.0, 39.7], [109.9, 39.6]]]}


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"unit": "150603", "claim": SMALL}, 422, "no CRS"),
        ({"unit": "150603", "claim": BOW_TIE, "crs": "EPSG:4490"}, 422, "Self-intersection"),
        ({"unit": "150603", "claim": SMALL, "crs": "EPSG:3857"}, 422, "EPSG:3857"),
        ({"unit": "150603", "claim": SMALL, "crs": "EPSG:4546"}, 422, "outside China"),
        (
            {"unit": "150603", "claim": {"type": "Point", "coordinates": [109.9, 39.6]}, "crs": "EPSG:4490"},
            422,
            "Point",
        ),
        ({"unit": "159999", "claim": SMALL, "crs": "EPSG:4490"}, 404, "159999000000"),
        ({"unit": "150603001", "claim": SMALL, "crs": "EPSG:4490"}, 422, "no registered polygon"),
        ({"unit": "150603", "claim": SMALL, "crs": "EPSG:4490", "second": "datav-2021"}, 422, "claim needs"),
        ({"parent": "150600", "level": "county"}, 422, "second"),
        ({}, 422, "second"),
        ({"parent": "150600", "level": "county", "second": "nobody-1999"}, 422, "nobody-1999"),
        ({"parent": "150600", "level": "county", "second": "registered"}, 422, "two different"),
        ({"parent": "150600", "level": "county", "second": "datav-2021", "tolerance_m2": -1}, 422, "tolerance_m2"),
        ({"parent": "150600", "level": "county", "second": "datav-2021", "tolerance_m2": 1e12}, 422, "tolerance_m2"),
        ({"parent": "150600", "level": "township", "second": "datav-2021"}, 422, "has a polygon"),
    ],
)
def test_bad_comparisons_write_nothing(
    api: httpx.Client, ordos_engine: Engine, body: dict, status: int, needle: str
) -> None:
    response = api.post("/api/v1/boundaries/compare", headers=key(ordos_engine), json=body)
    assert response.status_code == status, response.text
    assert needle in response.json()["detail"]
    with ordos_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM boundary_comparison")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM disputed_piece")).scalar_one() == 0


def test_unknown_comparison_is_404(ordos_api: httpx.Client) -> None:
    response = ordos_api.get("/api/v1/boundaries/comparisons/424242")
    assert response.status_code == 404 and "424242" in response.json()["detail"]


def test_source_comparison_through_the_api_is_audited(api: httpx.Client, ordos_engine: Engine) -> None:
    body = {"parent": "150600", "level": "county", "second": "datav-2021"}
    assert api.post("/api/v1/boundaries/compare", json=body).status_code == 401
    response = api.post("/api/v1/boundaries/compare", headers=key(ordos_engine, "inspector"), json=body)
    assert response.status_code == 201, response.text
    assert response.json()["summary"]["max_hausdorff_m"] > 100
    with ordos_engine.connect() as conn:
        rows = conn.execute(text("SELECT actor FROM audit_log WHERE object_type = 'boundary_comparison'")).all()
    assert [r.actor for r in rows] == ["inspector"]
