"""Imported hazard layers (issue 17, point 2): a hand-made fixture layer of polygons (not real mining areas or
permits) placed on one section of the 东胜区–康巴什区 line moves that section's score; GeoJSON, GeoPackage and a zipped
Shapefile in their CRS are read alike; a re-import replaces the layer, a delete removes it, both audited; bad input
is refused with a clear 4xx and nothing written; ``gaz boundaries`` runs the screening and the import."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import geopandas as gpd
import httpx
import pytest
import shapely
from sqlalchemy import Engine, create_engine, text

from app.replay import replay_log
from core import audit
from core.settings import HazardSettings
from tests.conftest import LiveServer, create_database, drop_database, server_config
from tests.factories import api_key, gaz

URL = "/api/v1/boundaries/hazards"
LAYERS = "/api/v1/boundaries/hazard-layers"
LINE = "150602000000|150603000000"
TARGET = 3
AS_OF = "2026-11-30"


def screen(api: httpx.Client) -> dict[str, Any]:
    response = api.get(URL, params={"unit": "150603", "as_of": AS_OF})
    assert response.status_code == 200, response.text
    return response.json()


def section(result: dict[str, Any], number: int = TARGET) -> dict[str, Any]:
    return next(s for s in result["sections"] if s["line_key"] == LINE and s["section"] == number)


def ring(lon: float, lat: float, half: float) -> list[list[float]]:
    corners = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half]]
    return [*corners, corners[0]]


def layer(*features: tuple[str, dict[str, Any]]) -> bytes:
    """A GeoJSON FeatureCollection (lon/lat, no crs member) of (label, geometry) pairs."""
    collection = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"name": n}, "geometry": g} for n, g in features],
    }
    return json.dumps(collection, ensure_ascii=False).encode()


def polygon(lon: float, lat: float, half: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring(lon, lat, half)]}


def upload(api: httpx.Client, editor: dict[str, str], content: bytes, **params: str) -> httpx.Response:
    return api.post(f"{LAYERS}/import", headers=editor, params={"kind": "mining", **params}, content=content)


def stored(engine: Engine) -> tuple[int, int, int]:
    """Layers, polygons and audit rows of hazard layers in the database."""
    with engine.connect() as conn:
        return (
            conn.execute(text("SELECT count(*) FROM hazard_layer")).scalar_one(),
            conn.execute(text("SELECT count(*) FROM hazard_area")).scalar_one(),
            conn.execute(text("SELECT count(*) FROM audit_log WHERE object_type = 'hazard_layer'")).scalar_one(),
        )


@pytest.fixture
def derived(api: httpx.Client, ordos_engine: Engine) -> dict[str, str]:
    """The county lines derived from the registered banners; an editor's key."""
    editor = api_key(ordos_engine)
    response = api.post("/api/v1/boundaries/lines/derive", headers=editor, json={"parent": "150600", "level": "county"})
    assert response.status_code == 201, response.text
    return editor


def test_an_imported_layer_moves_the_score(api: httpx.Client, ordos_engine: Engine, derived: dict[str, str]) -> None:
    editor = derived
    baseline = screen(api)
    assert section(baseline)["points"] == {"inspection_overdue": 15.0} and baseline["data"]["hazard_areas"] == 0
    assert baseline["weights"]["imported_areas"] == 15.0
    lon, lat = section(baseline)["middle"]
    far_lon, far_lat = section(baseline, TARGET + 6)["middle"]

    # A mining area across the section: 15 points; a permit 300-odd metres off another section: half of them.
    mining = layer(("采矿区甲 (fixture)", polygon(lon, lat, 0.002)), ("采矿区乙 (fixture)", polygon(lon, lat, 0.001)))
    imported = upload(api, editor, mining, name="手工测试采矿权 (fixture)")
    assert imported.status_code == 200, imported.text
    assert imported.json()["inserted"] == 2 and imported.json()["rejected_count"] == 0
    permit = layer(("施工许可 (fixture)", polygon(far_lon, far_lat + 0.0045, 0.0008)))
    imported = upload(api, editor, permit, name="手工测试施工许可 (fixture)", kind="construction_permit")
    assert imported.status_code == 200, imported.text
    result = screen(api)
    target = section(result)
    assert target["points"] == {"imported_areas": 15.0, "inspection_overdue": 15.0}
    assert target["reasons"][0] == (
        "mining layer 《手工测试采矿权 (fixture)》: 采矿区甲 (fixture) crosses the section (+1 more of the layer)"
    )
    off = section(result, TARGET + 6)
    assert off["points"]["imported_areas"] == 7.5
    assert off["reasons"][0].startswith("construction_permit layer 《手工测试施工许可 (fixture)》: 施工许可 (fixture) ")
    assert off["reasons"][0].endswith(" m from the section")
    distance = float(off["reasons"][0].split(" ")[-5].replace(",", ""))
    assert 200 < distance < 500
    assert "imported_areas" not in section(result, TARGET + 20)["points"]
    assert result["data"]["hazard_areas"] == 3
    assert [s["line_key"] for s in result["sections"][:1]] == [LINE]

    # The weight is a setting.
    url = ordos_engine.url.render_as_string(hide_password=False)
    with LiveServer(url, server_config(url, hazards=HazardSettings(hazard_imported_areas=40))) as configured:
        assert section(screen(configured))["points"]["imported_areas"] == 40.0

    # The list; a re-import under the same name replaces the layer (the areas now lie far away); a delete.
    listed = api.get(LAYERS).json()
    assert [(x["name"], x["kind"], x["areas"], x["source_crs"]) for x in listed] == [
        ("手工测试施工许可 (fixture)", "construction_permit", 1, "EPSG:4326"),
        ("手工测试采矿权 (fixture)", "mining", 2, "EPSG:4326"),
    ]
    mining_area = next(x["area_m2"] for x in listed if x["kind"] == "mining")
    assert 0.18e6 < mining_area < 0.20e6  # a 0.004° square at 39.7°N (~0.152 km²) plus a 0.002° one: summed
    again = upload(api, editor, layer(("远处 (fixture)", polygon(107.0, 38.2, 0.001))), name="手工测试采矿权 (fixture)")
    assert again.status_code == 200, again.text
    assert any("replaced layer '手工测试采矿权 (fixture)' (mining, 2 polygon(s))" in n for n in again.json()["notes"])
    assert "imported_areas" not in section(screen(api))["points"]
    deleted = api.delete(f"{LAYERS}/手工测试施工许可 (fixture)", headers=editor)
    assert deleted.status_code == 200 and deleted.json()["areas"] == 1
    assert api.delete(f"{LAYERS}/手工测试施工许可 (fixture)", headers=editor).status_code == 404
    assert api.delete(f"{LAYERS}/手工测试采矿权 (fixture)").status_code == 401
    assert [x["name"] for x in api.get(LAYERS).json()] == ["手工测试采矿权 (fixture)"]
    assert "imported_areas" not in section(screen(api), TARGET + 6)["points"]
    with ordos_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT action, object_id, before IS NOT NULL AS had FROM audit_log WHERE object_type = 'hazard_layer'"
                " ORDER BY id"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("import", "手工测试采矿权 (fixture)", False),
        ("import", "手工测试施工许可 (fixture)", False),
        ("import", "手工测试采矿权 (fixture)", True),
        ("delete", "手工测试施工许可 (fixture)", True),
    ]


def test_geopackage_and_zipped_shapefile_in_their_crs(api: httpx.Client, ordos_engine: Engine, tmp_path: Path) -> None:
    editor = api_key(ordos_engine)
    square = shapely.Polygon(ring(109.9, 39.6, 0.002))
    frame = gpd.GeoDataFrame({"name": ["甲 (fixture)"]}, geometry=[square], crs="EPSG:4490").to_crs("EPSG:4546")
    frame.to_file(tmp_path / "fixture.gpkg", driver="GPKG")
    frame.to_file(tmp_path / "fixture.shp", encoding="utf-8")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in tmp_path.glob("fixture.*"):
            if part.suffix != ".gpkg":
                zipped.write(part, part.name)
    areas = {}
    for file_format, content in (("gpkg", (tmp_path / "fixture.gpkg").read_bytes()), ("shp", archive.getvalue())):
        response = upload(api, editor, content, name=f"fixture-{file_format}", format=file_format)
        assert response.status_code == 200, response.text
        assert any("EPSG:4546" in n for n in response.json()["notes"])
    areas = {x["name"]: x["area_m2"] for x in api.get(LAYERS).json()}
    geojson = upload(api, editor, layer(("甲 (fixture)", polygon(109.9, 39.6, 0.002))), name="fixture-geojson")
    assert geojson.status_code == 200, geojson.text
    reference = next(x["area_m2"] for x in api.get(LAYERS).json() if x["name"] == "fixture-geojson")
    assert areas["fixture-gpkg"] == pytest.approx(reference, rel=1e-6)
    assert areas["fixture-shp"] == pytest.approx(reference, rel=1e-6)


LINE_STRING = {"type": "LineString", "coordinates": [[109.9, 39.6], [109.91, 39.61]]}
OPEN_RING = {"type": "Polygon", "coordinates": [ring(109.9, 39.6, 0.002)[:-1]]}
BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[109.9, 39.6], [109.91, 39.61], [109.91, 39.6], [109.9, 39.61], [109.9, 39.6]]],
}
GOOD = layer(("甲 (fixture)", polygon(109.9, 39.6, 0.002)))
GAUSS_KRUGER = layer(("甲 (fixture)", polygon(37_500_000.0, 4_385_000.0, 100.0)))
BAD_INPUTS: list[tuple[str, bytes, dict[str, str], int, str]] = [
    ("unknown CRS", GOOD, {"crs": "EPSG:99999"}, 422, "EPSG:99999"),
    ("wrong CRS", GAUSS_KRUGER, {"crs": "EPSG:4490"}, 422, "longitude/latitude out of range"),
    ("not a polygon", layer(("线 (fixture)", LINE_STRING)), {}, 422, "LineString is not a polygon"),
    ("unknown kind", GOOD, {"kind": "volcano"}, 422, "kind 'volcano' is not one of mining, construction_permit"),
    ("open ring", layer(("开口 (fixture)", OPEN_RING)), {}, 422, "polygon ring is not closed"),
    ("invalid polygon", layer(("自交 (fixture)", BOW_TIE)), {}, 422, "Self-intersection"),
    ("no features", layer(), {}, 422, "the layer holds no features"),
    ("not GeoJSON", b"<kml/>", {}, 422, "hazard_layer.geojson"),
    ("unknown format", GOOD, {"format": "kml"}, 422, "'kml'"),
    ("blank name", GOOD, {"name": " "}, 422, "layer name"),
    (
        "too many features",
        layer(*[(f"{i}", polygon(109 + i * 1e-3, 39.6, 1e-4)) for i in range(5001)]),
        {},
        413,
        "5,001 features",
    ),
]


def test_bad_input_is_refused_and_nothing_is_written(api: httpx.Client, ordos_engine: Engine) -> None:
    editor = api_key(ordos_engine)
    for case, content, params, status, named in BAD_INPUTS:
        response = upload(api, editor, content, **{"name": "fixture", **params})
        assert response.status_code == status, (case, response.text)
        assert named in response.json()["detail"], (case, response.json()["detail"])
    assert upload(api, {}, GOOD, name="fixture").status_code == 401
    url = ordos_engine.url.render_as_string(hide_password=False)
    with LiveServer(url, server_config(url, max_upload_bytes=2048)) as small:
        big = layer(*[(f"{i} (fixture)", polygon(109.9, 39.6, 0.002)) for i in range(20)])
        assert len(big) > 2048
        assert upload(small, editor, big, name="fixture").status_code == 413
    assert stored(ordos_engine) == (0, 0, 0)
    mixed = layer(("甲 (fixture)", polygon(109.9, 39.6, 0.002)), ("线 (fixture)", LINE_STRING))
    skipped = upload(api, editor, mixed, name="fixture", skip_invalid="true")
    assert skipped.status_code == 200, skipped.text
    assert (skipped.json()["inserted"], skipped.json()["rejected_count"]) == (1, 1)
    assert stored(ordos_engine) == (1, 1, 1)


def test_the_cli_screens_and_imports(ordos_engine: Engine, tmp_path: Path) -> None:
    derived = gaz(ordos_engine, "lines", "derive", "--parent", "150600", "--level", "county")
    assert derived.returncode == 0, derived.stderr
    fixture = tmp_path / "fixture_mining.geojson"
    fixture.write_bytes(layer(("采矿区 (fixture)", polygon(109.9, 39.6, 0.002))))
    imported = gaz(
        ordos_engine, "boundaries", "hazard-layers", "import", fixture, "--kind", "mining", "--name", "cli-fixture"
    )
    assert imported.returncode == 0, imported.stderr
    assert "inserted 1" in imported.stdout
    listed = gaz(ordos_engine, "boundaries", "hazard-layers", "list")
    assert listed.returncode == 0 and "cli-fixture" in listed.stdout and "mining" in listed.stdout

    out = tmp_path / "hazards.csv"
    run = gaz(ordos_engine, "boundaries", "hazards", "--unit", "150603", "--as-of", AS_OF, "--format", "csv", "-o", out)
    assert run.returncode == 0, run.stderr
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["rank", "line_key", "units"] and "imported_areas" in rows[0] and len(rows) > 50
    top = gaz(ordos_engine, "boundaries", "hazards", "--unit", "150603", "--as-of", AS_OF)
    assert top.returncode == 0, top.stderr
    assert json.loads(top.stdout)["sections"][0]["rank"] == 1

    for args, named in (
        (("boundaries", "hazards", "--section-m", "5"), "section_m 5"),
        (("boundaries", "hazards", "--unit", "999999"), "999999"),
        (("boundaries", "hazards", "--as-of", "2026-02-30"), "2026-02-30"),
        (("boundaries", "hazards", "-o", tmp_path / "nope" / "x.csv"), "does not exist"),
        (("boundaries", "hazard-layers", "import", fixture, "--kind", "volcano", "--name", "x"), "volcano"),
        (
            ("boundaries", "hazard-layers", "import", tmp_path / "missing.geojson", "--kind", "mining", "--name", "x"),
            "file not found",
        ),
        (
            ("boundaries", "hazard-layers", "import", fixture, "--kind", "mining", "--name", "x", "--crs", "EPSG:1"),
            "EPSG:1",
        ),
        (("boundaries", "hazard-layers", "delete", "--name", "nope"), "nope"),
    ):
        refused = gaz(ordos_engine, *args)
        assert refused.returncode == 2, (args, refused.stdout, refused.stderr)
        assert named in refused.stderr, (args, refused.stderr)
    bad_format = gaz(ordos_engine, "boundaries", "hazards", "--format", "xml")
    assert bad_format.returncode == 2 and "xml" in bad_format.stderr
    deleted = gaz(ordos_engine, "boundaries", "hazard-layers", "delete", "--name", "cli-fixture")
    assert deleted.returncode == 0, deleted.stderr
    assert stored(ordos_engine)[:2] == (0, 0)


def test_the_audit_log_replays_an_import(engine: Engine, template_db: str, tmp_path: Path) -> None:
    """An import's archived input re-run from the audit log rebuilds the same layer in a database restored to the
    state before it."""
    archive = tmp_path / "archive"
    fixture = tmp_path / "fixture_permits.geojson"
    fixture.write_bytes(layer(("许可甲 (fixture)", polygon(109.9, 39.6, 0.002)), ("许可乙 (fixture)", OPEN_RING)))
    with engine.connect() as conn:
        first = audit.last_id(conn) + 1
    options = ("--kind", "construction_permit", "--name", "replayed", "--skip-invalid")
    imported = gaz(
        engine, "boundaries", "hazard-layers", "import", fixture, *options, GAZ_IMPORT_ARCHIVE_DIR=str(archive)
    )
    assert imported.returncode == 0, imported.stderr
    name = f"gaz_replay_{uuid.uuid4().hex[:8]}"
    target = create_engine(create_database(name, template_db))
    try:
        assert replay_log(engine, target, first, archive_dir=archive) == Counter({"import hazard_layer": 1})
        query = text(
            "SELECT l.name, l.kind, a.feature, a.label, ST_AsText(a.geom) FROM hazard_area a"
            " JOIN hazard_layer l ON l.id = a.layer_id ORDER BY a.feature"
        )
        with engine.connect() as logged, target.connect() as rebuilt:
            before, after = logged.execute(query).all(), rebuilt.execute(query).all()
        assert after == before and len(after) == 1
    finally:
        target.dispose()
        drop_database(name)
