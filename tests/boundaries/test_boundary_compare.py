"""Two-version comparison: exact pieces and offsets on hand-made fixtures, AMap against DataV on the real
Ordos data (against an independent computation), claims through the API with the places inside (stored as found
that day), ``gaz check compare`` run as a subprocess, bad input through both."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date
from pathlib import Path

import httpx
import numpy as np
import pytest
import shapely
import shapely.affinity
from pyproj import Geod
from shapely.geometry import mapping, shape
from sqlalchemy import Engine, text

from app.boundary_compare import run_comparison
from boundaries.checks.metric import MetricFrame, frame_for
from boundaries.compare.offset import systematic_offset, without_offset
from boundaries.compare.pieces import disputed_pieces
from boundaries.compare.service import compare_sources, get_comparison
from boundaries.polygons import service
from core.crs import transform_geometry, wgs84_to_gcj02
from core.database import transaction
from facilities import registry as facilities
from gazetteer.points import service as reference_points
from tests.boundary_fixtures import X0, Y0, add_polygon, add_units, box
from tests.factories import role_key

GRS80 = Geod(ellps="GRS80")
PROJECT = Path(__file__).resolve().parents[2]


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
    assert summary["systematic_offset"] is None  # the vendors' differences are local
    lines = summary["lines"]
    assert len(lines) >= 15  # the 9 banners have at least 15 shared lines
    assert all(10 < line["hausdorff_m"] < 2000 for line in lines)
    assert sum(line["hausdorff_m"] > 100 for line in lines) >= len(lines) // 2


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
    response = api.post("/api/v1/boundaries/compare", headers=role_key(ordos_engine), json=body)
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
    response = api.post("/api/v1/boundaries/compare", headers=role_key(ordos_engine), json=body)
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
    response = api.post("/api/v1/boundaries/compare", headers=role_key(ordos_engine, "inspector"), json=body)
    assert response.status_code == 201, response.text
    assert response.json()["summary"]["max_hausdorff_m"] > 100
    with ordos_engine.connect() as conn:
        rows = conn.execute(text("SELECT actor FROM audit_log WHERE object_type = 'boundary_comparison'")).all()
    assert [r.actor for r in rows] == ["inspector"]


# --- what lies inside the pieces is stored with the comparison ----------------------------------------------
def dongsheng_point(engine: Engine) -> shapely.Point:
    """A reference point of 东胜区 (150602) at least 0.02° inside its registered polygon."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT ST_X(r.geom) AS lon, ST_Y(r.geom) AS lat FROM reference_point r JOIN unit_polygon p"
                " ON p.unit_code = '150602000000' AND p.status = 'registered' AND ST_Contains(p.geom,"
                " ST_Buffer(r.geom, 0.02)) ORDER BY r.id LIMIT 1"
            )
        ).one()
    return shapely.Point(row.lon, row.lat)


def kangbashi_claim(engine: Engine, around: shapely.Point) -> dict:
    """康巴什区's registered polygon plus a 2 km square around ``around`` (a hand-made claim)."""
    with engine.connect() as conn:
        wkb = conn.execute(
            text(
                "SELECT ST_AsBinary(geom) FROM unit_polygon WHERE unit_code = '150603000000' AND status = 'registered'"
            )
        ).scalar_one()
    square = shapely.box(around.x - 0.01, around.y - 0.01, around.x + 0.01, around.y + 0.01)
    return mapping(shapely.union_all([shapely.from_wkb(bytes(wkb)), square]))


def add_facility(conn: object, name: str, lon: float, lat: float) -> dict:
    """A hand-made (illustrative) eldercare site at lon/lat."""
    record = {"name": name, "kind": "community_eldercare_site", "lon": lon, "lat": lat, "crs": "EPSG:4490"}
    return facilities.create_facility(
        conn,  # type: ignore[arg-type]
        facilities.parse_facility(record | {"illustrative": True}),
        actor="test",
    )


def add_reference_point(conn: object, tmp_path: Path, name: str, lon: float, lat: float) -> None:
    """A hand-made reference point from a one-row CSV."""
    path = tmp_path / f"{name}.csv"
    path.write_text(f"id,name,lon,lat\nfx-1,{name},{lon},{lat}\n", encoding="utf-8")
    reference_points.import_points(
        conn,  # type: ignore[arg-type]
        path,
        source="fixture-points",
        crs="EPSG:4490",
        lon_column="lon",
        lat_column="lat",
        name_column="name",
        id_column="id",
    )


def piece_at(result: dict, point: shapely.Point) -> dict:
    (piece,) = [p for p in result["pieces"] if shape(p["geometry"]).contains(point)]
    return piece


def test_places_and_facilities_inside_are_stored_as_found_that_day(
    api: httpx.Client, ordos_engine: Engine, tmp_path: Path
) -> None:
    """A facility inside the disputed piece is stored with the comparison; a facility and a reference point added
    afterwards do not appear in the stored comparison (API read too), but a new comparison finds them."""
    centre = dongsheng_point(ordos_engine)
    claim = kangbashi_claim(ordos_engine, centre)
    with transaction(ordos_engine) as conn:
        before = add_facility(conn, "手工测试养老站甲", centre.x + 0.004, centre.y + 0.004)
        old = run_comparison(conn, unit="150603", claim=claim, crs="EPSG:4490", label="fixture-claim", actor="test")
    piece = piece_at(old, centre)
    assert (piece["first_unit"], piece["second_unit"]) == ("150602000000", "150603000000")
    assert [f["name"] for f in piece["facilities"]] == ["手工测试养老站甲"]
    assert piece["facilities"][0]["id"] == before["id"] and piece["facilities"][0]["illustrative"] is True
    assert piece["places"] and old["summary"]["inside"]["facilities"] == 1
    with transaction(ordos_engine) as conn:
        add_facility(conn, "手工测试养老站乙", centre.x - 0.004, centre.y - 0.004)
        add_reference_point(conn, tmp_path, "手工测试地名丙", centre.x + 0.005, centre.y - 0.005)
    with ordos_engine.connect() as conn:
        stored = get_comparison(conn, old["id"])
    assert piece_at(stored, centre)["facilities"] == piece["facilities"]
    assert piece_at(stored, centre)["places"] == piece["places"]
    served = api.get(f"/api/v1/boundaries/comparisons/{old['id']}").json()
    served_piece = piece_at(served, centre)
    assert [f["name"] for f in served_piece["facilities"]] == ["手工测试养老站甲"]
    assert "手工测试地名丙" not in [p["name"] for p in served_piece["places"]]
    with transaction(ordos_engine) as conn:
        new = run_comparison(conn, unit="150603", claim=claim, crs="EPSG:4490", label="fixture-claim", actor="test")
    fresh = piece_at(new, centre)
    assert sorted(f["name"] for f in fresh["facilities"]) == ["手工测试养老站乙", "手工测试养老站甲"]
    assert [p["name"] for p in fresh["places"]] == [p["name"] for p in piece["places"]] + ["手工测试地名丙"]


def test_pieces_compared_without_looking_inside_store_null(engine: Engine, tmp_path: Path) -> None:
    """boundaries alone cannot look up places: its pieces say "not looked up" (null), not "nothing inside"."""
    with transaction(engine) as conn:
        add_units(conn, tmp_path, "9913", ["991301"])
        add_polygon(conn, "991301", [box(0, 0, 1000, 1000)])
        add_second_version(conn, "991301", [box(0, 0, 1000, 1200)])
        result = compare_sources(conn, parent="9913", level="county", second="fixture-b", tolerance_m2=0, actor="t")
    assert [(p["places"], p["facilities"]) for p in result["pieces"]] == [(None, None)]
    assert result["summary"]["inside"] == {"places": None, "facilities": None}


def test_pieces_geojson_route(api: httpx.Client, ordos_engine: Engine) -> None:
    body = {"parent": "150600", "level": "county", "second": "datav-2021"}
    made = api.post("/api/v1/boundaries/compare", headers=role_key(ordos_engine), json=body).json()
    geojson = api.get(f"/api/v1/boundaries/comparisons/{made['id']}/pieces.geojson").json()
    assert len(geojson["features"]) == made["summary"]["disputed"]["count"] > 0
    total = sum(f["properties"]["area_m2"] for f in geojson["features"])
    # Each feature's area is rounded to 0.1 m²: the sum may drift by 0.05 m² per piece.
    assert total == pytest.approx(made["summary"]["disputed"]["area_m2"], abs=0.05 * len(geojson["features"]) + 0.1)
    assert api.get("/api/v1/boundaries/comparisons/424242/pieces.geojson").status_code == 404


# --- CLI -----------------------------------------------------------------------------------------
def gaz(engine: Engine, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GAZ_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    return subprocess.run(
        [str(PROJECT / ".venv" / "bin" / "gaz"), *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def comparisons(engine: Engine) -> list[tuple[int, int]]:
    """(id, number of stored pieces) of every stored comparison."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.id, count(p.id) FROM boundary_comparison c LEFT JOIN disputed_piece p ON p.comparison_id"
                " = c.id GROUP BY c.id ORDER BY c.id"
            )
        ).all()
    return [(row[0], row[1]) for row in rows]


def test_cli_compares_two_sources_and_writes_the_pieces(ordos_engine: Engine, tmp_path: Path) -> None:
    """AMap (registered) against DataV: the summary, the stored comparison and the GeoJSON agree."""
    out = tmp_path / "pieces.geojson"
    done = gaz(
        ordos_engine,
        "check",
        "compare",
        "--parent",
        "150600",
        "--level",
        "county",
        "--second",
        "datav-2021",
        "--out",
        str(out),
        "--show",
        "3",
    )
    assert done.returncode == 0, done.stderr
    [(comparison_id, piece_count)] = comparisons(ordos_engine)
    with ordos_engine.connect() as conn:
        stored = get_comparison(conn, comparison_id, limit=None)
    summary = stored["summary"]
    assert piece_count == summary["disputed"]["count"] > 0
    assert f"comparison {comparison_id}: registered vs datav-2021" in done.stdout and "鄂尔多斯市" in done.stdout
    assert f"disputed          {summary['disputed']['count']} pieces" in done.stdout
    largest = stored["pieces"][0]
    assert f"#{largest['id']} {largest['area_m2'] / 1e6:10.4f} km²" in done.stdout
    worst = max(summary["lines"], key=lambda line: line["hausdorff_m"])
    assert f"{worst['hausdorff_m']:8.1f} m" in done.stdout and "Hausdorff" in done.stdout
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert len(features) == piece_count
    assert features[0]["properties"]["first_unit"] == largest["first_unit"]
    area = sum(abs(GRS80.geometry_area_perimeter(shape(f["geometry"]))[0]) for f in features)
    assert area == pytest.approx(summary["disputed"]["area_m2"], rel=1e-3)
    with ordos_engine.connect() as conn:
        actors = conn.execute(text("SELECT actor FROM audit_log WHERE object_type = 'boundary_comparison'")).all()
    assert [a.actor for a in actors] == ["cli"]


def test_cli_compares_a_claim_file_with_its_crs(ordos_engine: Engine, tmp_path: Path) -> None:
    """A claim file in the Gauss-Krüger zone EPSG:4546, as a one-feature FeatureCollection."""
    centre = dongsheng_point(ordos_engine)
    claim = shapely.geometry.shape(kangbashi_claim(ordos_engine, centre))
    in_zone = transform_geometry(claim, "EPSG:4490", "EPSG:4546")
    path = tmp_path / "claim.geojson"
    document = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": mapping(in_zone)}],
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    done = gaz(
        ordos_engine,
        "check",
        "compare",
        "--unit",
        "150603",
        "--claim",
        str(path),
        "--crs",
        "EPSG:4546",
        "--label",
        "kangbashi-2026",
    )
    assert done.returncode == 0, done.stderr
    assert "registered vs kangbashi-2026:150603000000" in done.stdout
    assert "150602000000 东胜区 -> kangbashi-2026:150603000000: 150603000000 康巴什区" in done.stdout
    [(comparison_id, _)] = comparisons(ordos_engine)
    with ordos_engine.connect() as conn:
        piece = piece_at(get_comparison(conn, comparison_id), centre)
    assert piece["area_m2"] > 1e6 and piece["places"]
    assert f"inside: {piece['places'][0]['name']}" in done.stdout


BOW_TIE_FILE = {"type": "Feature", "properties": {}, "geometry": BOW_TIE}


@pytest.mark.parametrize(
    ("args", "files", "needle"),
    [
        (["--parent", "150600", "--level", "county", "--second", "nobody-1999"], {}, "nobody-1999"),
        (["--parent", "159999", "--level", "county", "--second", "datav-2021"], {}, "159999000000"),
        (["--parent", "150600", "--level", "county", "--second", "registered"], {}, "two different"),
        (["--parent", "150600", "--level", "county"], {}, "second"),
        (
            ["--parent", "150600", "--level", "county", "--second", "datav-2021", "--tolerance-m2", "-1"],
            {},
            "tolerance_m2",
        ),
        (
            ["--parent", "150600", "--level", "county", "--second", "datav-2021", "--as-of", "2023-02-30"],
            {},
            "2023-02-30",
        ),
        (["--unit", "159999", "--claim", "{claim}", "--crs", "EPSG:4490"], {"claim": SMALL}, "159999000000"),
        (["--unit", "150603", "--claim", "{claim}"], {"claim": SMALL}, "no CRS"),
        (["--unit", "150603", "--claim", "{claim}", "--crs", "EPSG:3857"], {"claim": SMALL}, "EPSG:3857"),
        (
            ["--unit", "150603", "--claim", "{claim}", "--crs", "EPSG:4490"],
            {"claim": BOW_TIE_FILE},
            "Self-intersection",
        ),
        (["--unit", "150603", "--claim", "{claim}", "--crs", "EPSG:4490", "--label", ""], {"claim": SMALL}, "label"),
        (["--unit", "150603", "--claim", "{claim}", "--crs", "EPSG:4490"], {"claim": "not json {"}, "not readable"),
        (
            ["--unit", "150603", "--claim", "{claim}", "--crs", "EPSG:4490"],
            {"claim": {"type": "FeatureCollection", "features": [BOW_TIE_FILE, BOW_TIE_FILE]}},
            "2 features",
        ),
        (["--unit", "150603", "--claim", "{tmp}/missing.geojson", "--crs", "EPSG:4490"], {}, "does not exist"),
        (
            ["--unit", "150603", "--claim", "{claim}", "--crs", "EPSG:4490", "--second", "datav-2021"],
            {"claim": SMALL},
            "claim needs",
        ),
        (
            ["--parent", "150600", "--level", "county", "--second", "datav-2021", "--out", "{tmp}/no/such/dir.geojson"],
            {},
            "does not exist",
        ),
    ],
)
def test_cli_bad_comparisons_exit_non_zero_and_write_nothing(
    ordos_engine: Engine, tmp_path: Path, args: list[str], files: dict, needle: str
) -> None:
    for name, content in files.items():
        text_ = content if isinstance(content, str) else json.dumps(content)
        (tmp_path / f"{name}.geojson").write_text(text_, encoding="utf-8")
    argv = [a.replace("{claim}", str(tmp_path / "claim.geojson")).replace("{tmp}", str(tmp_path)) for a in args]
    out = tmp_path / "pieces.geojson"
    if "--out" not in argv:
        argv += ["--out", str(out)]
    done = gaz(ordos_engine, "check", "compare", *argv)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith("error: ") and needle in done.stderr, done.stderr
    assert done.stdout == ""
    assert comparisons(ordos_engine) == []
    assert not out.exists()


# --- claims that once answered 500 -------------------------------------------------------------------------
def gk_claim(*rings: list[list[float]]) -> dict:
    """A claim drawn in metres from the fixtures' origin (EPSG:4546): one polygon per ring given."""
    if len(rings) == 1:
        return {"type": "Polygon", "coordinates": [rings[0]]}
    return {"type": "MultiPolygon", "coordinates": [[ring] for ring in rings]}


@pytest.fixture
def two_squares(ordos_engine: Engine, tmp_path: Path) -> Engine:
    """Hand-made city 9921 with two 1 km squares side by side (992101 west, 992102 east), registered."""
    with transaction(ordos_engine) as conn:
        add_units(conn, tmp_path, "9921", ["992101", "992102"])
        add_polygon(conn, "992101", [box(0, 0, 1000, 1000)])
        add_polygon(conn, "992102", [box(1000, 0, 2000, 1000)])
    return ordos_engine


@pytest.mark.parametrize(
    ("claim", "pieces"),
    [
        # far away (50 km east): A's whole square goes to nobody, the far square from nobody to A
        (gk_claim(box(50_000, 0, 51_000, 1000)), {("992101000000", None): 1e6, (None, "992101000000"): 1e6}),
        # touching B only at its corner (2000, 1000)
        (gk_claim(box(2000, 1000, 3000, 2000)), {("992101000000", None): 1e6, (None, "992101000000"): 1e6}),
        # multipart: A's square and a far square
        (gk_claim(box(0, 0, 1000, 1000), box(50_000, 0, 50_500, 1000)), {(None, "992101000000"): 5e5}),
        # B swallowed whole: B is empty once the claim is cut out of it
        (gk_claim(box(0, 0, 2000, 1000)), {("992102000000", "992101000000"): 1e6}),
    ],
    ids=["far-away", "touching-at-a-point", "multipart", "neighbour-emptied"],
)
def test_awkward_claims_answer_with_pieces(
    api: httpx.Client, two_squares: Engine, claim: dict, pieces: dict[tuple, float]
) -> None:
    body = {"unit": "992101", "claim": claim, "crs": "EPSG:4546"}
    response = api.post("/api/v1/boundaries/compare", headers=role_key(two_squares), json=body)
    assert response.status_code == 201, response.text
    found: dict[tuple, float] = {}
    for p in response.json()["pieces"]:
        pair = (p["first_unit"], p["second_unit"])
        found[pair] = found.get(pair, 0.0) + p["area_m2"]
    assert found == pytest.approx(pieces, rel=1e-3)


def test_a_claim_equal_to_the_registered_polygon_has_no_pieces_and_no_offset(
    api: httpx.Client, two_squares: Engine
) -> None:
    body = {"unit": "992101", "claim": gk_claim(box(0, 0, 1000, 1000)), "crs": "EPSG:4546"}
    response = api.post("/api/v1/boundaries/compare", headers=role_key(two_squares), json=body)
    assert response.status_code == 201, response.text
    summary = response.json()["summary"]
    assert response.json()["pieces"] == [] and summary["disputed"]["count"] == 0
    assert summary["below_tolerance"]["count"] == 0
    assert [line["hausdorff_m"] for line in summary["lines"]] == [0.0]
    assert summary["max_hausdorff_m"] == 0.0


def test_a_real_banner_claiming_itself_has_no_offset(api: httpx.Client, ordos_engine: Engine) -> None:
    """达拉特旗 (150621) claims its own registered polygon: nothing disputed, 0 m on every shared line."""
    own = api.get("/api/v1/units/150621", params={"crs": "EPSG:4490"}).json()["polygon"]["geometry"]
    body = {"unit": "150621", "claim": own, "crs": "EPSG:4490"}
    response = api.post("/api/v1/boundaries/compare", headers=role_key(ordos_engine), json=body)
    assert response.status_code == 201, response.text
    summary = response.json()["summary"]
    assert summary["disputed"]["count"] == 0 and summary["below_tolerance"]["count"] == 0
    assert summary["lines"] and summary["max_hausdorff_m"] == 0.0


def test_every_banner_claiming_a_far_square_gets_an_answer(api: httpx.Client, ordos_engine: Engine) -> None:
    """A 2 km square near 鄂托克前旗's southern tip, far from most banners, claimed by each banner: 201 each."""
    square = mapping(shapely.box(107.2, 37.6, 107.22, 37.62))
    headers = role_key(ordos_engine)
    for code in ("150602", "150603", "150621", "150622", "150623", "150624", "150625", "150626", "150627"):
        body = {"unit": code, "claim": square, "crs": "EPSG:4490"}
        response = api.post("/api/v1/boundaries/compare", headers=headers, json=body)
        assert response.status_code == 201, (code, response.text)


def test_a_unit_whose_parent_is_not_loaded_still_compares(api: httpx.Client, two_squares: Engine) -> None:
    """The hand-made city 9921's parent (990000) is not loaded: its claim compares against itself alone."""
    with transaction(two_squares) as conn:
        add_polygon(conn, "992100", [box(0, 0, 2000, 1000)])
    body = {"unit": "992100", "claim": gk_claim(box(0, 0, 2000, 1100)), "crs": "EPSG:4546"}
    response = api.post("/api/v1/boundaries/compare", headers=role_key(two_squares), json=body)
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["parent"] is None
    ((piece),) = result["pieces"]
    assert (piece["first_unit"], piece["second_unit"]) == (None, "992100000000")
    assert piece["area_m2"] == pytest.approx(200_000, rel=1e-3)


# --- systematic offsets -----------------------------------------------------------------------------------
def four_banners(dx: float = 0.0, dy: float = 0.0) -> dict[str, shapely.Geometry]:
    """Four hand-made 10 km units in a 2 x 2 block (EPSG:4546 metres from the fixtures' origin, moved by dx, dy),
    as lon/lat; the north-east one is an L so that the block is not symmetric."""
    cells = {
        "a": shapely.box(0, 0, 10_000, 10_000),
        "b": shapely.box(10_000, 0, 20_000, 10_000),
        "c": shapely.box(0, 10_000, 10_000, 20_000),
        "d": shapely.Polygon(
            [(10_000, 10_000), (20_000, 10_000), (20_000, 14_000), (14_000, 14_000), (14_000, 20_000), (10_000, 20_000)]
        ),
    }
    return {
        k: transform_geometry(shapely.affinity.translate(g, X0 + dx, Y0 + dy), "EPSG:4546", "EPSG:4490")
        for k, g in cells.items()
    }


def planes(first: dict, second: dict) -> tuple[dict, dict, MetricFrame]:
    frame = frame_for(np.array(list(first.values()), dtype=object))
    plane_1, plane_2 = (
        dict(zip(layer, frame.forward(np.array(list(layer.values()), dtype=object)), strict=True))
        for layer in (first, second)
    )
    return plane_1, plane_2, frame


def offset_between(first: dict, second: dict) -> dict | None:
    return systematic_offset(*planes(first, second))


def test_the_comparison_after_removing_a_shift_leaves_what_truly_differs() -> None:
    """Shifted by 18 km/-6 km: with the shift taken out nothing is left (within the centimetre-level rounding of
    the vector); shifted and with the a|b line moved 2 km: the 2 km x 10 km strip is left."""
    plane_1, plane_2, frame = planes(four_banners(), four_banners(18_000, -6_000))
    offset = systematic_offset(plane_1, plane_2, frame)
    assert offset is not None
    before = disputed_pieces(plane_1, plane_2, 10_000, frame)[0]
    after = without_offset(plane_1, plane_2, offset, frame, 10_000)
    assert sum(p.area_m2 for p in before) > 1e8
    assert after["disputed"]["count"] == 0 and after["max_hausdorff_m"] < 25
    moved_line = {
        **four_banners(18_000, -6_000),
        **{
            k: transform_geometry(shapely.affinity.translate(g, X0 + 18_000, Y0 - 6_000), "EPSG:4546", "EPSG:4490")
            for k, g in {"a": shapely.box(0, 0, 12_000, 10_000), "b": shapely.box(12_000, 0, 20_000, 10_000)}.items()
        },
    }
    plane_1, plane_2, frame = planes(four_banners(), moved_line)
    offset = systematic_offset(plane_1, plane_2, frame)
    assert offset is not None  # most of the boundary still moves by the shift
    left = without_offset(plane_1, plane_2, offset, frame, 10_000)
    assert left["disputed"]["count"] == 1 and left["disputed"]["area_m2"] == pytest.approx(2e7, rel=0.01)


def test_a_constant_shift_of_tens_of_kilometres_is_named() -> None:
    found = offset_between(four_banners(), four_banners(18_000, -6_000))
    assert found is not None and found["share"] >= 0.99
    assert found["vector_m"] == pytest.approx([18_000, -6_000], abs=20)
    assert found["bearing_deg"] == pytest.approx(108.43, abs=0.1)
    assert found["likely_cause"].startswith("an unknown constant shift")


def test_gcj02_declared_as_wgs84_is_recognised() -> None:
    first = four_banners()
    second = {
        k: shapely.transform(g, lambda c: np.column_stack(wgs84_to_gcj02(c[:, 0], c[:, 1]))) for k, g in first.items()
    }
    found = offset_between(first, second)
    assert found is not None and 300 < found["distance_m"] < 800
    assert found["likely_cause"] == "GCJ-02 coordinates declared as WGS84/CGCS2000"


def test_bd09_declared_as_wgs84_is_recognised() -> None:
    first = four_banners()
    second = {k: transform_geometry(g, "EPSG:4490", "BD-09") for k, g in first.items()}  # then read as WGS84
    plane_1, plane_2, frame = planes(first, second)
    found = systematic_offset(plane_1, plane_2, frame)
    assert found is not None and 700 < found["distance_m"] < 1500
    assert found["likely_cause"] == "BD-09 coordinates declared as WGS84/CGCS2000"
    assert without_offset(plane_1, plane_2, found, frame, 10_000)["disputed"]["count"] == 0


def test_a_different_line_on_one_border_is_no_shift() -> None:
    """The line between a and b moved 2 km east in the second version: local, not a shift."""
    first = four_banners()
    second = dict(first)
    moved = {
        "a": shapely.box(0, 0, 12_000, 10_000),
        "b": shapely.box(12_000, 0, 20_000, 10_000),
    }
    for k, g in moved.items():
        second[k] = transform_geometry(shapely.affinity.translate(g, X0, Y0), "EPSG:4546", "EPSG:4490")
    assert offset_between(first, second) is None
    assert offset_between(first, first) is None
