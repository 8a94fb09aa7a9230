"""Topology checks: exact cases on hand-made fixtures, the real Ordos outline against its banners, the API
(roles, GeoJSON, bad input) and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import shape
from sqlalchemy import Engine, text

from boundaries.checks.service import get_check, run_topology_check
from boundaries.checks.topology import Tolerances, analyse, measure
from boundaries.units import service
from core import auth
from core.crs import geodesic_area_m2, transform_geometry
from core.database import transaction
from core.errors import InvalidInput, NotFound
from tests.boundary_fixtures import VALID_FROM, X0, Y0, add_polygon, add_units, box

PROJECT = Path(__file__).resolve().parent.parent
GRS80 = Geod(ellps="GRS80")


def kinds(result: dict) -> dict[str, dict[str, float]]:
    return result["summary"]["by_kind"]


# --- exact cases on hand-made fixtures --------------------------------------------------------------
def test_two_squares_overlapping_by_a_known_area(engine: Engine, tmp_path: Path) -> None:
    """Two 1 km squares drawn in EPSG:4546 overlapping by a 100 m x 1 km strip: one overlap of 100,000 m²."""
    with transaction(engine) as conn:
        add_units(conn, tmp_path, "9901", ["990101", "990102"])
        add_polygon(conn, "990101", [box(0, 0, 1000, 1000)])
        add_polygon(conn, "990102", [box(900, 0, 1900, 1000)])
        result = run_topology_check(conn, parent="9901", level="county", actor="test")
    found = kinds(result)
    assert found["overlap"]["count"] == 1
    assert found["overlap"]["area_m2"] == pytest.approx(100_000, rel=1e-4)
    assert found["gap"]["count"] == found["sliver"]["count"] == found["invalid"]["count"] == 0
    overlap = next(f for f in result["findings"] if f["kind"] == "overlap")
    assert overlap["units"] == ["990101000000", "990102000000"]
    assert overlap["thinness"] == pytest.approx(4 * 3.14159265 * 100_000 / 2200**2, rel=1e-3)
    assert result["summary"]["parent_polygon_source"] is None  # the hand-made city has no polygon


def test_a_tenth_of_a_metre_gap_is_a_sliver(engine: Engine, tmp_path: Path) -> None:
    """Squares 0.1 m apart, enclosed by a frame unit: a 1 km x 0.1 m gap of 100 m², reported as a sliver."""
    # The frame's hole carries the squares' corners as vertices, as edge-matched data does.
    hole: list[tuple[float, float]] = [
        (0, 0),
        (1000, 0),
        (1000.1, 0),
        (2000, 0),
        (2000, 1000),
        (1000.1, 1000),
        (1000, 1000),
        (0, 1000),
        (0, 0),
    ]
    frame = [box(-100, -100, 2100, 1100), [[X0 + x, Y0 + y] for x, y in reversed(hole)]]
    with transaction(engine) as conn:
        add_units(conn, tmp_path, "9902", ["990201", "990202", "990203"])
        add_polygon(conn, "990201", [box(0, 0, 1000, 1000)])
        add_polygon(conn, "990202", [box(1000.1, 0, 2000, 1000)])
        add_polygon(conn, "990203", frame)
        add_polygon(conn, "990200", [box(-100, -100, 2100, 1100)])
        result = run_topology_check(conn, parent="9902", level="county", sliver_area_m2=1000, actor="test")
        tolerant = run_topology_check(conn, parent="9902", level="county", gap_width_m=0.5, actor="test")
    found = kinds(result)
    assert found["sliver"]["count"] == 1 and found["gap"]["count"] == 0 and found["overlap"]["count"] == 0
    assert found["outside_parent"]["count"] == found["uncovered_parent"]["count"] == 0
    sliver = next(f for f in result["findings"] if f["kind"] == "sliver")
    assert sliver["piece"] == "gap"
    assert sliver["area_m2"] == pytest.approx(100, rel=1e-3)
    assert sliver["width_m"] == pytest.approx(0.1, rel=1e-3)
    assert sliver["thinness"] < 0.001
    assert sliver["units"] == ["990201000000", "990202000000", "990203000000"]
    # With a gap tolerance of 0.5 m the same gap is tolerated, and counted as such.
    assert kinds(tolerant)["sliver"]["count"] == 0
    assert tolerant["summary"]["tolerated_gaps"]["count"] == 1


def test_a_self_crossing_ring_is_reported_with_its_location(engine: Engine, tmp_path: Path) -> None:
    """A bow tie registered with on_invalid=repair: the check reports the original's self-intersection."""
    bow_tie = [
        [[500_000, 4_400_000], [501_000, 4_401_000], [501_000, 4_400_000], [500_000, 4_401_000], [500_000, 4_400_000]]
    ]
    with transaction(engine) as conn:
        add_units(conn, tmp_path, "9903", ["990301", "990302"])
        service.add_polygon(
            conn,
            "990301",
            geometry={"type": "Polygon", "coordinates": bow_tie},
            crs="EPSG:4546",
            source="fixture",
            status="registered",
            valid_from=VALID_FROM,
            on_invalid="repair",
            actor="test",
        )
        add_polygon(conn, "990302", [box(5000, 0, 6000, 1000)])
        result = run_topology_check(conn, parent="9903", level="county", actor="test")
    invalid = [f for f in result["findings"] if f["kind"] == "invalid"]
    assert len(invalid) == 1
    assert invalid[0]["units"] == ["990301000000"] and "Self-intersection" in invalid[0]["detail"]
    crossing = transform_geometry(shapely.Point(500_500, 4_400_500), "EPSG:4546", "EPSG:4490")
    assert shapely.Point(invalid[0]["point"]).distance(crossing) < 1e-6


def test_spill_and_uncovered_parent_on_a_hand_made_parent(engine: Engine, tmp_path: Path) -> None:
    """A child sticking 100 m out of its parent, and a 200 m strip of the parent left to nobody."""
    with transaction(engine) as conn:
        add_units(conn, tmp_path, "9904", ["990401"])
        add_polygon(conn, "990400", [box(0, 0, 1000, 1000)])
        add_polygon(conn, "990401", [box(0, 0, 1100, 800)])
        result = run_topology_check(conn, parent="9904", level="county", actor="test")
    found = kinds(result)
    assert found["outside_parent"]["area_m2"] == pytest.approx(100 * 800, rel=1e-4)
    assert found["uncovered_parent"]["area_m2"] == pytest.approx(1000 * 200, rel=1e-4)
    assert result["summary"]["by_unit"]["990401000000"]["outside_parent"] == pytest.approx(80_000, rel=1e-4)


def test_pure_analysis_without_a_database() -> None:
    """Three squares sharing edges exactly: no findings; a hole in the middle is a gap with its neighbours."""
    squares = [shapely.box(110 + i / 64, 40, 110 + (i + 1) / 64, 40 + 1 / 64) for i in range(3)]  # exact binary
    assert analyse(["a", "b", "c"], squares, None, Tolerances()).findings == []
    holed = [shapely.box(110.0, 40.0, 110.03, 40.03).difference(shapely.box(110.01, 40.01, 110.02, 40.02))]
    result = analyse(["a"], holed, None, Tolerances())
    assert [f.kind for f in result.findings] == ["gap"] and result.findings[0].units == ("a",)
    hole = shapely.box(110.01, 40.01, 110.02, 40.02)
    assert result.findings[0].area_m2 == pytest.approx(geodesic_area_m2(hole), rel=1e-4)


def test_local_measures_agree_with_the_ellipsoid() -> None:
    """The local-plane area of a 1 km piece matches the geodesic area to 1e-4."""
    piece = shapely.Polygon([(109.5, 39.5), (109.512, 39.5), (109.51, 39.509), (109.5, 39.508)])
    measured = measure(shapely.from_wkb([piece.wkb]))
    assert measured.area_m2[0] == pytest.approx(geodesic_area_m2(piece), rel=1e-4)


def test_bulk_measures_of_holes_and_multipolygons() -> None:
    """Area less the holes, perimeter of every ring, for polygons and multipolygons alike (1 km pieces)."""
    outer = shapely.box(109.5, 39.5, 109.512, 39.509)
    holed = outer.difference(shapely.box(109.503, 39.503, 109.506, 39.506))
    both = shapely.MultiPolygon([holed, shapely.box(109.52, 39.5, 109.53, 39.505)])
    measured = measure(shapely.from_wkb([holed.wkb, both.wkb]))
    for geom, area, perimeter in zip((holed, both), measured.area_m2, measured.perimeter_m, strict=True):
        assert area == pytest.approx(geodesic_area_m2(geom), rel=1e-4)
        assert perimeter == pytest.approx(GRS80.geometry_length(geom.boundary), rel=1e-4)  # holes' rings too
    assert measured.area_m2[1] > measured.area_m2[0] > 0


# --- the real Ordos data ---------------------------------------------------------------------------
def vendor_union(data_root: Path, relative: str) -> shapely.Geometry:
    features = json.loads((data_root / relative).read_text(encoding="utf-8"))["features"]
    geoms = [shapely.make_valid(shape(f["geometry"])) for f in features]
    return transform_geometry(shapely.union_all(geoms), "GCJ-02", "EPSG:4490")


def test_ordos_outline_against_its_banners(shared_ordos_engine: Engine, data_root: Path) -> None:
    """The DataV city outline and the union of the 9 AMap banners disagree by ~200 km² each way; the check's
    totals match an independent shapely + pyproj computation from the vendor files."""
    banners = vendor_union(data_root, "ordos/boundaries/ordos_banners_amap2020_gcj02.geojson")
    outline = vendor_union(data_root, "ordos/boundaries/ordos_outline_datav_gcj02.geojson")
    spill = abs(GRS80.geometry_area_perimeter(banners.difference(outline))[0])
    uncovered_and_holes = abs(GRS80.geometry_area_perimeter(outline.difference(banners))[0])
    with transaction(shared_ordos_engine) as conn:
        result = run_topology_check(conn, parent="150600", level="county", actor="test")
        conn.rollback()
    found = kinds(result)
    assert found["outside_parent"]["area_m2"] == pytest.approx(spill, rel=0.005)
    inside = found["uncovered_parent"]["area_m2"] + found["gap"]["area_m2"] + found["sliver"]["area_m2"]
    assert inside == pytest.approx(uncovered_and_holes, rel=0.005)
    assert 100e6 < found["outside_parent"]["area_m2"] < 400e6
    assert 100e6 < found["uncovered_parent"]["area_m2"] < 400e6
    assert found["overlap"]["count"] == 0
    assert set(result["summary"]["by_unit"]) <= {f"15062{i}000000" for i in range(1, 8)} | {"150602000000"}
    assert all(len(f["point"]) == 2 for f in result["findings"])


# --- API -----------------------------------------------------------------------------------------
def key(engine: Engine, name: str, role: str) -> dict[str, str]:
    with transaction(engine) as conn:
        return {"X-API-Key": auth.create_user(conn, name, role)}


def test_api_runs_stores_and_serves_a_check(api: httpx.Client, ordos_engine: Engine) -> None:
    inspector = key(ordos_engine, "insp", "inspector")
    created = api.post("/api/v1/boundaries/checks", headers=inspector, json={"parent": "150600", "level": "county"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["parent"]["name"] == "鄂尔多斯市" and body["created_by"] == "insp"
    served = api.get(f"/api/v1/boundaries/checks/{body['id']}", params={"kind": "outside_parent", "limit": 5})
    assert served.status_code == 200
    assert [f["kind"] for f in served.json()["findings"]] == ["outside_parent"] * 5
    geojson = api.get(f"/api/v1/boundaries/checks/{body['id']}/findings.geojson", params={"kind": "uncovered_parent"})
    features = geojson.json()["features"]
    assert len(features) == body["summary"]["by_kind"]["uncovered_parent"]["count"]
    total = sum(abs(GRS80.geometry_area_perimeter(shape(f["geometry"]))[0]) for f in features)
    assert total == pytest.approx(body["summary"]["by_kind"]["uncovered_parent"]["area_m2"], rel=1e-3)
    with ordos_engine.connect() as conn:
        audited = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE object_type = 'boundary_check' AND actor = 'insp'")
        ).scalar_one()
    assert audited == 1


@pytest.mark.parametrize(
    ("change", "status", "needle"),
    [
        ({"parent": "159999"}, 404, "159999000000"),
        ({"parent": "15060X"}, 422, "15060X"),
        ({"level": "hamlet"}, 422, "hamlet"),
        ({"level": "city"}, 422, "not below"),
        ({"parent": "150602001001", "level": "village"}, 422, "not below"),
        ({"level": "township"}, 422, "has a polygon"),
        ({"source": "nobody-2030"}, 422, "nobody-2030"),
        ({"gap_width_m": -1}, 422, "gap_width_m"),
        ({"gap_width_m": 1e9}, 422, "gap_width_m"),
        ({"sliver_area_m2": -5}, 422, "sliver_area_m2"),
        ({"sliver_area_m2": 1e12}, 422, "sliver_area_m2"),
        ({"as_of": "2023-02-30"}, 422, "2023-02-30"),
    ],
)
def test_bad_check_requests_write_nothing(
    api: httpx.Client, ordos_engine: Engine, change: dict, status: int, needle: str
) -> None:
    editor = key(ordos_engine, "ed", "editor")
    body = {"parent": "150600", "level": "county", **change}
    response = api.post("/api/v1/boundaries/checks", headers=editor, json=body)
    assert response.status_code == status, response.text
    assert needle in response.json()["detail"]
    with ordos_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM boundary_check")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM boundary_finding")).scalar_one() == 0


def test_parent_without_units_of_the_level(engine: Engine, tmp_path: Path) -> None:
    with transaction(engine) as conn:
        add_units(conn, tmp_path, "9905", [])
        with pytest.raises(InvalidInput, match="has no units of level county"):
            run_topology_check(conn, parent="9905", level="county", actor="test")


def test_check_reads_refuse_unknown_ids_and_kinds(ordos_api: httpx.Client) -> None:
    missing = ordos_api.get("/api/v1/boundaries/checks/987654")
    assert missing.status_code == 404 and "987654" in missing.json()["detail"]
    assert ordos_api.get("/api/v1/boundaries/checks/987654/findings.geojson").status_code == 404
    assert ordos_api.get("/api/v1/boundaries/checks/abc").status_code == 422


def test_unknown_kind_is_refused(engine: Engine, tmp_path: Path) -> None:
    with transaction(engine) as conn:
        add_units(conn, tmp_path, "9906", ["990601"])
        add_polygon(conn, "990601", [box(0, 0, 10, 10)])
        check = run_topology_check(conn, parent="9906", level="county", actor="test")
        with pytest.raises(InvalidInput, match="'holes'"):
            get_check(conn, check["id"], kind="holes")
        with pytest.raises(NotFound):
            get_check(conn, check["id"] + 1000)


def test_roles_on_the_check_route(api: httpx.Client, ordos_engine: Engine) -> None:
    body = {"parent": "150600", "level": "county"}
    assert api.post("/api/v1/boundaries/checks", json=body).status_code == 401
    for role in ("editor", "approver", "inspector", "admin"):
        response = api.post("/api/v1/boundaries/checks", headers=key(ordos_engine, role, role), json=body)
        assert response.status_code == 201, (role, response.text)


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


def test_cli_check_topology(ordos_engine: Engine) -> None:
    done = gaz(ordos_engine, "check", "topology", "--parent", "150600", "--level", "county", "--show", "3")
    assert done.returncode == 0, done.stderr
    assert "鄂尔多斯市" in done.stdout and "outside_parent" in done.stdout and "uncovered_parent" in done.stdout
    bad = gaz(ordos_engine, "check", "topology", "--parent", "150600", "--level", "county", "--gap-width-m", "-3")
    assert bad.returncode == 2 and "gap_width_m -3.0" in bad.stderr
    with ordos_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM boundary_check")).scalar_one() == 1
