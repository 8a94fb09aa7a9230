"""Boundary lines derived from polygons, markers imported from CSV, and /boundaries/at: hand-made fixtures for
exact lengths, the real Ordos banners for coverage of each unit's perimeter, the API and bad input."""

from __future__ import annotations

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

from boundaries.lines import service as lines
from core.crs import transform_point
from core.database import transaction
from core.errors import InvalidInput
from core.geodesy import geodesic_length_m
from tests.boundary_fixtures import add_polygon, add_units, box
from tests.factories import role_key

GRS80 = Geod(ellps="GRS80")
HEADER = "number,unit_a,unit_b,type,x,y,crs,description"


def test_two_squares_share_one_line(engine: Engine, tmp_path: Path) -> None:
    """Two 1 km squares side by side: one shared line of 1 km, and an outer line of 3 km for each."""
    with transaction(engine) as conn:
        add_units(conn, tmp_path, "9921", ["992101", "992102"])
        add_polygon(conn, "992101", [box(0, 0, 1000, 1000)])
        add_polygon(conn, "992102", [box(1000, 0, 2000, 1000)])
        first = lines.derive_lines(conn, parent="9921", level="county", actor="test")
        found = {line["line_key"]: line for line in lines.list_lines(conn)}
        shared = found["992101000000|992102000000"]
        lines.set_agreement(conn, shared["id"], "鄂勘协〔2026〕1号", actor="test")
        again = lines.derive_lines(conn, parent="9921", level="county", actor="test")
        kept = lines.get_line(conn, shared["id"])
    assert (first["lines"], first["inserted"]) == (3, 3)
    assert shared["kind"] == "shared" and shared["units"] == ["992101000000", "992102000000"]
    assert shared["length_km"] == pytest.approx(1.0, abs=0.001)
    assert found["992101000000|outer"]["length_km"] == pytest.approx(3.0, abs=0.002)
    assert found["992102000000|outer"]["kind"] == "outer"
    assert (again["inserted"], again["updated"]) == (0, 3)
    assert kept["agreement_ref"] == "鄂勘协〔2026〕1号"


def test_each_banner_lines_add_up_to_its_perimeter(shared_ordos_engine: Engine) -> None:
    """On the real AMap banners the lines of a unit (shared + outer) add up to its polygon's perimeter."""
    with transaction(shared_ordos_engine) as conn:
        result = lines.derive_lines(conn, parent="150600", level="county", actor="test")
        by_unit = {code: lines.list_lines(conn, unit=code, with_geometry=False) for code in ("150603", "150621")}
        perimeters = {
            code: geodesic_length_m(shapely.from_wkb(row.wkb)) / 1000
            for code, row in (
                (
                    c,
                    conn.execute(
                        text(
                            "SELECT ST_AsBinary(geom) AS wkb FROM unit_polygon"
                            " WHERE unit_code = :c AND status = 'registered'"
                        ),
                        {"c": c.ljust(12, "0")},
                    ).one(),
                )
                for c in ("150603", "150621")
            )
        }
        conn.rollback()
    assert result["lines"] >= 15 + 7  # at least 15 shared lines, an outer line for each banner on the city's edge
    for code, found in by_unit.items():
        assert sum(line["length_km"] for line in found) == pytest.approx(perimeters[code], rel=0.005)
    assert {tuple(line["units"]) for line in by_unit["150603"]} >= {
        ("150602000000", "150603000000"),
        ("150603000000", "150627000000"),
    }


def markers_csv(points: list[tuple[float, float]]) -> str:
    """Three markers on the 东胜区–康巴什区 line: one in EPSG:4490, one in GCJ-02, one in EPSG:4546 metres."""
    (lon1, lat1), (lon2, lat2), (lon3, lat3) = points
    gx, gy = transform_point(lon2, lat2, "EPSG:4490", "GCJ-02")
    ex, ey = transform_point(lon3, lat3, "EPSG:4490", "EPSG:4546")
    return "\n".join(
        [
            HEADER,
            f"150602-150603-001,150602,150603,single,{lon1:.9f},{lat1:.9f},EPSG:4490,路边水泥桩",
            f"150602-150603-002,150603,150602,paired,{gx:.9f},{gy:.9f},GCJ-02,",
            f"150602-150603-003,150602,150603,triple,{ex:.4f},{ey:.4f},EPSG:4546,山脊",
        ]
    )


def points_on_line(api: httpx.Client) -> tuple[int, list[tuple[float, float]]]:
    shared = [
        li for li in api.get("/api/v1/boundaries/lines", params={"unit": "150603"}).json() if li["kind"] == "shared"
    ]
    line = next(li for li in shared if li["units"] == ["150602000000", "150603000000"])
    geom = shapely.line_merge(shape(line["geometry"]))
    part = max(shapely.get_parts(geom), key=lambda g: g.length)
    return line["id"], [(p.x, p.y) for p in (part.interpolate(f, normalized=True) for f in (0.2, 0.5, 0.8))]


def test_markers_import_list_detail_and_at(api: httpx.Client, ordos_engine: Engine) -> None:
    editor = role_key(ordos_engine)
    derived = api.post("/api/v1/boundaries/lines/derive", headers=editor, json={"parent": "150600", "level": "county"})
    assert derived.status_code == 201, derived.text
    line_id, points = points_on_line(api)
    body = markers_csv(points).encode()
    url = "/api/v1/boundaries/markers/import"
    imported = api.post(url, headers=editor, params={"name": "markers.csv"}, content=body)
    assert imported.status_code == 200, imported.text
    assert (imported.json()["inserted"], imported.json()["rejected_count"]) == (3, 0)
    again = api.post(url, headers=editor, params={"name": "markers.csv"}, content=body).json()
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 3)
    listed = api.get("/api/v1/boundaries/markers", params={"line": line_id}).json()
    assert [m["number"] for m in listed] == ["150602-150603-001", "150602-150603-002", "150602-150603-003"]
    gcj = listed[1]
    assert gcj["agreed"]["crs"] == "GCJ-02" and gcj["type"] == "paired"
    assert GRS80.inv(gcj["lon"], gcj["lat"], *points[1])[2] < 0.01  # the GCJ-02 position converted back exactly
    detail = api.get(f"/api/v1/boundaries/markers/{listed[2]['id']}").json()
    assert detail["description"] == "山脊" and detail["line_key"] == "150602000000|150603000000"
    assert len(api.get(f"/api/v1/boundaries/lines/{line_id}").json()["markers"]) == 3
    # /at on the first marker: on the line (under a metre), inside one of the two banners.
    lon, lat = points[0]
    at = api.get("/api/v1/boundaries/at", params={"lon": lon, "lat": lat, "crs": "EPSG:4490"}).json()
    assert at["nearest_line"]["id"] == line_id and at["nearest_line"]["distance_m"] < 1
    assert at["in_dispute"] is False
    # A point inside 康巴什区: its distance to the nearest line, measured independently on the ellipsoid.
    inside = api.get("/api/v1/boundaries/at", params={"lon": 109.78, "lat": 39.61, "crs": "EPSG:4326"}).json()
    assert [u["code"] for u in inside["units"]][:1] == ["150603000000"]
    every_line = shapely.union_all([shape(li["geometry"]) for li in api.get("/api/v1/boundaries/lines").json()])
    vertices = shapely.get_coordinates(shapely.segmentize(every_line, 0.00005))  # every ~5 m
    distances = GRS80.inv(
        np.full(len(vertices), 109.78), np.full(len(vertices), 39.61), vertices[:, 0], vertices[:, 1]
    )[2]
    assert inside["nearest_line"]["distance_m"] == pytest.approx(distances.min(), abs=5.0)


def test_a_point_in_a_disputed_piece_is_in_dispute(api: httpx.Client, ordos_engine: Engine) -> None:
    editor = role_key(ordos_engine)
    compared = api.post(
        "/api/v1/boundaries/compare",
        headers=editor,
        json={"parent": "150600", "level": "county", "second": "datav-2021"},
    ).json()
    lon, lat = compared["pieces"][0]["point"]
    at = api.get("/api/v1/boundaries/at", params={"lon": lon, "lat": lat, "crs": "EPSG:4490"}).json()
    assert at["in_dispute"] is True
    assert at["disputed_pieces"][0]["comparison_id"] == compared["id"]


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("M-9,150602,150603,single,109.0,39.0,EPSG:4490,", "m from line"),
        ("M-9,150603,150624,single,109.9,39.8,EPSG:4490,", "no boundary line"),
        ("M-9,150602,150603,round,109.9,39.8,EPSG:4490,", "'round'"),
        ("M-9,150602,150603,single,109.9,39.8,EPSG:3857,", "EPSG:3857"),
        ("M-9,150602,150603,single,39.8,109.9,EPSG:4490,", "swapped"),
        ("M-9,150602,150603,single,abc,39.8,EPSG:4490,", "'abc'"),
        ("M-9,150602,150602,single,109.9,39.8,EPSG:4490,", "same unit"),
        (",150602,150603,single,109.9,39.8,EPSG:4490,", "marker number"),
        ("M-9,1506X2,150603,single,109.9,39.8,EPSG:4490,", "1506X2"),
        ("150602-150603-001,150602,150603,single,109.9,39.8,EPSG:4490,", "appears twice"),
    ],
)
def test_a_bad_marker_row_rejects_the_whole_file(
    api: httpx.Client, ordos_engine: Engine, line: str, needle: str
) -> None:
    editor = role_key(ordos_engine)
    api.post("/api/v1/boundaries/lines/derive", headers=editor, json={"parent": "150600", "level": "county"})
    _, points = points_on_line(api)
    body = (markers_csv(points) + "\n" + line).encode()
    response = api.post("/api/v1/boundaries/markers/import", headers=editor, params={"name": "m.csv"}, content=body)
    assert response.status_code == 422, response.text
    assert needle in response.json()["detail"] and "row 4" in response.json()["detail"]
    with ordos_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM boundary_marker")).scalar_one() == 0


def test_bad_line_and_point_requests(api: httpx.Client, ordos_engine: Engine) -> None:
    editor = role_key(ordos_engine)
    derive = "/api/v1/boundaries/lines/derive"
    assert api.post(derive, json={"parent": "150600", "level": "county"}).status_code == 401
    assert (
        api.post(
            derive, headers=role_key(ordos_engine, "inspector"), json={"parent": "150600", "level": "county"}
        ).status_code
        == 403
    )
    bad = api.post(derive, headers=editor, json={"parent": "150600", "level": "township"})
    assert bad.status_code == 422 and "registered polygon" in bad.json()["detail"]
    assert api.post(derive, headers=editor, json={"parent": "159999", "level": "county"}).status_code == 404
    assert api.get("/api/v1/boundaries/lines/777777").status_code == 404
    assert api.get("/api/v1/boundaries/markers/777777").status_code == 404
    assert (
        api.put("/api/v1/boundaries/lines/777777/agreement", headers=editor, json={"agreement_ref": "x"}).status_code
        == 404
    )
    assert api.get("/api/v1/boundaries/lines", params={"unit": "15060"}).status_code == 422
    at = api.get("/api/v1/boundaries/at", params={"lon": 109.78, "lat": 95, "crs": "EPSG:4326"})
    assert at.status_code == 422 and "95" in at.json()["detail"]
    assert api.get("/api/v1/boundaries/at", params={"lon": 109.78, "lat": 39.6, "crs": "EPSG:9999"}).status_code == 422
    upload = api.post("/api/v1/boundaries/markers/import", headers=editor, params={"name": "../x.csv"}, content=b"")
    assert upload.status_code == 422
    missing = api.post(
        "/api/v1/boundaries/markers/import", headers=editor, params={"name": "m.csv"}, content=b"number,x\nM-1,1\n"
    )
    assert missing.status_code == 422 and "missing column" in missing.json()["detail"]


def test_blank_agreement_reference_is_refused(engine: Engine, tmp_path: Path) -> None:
    with transaction(engine) as conn:
        add_units(conn, tmp_path, "9922", ["992201"])
        add_polygon(conn, "992201", [box(0, 0, 100, 100)])
        lines.derive_lines(conn, parent="9922", level="county", actor="test")
        (line,) = lines.list_lines(conn)
        with pytest.raises(InvalidInput, match="non-blank"):
            lines.set_agreement(conn, line["id"], "  ", actor="test")


def test_cli_derives_lines_and_imports_markers(ordos_engine: Engine, tmp_path: Path) -> None:
    env = {**os.environ, "GAZ_DATABASE_URL": ordos_engine.url.render_as_string(hide_password=False)}
    gaz = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "gaz")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([gaz, *args], env=env, capture_output=True, text=True, timeout=300, check=False)

    derived = run("lines", "derive", "--parent", "150600", "--level", "county")
    assert derived.returncode == 0, derived.stderr
    assert "150602000000|150603000000 shared" in derived.stdout
    with ordos_engine.connect() as conn:
        wkb = conn.execute(
            text("SELECT ST_AsBinary(geom) FROM boundary_line WHERE line_key = '150602000000|150603000000'")
        ).scalar_one()
    part = max(shapely.get_parts(shapely.line_merge(shapely.from_wkb(wkb))), key=lambda g: g.length)
    points = [(p.x, p.y) for p in (part.interpolate(f, normalized=True) for f in (0.2, 0.5, 0.8))]
    good = tmp_path / "markers.csv"
    good.write_text(markers_csv(points), encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(markers_csv(points) + "\nM-9,150602,150603,single,109.0,39.0,EPSG:4490,\n", encoding="utf-8")
    refused = run("markers", "import", str(bad))
    assert refused.returncode == 2 and "row 4" in refused.stderr and "m from line" in refused.stderr
    with ordos_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM boundary_marker")).scalar_one() == 0
    loaded = run("markers", "import", str(good))
    assert loaded.returncode == 0, loaded.stderr
    assert "read 3, written 3" in loaded.stdout
