"""Topology checks: exact cases on hand-made fixtures, the real Ordos outline against its banners, the API
(roles, GeoJSON, bad input) and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import shape
from sqlalchemy import Engine, text

from boundaries.checks.metric import frame_for
from boundaries.checks.service import get_check, run_topology_check
from boundaries.checks.topology import Tolerances, analyse
from boundaries.polygons import service
from core.crs import transform_geometry
from core.database import transaction
from core.errors import InvalidInput, NotFound
from core.geodesy import geodesic_area_m2
from tests.boundary_fixtures import VALID_FROM, X0, Y0, add_polygon, add_units, box
from tests.factories import api_key

PROJECT = Path(__file__).resolve().parents[2]
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
        narrow = run_topology_check(conn, parent="9902", level="county", gap_width_m=0.05, actor="test")
    found = kinds(result)
    assert found["sliver"]["count"] == 1 and found["gap"]["count"] == 0 and found["overlap"]["count"] == 0
    assert found["outside_parent"]["count"] == found["uncovered_parent"]["count"] == 0
    sliver = next(f for f in result["findings"] if f["kind"] == "sliver")
    assert sliver["piece"] == "gap"
    assert sliver["area_m2"] == pytest.approx(100, rel=1e-3)
    assert sliver["width_m"] == pytest.approx(0.1, rel=1e-3)
    assert sliver["thinness"] < 0.001
    assert sliver["units"] == ["990201000000", "990202000000", "990203000000"]
    # Only gaps narrower than 5 cm asked for: the 0.1 m gap is taken for intended, and counted as such.
    assert kinds(narrow)["sliver"]["count"] == 0
    assert narrow["summary"]["wide_gaps"]["count"] == 1


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


def test_plane_measures_agree_with_the_ellipsoid() -> None:
    """Areas and perimeters in the Gauss-Krüger plane, corrected by the scale factor, match the geodesic ones to
    1e-5 for 1 km pieces (holes and multipolygons too), also 2° from the central meridian."""
    for lon in (109.5, 110.0, 111.0, 112.4):
        outer = shapely.box(lon, 39.5, lon + 0.012, 39.509)
        holed = outer.difference(shapely.box(lon + 0.003, 39.503, lon + 0.006, 39.506))
        both = shapely.MultiPolygon([holed, shapely.box(lon + 0.02, 39.5, lon + 0.03, 39.505)])
        lonlat = np.array([holed, both], dtype=object)
        frame = frame_for(lonlat)
        plane = frame.forward(lonlat)
        for geom, area, perimeter in zip(lonlat, frame.area_m2(plane), frame.length_m(plane), strict=True):
            assert area == pytest.approx(geodesic_area_m2(geom), rel=1e-5)
            assert perimeter == pytest.approx(GRS80.geometry_length(geom.boundary), rel=1e-5)


def test_the_frame_is_the_gauss_kruger_zone_of_the_area() -> None:
    ordos = np.array([shapely.box(106.7, 37.6, 111.5, 40.9)], dtype=object)
    assert frame_for(ordos).crs == "EPSG:4545"  # centre 109.1°E: zone 36, CM 108°E
    assert frame_for(np.array([shapely.box(110.9, 39.7, 111.1, 39.8)], dtype=object)).crs == "EPSG:4546"
    assert frame_for(np.array([shapely.box(75, 20, 134, 50)], dtype=object)).gauss_kruger is False


# --- fixtures in metres: exact coordinates in EPSG:4546, converted to EPSG:4490 for input -------------------
def grid_units(picture: str, cell_m: float = 100.0) -> dict[str, shapely.Geometry]:
    """Units drawn as an ASCII grid (one letter per unit, "." for nobody; each character a ``cell_m`` square,
    the first line northernmost), merged per letter with the fixtures' origin at the south-west corner, as
    lon/lat polygons. Shared edges carry the cells' corners as extra collinear vertices."""
    rows = picture.strip().splitlines()
    cells: dict[str, list[shapely.Geometry]] = {}
    for r, row in enumerate(reversed(rows)):
        for c, letter in enumerate(row.strip()):
            if letter != ".":
                x, y = X0 + c * cell_m, Y0 + r * cell_m
                cells.setdefault(letter, []).append(shapely.box(x, y, x + cell_m, y + cell_m))
    merged = {k: shapely.union_all(v) for k, v in sorted(cells.items())}
    return {k: transform_geometry(g, "EPSG:4546", "EPSG:4490") for k, g in merged.items()}


def in_4490(*rings: list[tuple[float, float]]) -> shapely.Geometry:
    """A polygon given in metres from the fixtures' origin (shell, then holes), in lon/lat."""
    shell, *holes = [[(X0 + x, Y0 + y) for x, y in ring] for ring in rings]
    plane = shapely.Polygon(shell, holes)
    return transform_geometry(plane, "EPSG:4546", "EPSG:4490")


def check(units: dict[str, shapely.Geometry], **tolerances: float) -> list:
    return analyse(list(units), list(units.values()), None, Tolerances(**tolerances)).findings


def test_clean_coverage_with_extra_collinear_vertices_has_no_findings() -> None:
    """Nine units from a 100 m grid: every shared edge carries extra vertices on one side only."""
    units = grid_units(
        """
        AAABBBBCC
        AAABBBBCC
        DDDDEEFFF
        DDDDEEFFF
        GGHHHHHII
        """
    )
    # Each unit re-drawn with only its corners: its neighbours keep the 100 m cell vertices on the shared edges.
    simplified = {k: shapely.simplify(g, 0) for k, g in units.items()}
    mixed = {k: (simplified[k] if k in "ACEGI" else units[k]) for k in units}
    assert sum(len(shapely.get_coordinates(g)) for g in mixed.values()) > sum(
        len(shapely.get_coordinates(g)) for g in simplified.values()
    )
    assert check(mixed) == []
    assert check(units) == [] and check(simplified) == []
    # An 11 km shared edge, straight, with a vertex every 10 m on one side only.
    west = in_4490([(0, 0), (5000, 0), (5000, 11_000), (0, 11_000), (0, 0)])
    east_ring = [(5000, 0), (9000, 0), (9000, 11_000), (5000, 11_000)] + [(5000, y) for y in range(10_990, 0, -10)]
    east = in_4490([*east_ring, (5000, 0)])
    assert check({"west": west, "east": east}) == []


def test_three_separate_gaps_are_three_findings() -> None:
    units = grid_units(
        """
        AAAABBBB
        AA.ABB.B
        AAAABBBB
        CCCCDD.D
        CCCCDDDD
        """
    )
    found = check(units)
    assert sorted((f.kind, f.units) for f in found) == [
        ("gap", ("A",)),
        ("gap", ("B",)),
        ("gap", ("B", "D")),
    ]
    assert [f.area_m2 for f in found] == pytest.approx([10_000] * 3, rel=1e-3)


def test_an_overlap_of_three_units_names_all_three() -> None:
    """Three 1 km squares meeting over a 200 m square where all three overlap (and three two-unit overlaps)."""
    a = in_4490([(0, 0), (1000, 0), (1000, 1000), (0, 1000), (0, 0)])
    b = in_4490([(800, 0), (1800, 0), (1800, 1000), (800, 1000), (800, 0)])
    c = in_4490([(800, 800), (1800, 800), (1800, 1800), (800, 1800), (800, 800)])
    found = check({"a": a, "b": b, "c": c})
    overlaps = {f.units: f.area_m2 for f in found if f.kind == "overlap"}
    assert overlaps == pytest.approx(
        {("a", "b", "c"): 200 * 200, ("a", "b"): 200 * 800, ("b", "c"): 800 * 200}, rel=1e-3
    )
    assert {f.kind for f in found} == {"overlap"}


def test_areas_within_a_thousandth_of_the_exact_figure() -> None:
    """A 1 km x 0.5 km overlap 60 km east of the central meridian of EPSG:4546 (scale factor 1.00004)."""
    west = in_4490([(60_000, 0), (61_000, 0), (61_000, 1000), (60_000, 1000), (60_000, 0)])
    east = in_4490([(60_500, 0), (61_500, 0), (61_500, 1000), (60_500, 1000), (60_500, 0)])
    (overlap,) = check({"w": west, "e": east})
    exact = geodesic_area_m2(shapely.intersection(west, east))
    assert overlap.area_m2 == pytest.approx(exact, rel=1e-5)
    assert overlap.area_m2 == pytest.approx(500_000, rel=1e-3)


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


def test_api_runs_stores_and_serves_a_check(api: httpx.Client, ordos_engine: Engine) -> None:
    inspector = api_key(ordos_engine, "insp", "inspector")
    created = api.post("/api/v1/boundaries/checks", headers=inspector, json={"parent": "150600", "level": "county"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["parent"]["name"] == "鄂尔多斯市" and body["created_by"] == "insp"
    served = api.get(f"/api/v1/boundaries/checks/{body['id']}", params={"kind": "outside_parent", "limit": 5})
    assert served.status_code == 200
    assert [f["kind"] for f in served.json()["findings"]] == ["outside_parent"] * 5
    listed = api.get("/api/v1/boundaries/checks").json()  # what the viewer and the office pick a check from
    assert [c["id"] for c in listed] == [body["id"]] and listed[0]["by_kind"] == body["summary"]["by_kind"]
    assert listed[0]["parent_code"] == "150600000000" and listed[0]["source"] == body["source"]
    assert api.get("/api/v1/boundaries/checks", params={"limit": 0}).status_code == 422
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
    editor = api_key(ordos_engine, "ed", "editor")
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
        response = api.post("/api/v1/boundaries/checks", headers=api_key(ordos_engine, role, role), json=body)
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


# --- invalid rings, with and without a parent -------------------------------------------------------------
SQUARE = [(0, 0), (1000, 0), (1000, 1000), (0, 1000), (0, 0)]
# rings (metres from the fixtures' origin), what the finding says; the ring touching itself at (500, 0) is valid
# once in lon/lat (the touch is then a few nanometres off), invalid within 1 cm.
INVALID_RINGS = {
    "self-crossing ring": (
        ([(0, 0), (1000, 1000), (1000, 0), (0, 1000), (0, 0)],),
        "Self-intersection; repaired on import, area 0.0 m² -> 500,000.0 m²",
    ),
    "hole outside its shell": (
        (SQUARE, [(1200, 200), (1400, 200), (1400, 400), (1200, 400), (1200, 200)]),
        "Hole lies outside shell; repaired on import, area 960,000.0 m² -> 1,040,000.0 m²",
    ),
    "ring touching itself": (
        ([(0, 0), (1000, 0), (1000, 1000), (500, 0), (0, 1000), (0, 0)],),
        "Ring Self-intersection (within 1 cm)",
    ),
    "hole crossing its shell": (
        (SQUARE, [(800, 200), (1200, 200), (1200, 400), (800, 400), (800, 200)]),
        "Self-intersection; repaired on import",
    ),
}


@pytest.mark.parametrize(("rings", "detail"), INVALID_RINGS.values(), ids=INVALID_RINGS.keys())
@pytest.mark.parametrize("with_parent", [False, True], ids=["no-parent", "parent"])
def test_every_invalid_ring_is_a_finding(
    engine: Engine, tmp_path: Path, rings: tuple, detail: str, with_parent: bool
) -> None:
    """Registered with on_invalid=repair beside a clean neighbour: one `invalid` finding naming the unit, its
    reason and the area the repair changed, whether or not the parent has a polygon."""
    with transaction(engine) as conn:
        add_units(conn, tmp_path, "9905", ["990501", "990502"])
        add_polygon(conn, "990501", [[[X0 + x, Y0 + y] for x, y in ring] for ring in rings], on_invalid="repair")
        add_polygon(conn, "990502", [box(5000, 0, 6000, 1000)])
        if with_parent:
            add_polygon(conn, "990500", [box(-2000, -2000, 7000, 3000)])
        result = run_topology_check(conn, parent="9905", level="county", actor="test")
    invalid = [f for f in result["findings"] if f["kind"] == "invalid"]
    assert [f["units"] for f in invalid] == [["990501000000"]], result["findings"]
    assert invalid[0]["detail"].startswith(detail)


@pytest.mark.parametrize(("gap_width_m", "reported"), [(20.5, True), (19.5, False)])
def test_gaps_narrower_than_the_gap_width_are_reported(gap_width_m: float, reported: bool) -> None:
    """A 20 m wide, 1 km long gap between two units (width: the largest inscribed circle's diameter)."""
    west = in_4490([(0, 0), (1000, 0), (1000, 1000), (0, 1000), (0, 0)])
    east = in_4490([(1020, 0), (2000, 0), (2000, 1000), (1020, 1000), (1020, 0)])
    frame = in_4490(
        [(-100, -100), (2100, -100), (2100, 1100), (-100, 1100), (-100, -100)],
        [(0, 0), (0, 1000), (1000, 1000), (1020, 1000), (2000, 1000), (2000, 0), (1020, 0), (1000, 0), (0, 0)],
    )
    result = analyse(["w", "e", "f"], [west, east, frame], None, Tolerances(gap_width_m=gap_width_m))
    gaps = [f for f in result.findings if f.piece == "gap"]
    assert len(gaps) == int(reported) and result.wide_gaps == int(not reported)
    if reported:
        assert gaps[0].kind == "gap" and gaps[0].units == ("e", "f", "w")
        assert gaps[0].width_m == pytest.approx(20, rel=1e-3)
        assert gaps[0].area_m2 == pytest.approx(20_000, rel=1e-3)


def test_a_piece_across_a_shared_edge_is_split_per_unit() -> None:
    """C overlaps both A and B across their shared edge, and A and C stick out of the parent across it: one
    finding per unit with its own area, summing exactly to the piece."""
    a = in_4490([(0, 0), (1000, 0), (1000, 1000), (0, 1000), (0, 0)])
    b = in_4490([(1000, 0), (2000, 0), (2000, 1000), (1000, 1000), (1000, 0)])
    c = in_4490([(600, 900), (1300, 900), (1300, 1500), (600, 1500), (600, 900)])
    parent = in_4490([(0, 0), (2000, 0), (2000, 1200), (0, 1200), (0, 0)])
    found = analyse(["a", "b", "c"], [a, b, c], parent, Tolerances()).findings
    overlaps = {f.units: f.area_m2 for f in found if f.kind == "overlap"}
    assert overlaps == pytest.approx({("a", "c"): 400 * 100, ("b", "c"): 300 * 100}, rel=1e-3)
    spill = {f.units: f.area_m2 for f in found if f.kind == "outside_parent"}
    assert spill == pytest.approx({("c",): 700 * 300}, rel=1e-3)
    a_wide = in_4490([(0, 0), (1000, 0), (1000, 1300), (0, 1300), (0, 0)])
    b_wide = in_4490([(1000, 0), (2000, 0), (2000, 1300), (1000, 1300), (1000, 0)])
    found = analyse(["a", "b"], [a_wide, b_wide], parent, Tolerances()).findings
    spill = {f.units: f.area_m2 for f in found if f.kind == "outside_parent"}
    assert spill == pytest.approx({("a",): 1000 * 100, ("b",): 1000 * 100}, rel=1e-3)
    assert sum(area or 0.0 for area in spill.values()) == pytest.approx(2000 * 100, rel=1e-6)


def test_spill_across_a_shared_edge_is_booked_to_each_unit(engine: Engine, tmp_path: Path) -> None:
    """Two units sticking 100 m out of their parent across their shared edge: each unit is booked its own
    100,000 m², and the gap-free parent books nothing else."""
    with transaction(engine) as conn:
        add_units(conn, tmp_path, "9906", ["990601", "990602"])
        add_polygon(conn, "990600", [box(0, 0, 2000, 1000)])
        add_polygon(conn, "990601", [box(0, 0, 1000, 1100)])
        add_polygon(conn, "990602", [box(1000, 0, 2000, 1100)])
        result = run_topology_check(conn, parent="9906", level="county", actor="test")
    assert result["summary"]["by_unit"] == {
        "990601000000": {"outside_parent": pytest.approx(100_000, rel=1e-4)},
        "990602000000": {"outside_parent": pytest.approx(100_000, rel=1e-4)},
    }
    assert kinds(result)["outside_parent"]["count"] == 2
    assert result["summary"]["metric_crs"] == "CGCS2000 / 3-degree Gauss-Kruger CM 111E"
