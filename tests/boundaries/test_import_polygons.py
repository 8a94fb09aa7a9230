"""Polygon importer on a real PostGIS: vendor GCJ-02 GeoJSON, GeoPackage, Shapefile, CRS rules, invalid
geometries (refused or repaired), bad features, registered-polygon periods and idempotent re-import.

Hand-made fixtures are small squares near Dongsheng (东胜区, ~110.0E 39.8N) written by each test into
``tmp_path``; they stand for township polygons, which no public source has for Ordos.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, mapping
from sqlalchemy import Engine, text

from boundaries.polygons import queries
from boundaries.polygons.reading import file_crs_name, read_layer
from boundaries.polygons.service import import_polygons
from boundaries.units.service import get_unit, import_divisions
from core.crs import gcj02_to_wgs84, transform_geometry
from core.database import transaction
from core.errors import Conflict, InvalidInput
from core.imports import ImportReport

AMAP = "ordos/boundaries/ordos_banners_amap2020_gcj02.geojson"
AMAP_FIRST_VERTEX = (109.975603, 39.654282)  # first vertex of 东胜区 (150602) in the file, GCJ-02
JIAOTONG, LINYIN, JIANSHE = "150602001000", "150602003000", "150602004000"  # townships of 东胜区
DAY = date(2024, 1, 1)


# --- helpers ---------------------------------------------------------------------------------------
def square(lon: float = 109.97, lat: float = 39.81, size: float = 0.01) -> Polygon:
    """A small lon/lat square with its south-west corner at (lon, lat)."""
    return Polygon([(lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size)])


BOW_TIE = Polygon([(109.97, 39.81), (109.99, 39.83), (109.99, 39.81), (109.97, 39.83)])  # crosses at 109.98 39.82


def write_geojson(tmp_path: Path, features: list[tuple[Any, Any]], name: str = "fixture_polygons.geojson") -> Path:
    """A GeoJSON FeatureCollection without a crs member; geometry given as shapely, a dict, or None."""
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"adcode": code},
                "geometry": geom if geom is None or isinstance(geom, dict) else mapping(geom),
            }
            for code, geom in features
        ],
    }
    path = tmp_path / name
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


def write_layer(tmp_path: Path, name: str, features: list[tuple[str, Any]], crs: str | None) -> Path:
    """A GeoPackage or Shapefile (by ``name``'s suffix) written with geopandas."""
    gdf = gpd.GeoDataFrame({"adcode": [code for code, _ in features]}, geometry=[geom for _, geom in features], crs=crs)
    path = tmp_path / name
    gdf.to_file(path, engine="pyogrio")
    return path


def run_import(engine: Engine, path: Path, **options: Any) -> ImportReport:
    """Import a polygon file in one transaction (defaults: a registered fixture source from 2024-01-01)."""
    settings: dict[str, Any] = {"source": "fixture", "status": "registered", "valid_from": DAY}
    settings.update(options)
    with transaction(engine) as conn:
        return import_polygons(conn, path, **settings)


def table_state(engine: Engine) -> tuple[int, int, int]:
    """(unit_polygon rows, max unit_polygon id, audit_log rows): equal before/after = nothing written."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM unit_polygon), (SELECT coalesce(max(id), 0) FROM unit_polygon),"
                " (SELECT count(*) FROM audit_log)"
            )
        ).one()
    return (row[0], row[1], row[2])


def stored(engine: Engine, code: str, source: str = "fixture") -> dict[str, Any]:
    """The stored polygon of a unit from one source, with its geometry as shapely."""
    with engine.connect() as conn:
        row = (
            conn.execute(
                text(
                    "SELECT status, valid_from, valid_to, repair_note, ST_SRID(geom) AS srid,"
                    " ST_IsValid(geom) AS valid, ST_AsBinary(geom) AS wkb,"
                    " ST_AsBinary(original_geom) AS original_wkb FROM unit_polygon"
                    " WHERE unit_code = :code AND source = :source"
                ),
                {"code": code, "source": source},
            )
            .mappings()
            .one()
        )
    result = dict(row)
    result["geom"] = shapely.from_wkb(row["wkb"])
    result["original"] = None if row["original_wkb"] is None else shapely.from_wkb(row["original_wkb"])
    return result


@pytest.fixture
def divisions_engine(engine: Engine, data_root: Path) -> Engine:
    """A fresh database with the Ordos division codes and no polygon."""
    with transaction(engine) as conn:
        import_divisions(conn, data_root / "ordos/codes/ordos_divisions_nbs2023.csv", valid_from=date(2023, 6, 30))
    return engine


# --- the AMap vendor file --------------------------------------------------------------------------
def test_amap_banners_load_as_registered_in_cgcs2000(divisions_engine: Engine, data_root: Path) -> None:
    """The 9 GCJ-02 banners load as registered; a known vertex is stored at its exact GCJ-02 -> WGS84 position."""
    report = run_import(
        divisions_engine,
        data_root / AMAP,
        crs="gcj02",
        source="amap-2020",
        valid_from=date(2020, 6, 3),
        on_invalid="repair",
    )

    assert (report.read, report.inserted, report.rejected) == (9, 9, [])
    assert any("states or implies EPSG:4326; coordinates read as GCJ-02" in note for note in report.notes)
    polygon = stored(divisions_engine, "150602000000", "amap-2020")
    assert (polygon["status"], polygon["srid"], polygon["valid"]) == ("registered", 4490, True)

    first = polygon["geom"].geoms[0].exterior.coords[0]
    lon, lat = gcj02_to_wgs84(*AMAP_FIRST_VERTEX)
    assert first == pytest.approx((float(lon), float(lat)), abs=1e-9)
    assert abs(first[0] - AMAP_FIRST_VERTEX[0]) + abs(first[1] - AMAP_FIRST_VERTEX[1]) > 1e-3  # it was shifted

    with transaction(divisions_engine) as conn:
        kangbashi = get_unit(conn, "150603")
    assert kangbashi["polygon"]["source"] == "amap-2020"
    assert 300 < kangbashi["polygon"]["area_km2"] < 400  # 康巴什区 is about 370 km²


def test_geojson_without_crs_member_is_read_as_wgs84(divisions_engine: Engine, tmp_path: Path) -> None:
    """RFC 7946: a GeoJSON file without a crs member states WGS84; read so, and the report says so."""
    path = write_geojson(tmp_path, [(JIAOTONG, square())])
    assert file_crs_name(read_layer(path)) == "EPSG:4326"

    report = run_import(divisions_engine, path)

    assert report.inserted == 1
    assert any("coordinates read as EPSG:4326, the CRS the file states or implies" in n for n in report.notes)
    assert stored(divisions_engine, JIAOTONG)["geom"].equals(square())  # no shift applied


# --- GeoPackage and Shapefile ----------------------------------------------------------------------
def test_geopackage_with_its_crs_loads(divisions_engine: Engine, tmp_path: Path) -> None:
    """A GeoPackage stating EPSG:4490 needs no --crs; two townships are stored unchanged."""
    path = write_layer(tmp_path, "fixture_townships.gpkg", [(JIAOTONG, square()), (LINYIN, square(110.0))], "EPSG:4490")

    report = run_import(divisions_engine, path)

    assert (report.read, report.inserted) == (2, 2)
    assert stored(divisions_engine, LINYIN)["geom"].equals(square(110.0))


def test_shapefile_in_gauss_kruger_is_converted(divisions_engine: Engine, tmp_path: Path) -> None:
    """A Shapefile in EPSG:4545 (CGCS2000 GK, CM 108E, metres) is converted back to lon/lat."""
    metres = transform_geometry(square(), "EPSG:4490", "EPSG:4545")
    path = write_layer(tmp_path, "fixture_townships_gk.shp", [(JIAOTONG, metres)], "EPSG:4545")
    assert file_crs_name(read_layer(path)) == "EPSG:4545"

    run_import(divisions_engine, path)

    geom = stored(divisions_engine, JIAOTONG)["geom"]
    assert geom.geoms[0].exterior.coords[0] == pytest.approx((109.97, 39.81), abs=1e-8)


def test_shapefile_without_prj_needs_a_crs(divisions_engine: Engine, tmp_path: Path) -> None:
    """A Shapefile whose .prj is gone states no CRS: refused without --crs, loaded with it."""
    path = write_layer(tmp_path, "fixture_townships_noprj.shp", [(JIAOTONG, square())], "EPSG:4490")
    path.with_suffix(".prj").unlink()
    assert file_crs_name(read_layer(path)) is None

    with pytest.raises(InvalidInput, match="the file states no CRS: give the source CRS"):
        run_import(divisions_engine, path)
    assert table_state(divisions_engine)[0] == 0

    report = run_import(divisions_engine, path, crs="EPSG:4490")
    assert report.inserted == 1


def test_a_file_crs_outside_the_accepted_ones_is_refused(divisions_engine: Engine, tmp_path: Path) -> None:
    """A GeoPackage in Web Mercator states a CRS the service does not take: refused with the accepted list."""
    mercator = gpd.GeoSeries([square()], crs="EPSG:4490").to_crs("EPSG:3857").iloc[0]
    path = write_layer(tmp_path, "fixture_mercator.gpkg", [(JIAOTONG, mercator)], "EPSG:3857")
    with pytest.raises(InvalidInput) as info:
        run_import(divisions_engine, path)
    assert "EPSG:3857" in info.value.detail and "GCJ-02" in info.value.detail
    assert table_state(divisions_engine) == (0, 0, 1)  # the divisions import's audit row only


def test_unknown_crs_name_is_refused(divisions_engine: Engine, tmp_path: Path) -> None:
    """--crs foo is refused, listing the accepted names."""
    path = write_geojson(tmp_path, [(JIAOTONG, square())])
    with pytest.raises(InvalidInput) as info:
        run_import(divisions_engine, path, crs="foo")
    for name in ("EPSG:4490", "EPSG:4326", "EPSG:4545", "EPSG:4546", "GCJ-02", "BD-09"):
        assert name in info.value.detail


# --- invalid geometries ----------------------------------------------------------------------------
def test_self_intersecting_polygon_is_refused_by_default(divisions_engine: Engine, tmp_path: Path) -> None:
    """A bow-tie is refused with the reason and the crossing point; nothing is written."""
    path = write_geojson(tmp_path, [(JIAOTONG, square(110.0)), (LINYIN, BOW_TIE)], "fixture_bowtie.geojson")
    before = table_state(divisions_engine)

    with pytest.raises(InvalidInput) as info:
        run_import(divisions_engine, path, crs="EPSG:4490")

    assert f"row 2: unit {LINYIN}: invalid geometry: Self-intersection[109.98 39.82]" in info.value.detail
    assert table_state(divisions_engine) == before


def test_self_intersecting_polygon_is_repaired_on_request(divisions_engine: Engine, tmp_path: Path) -> None:
    """on_invalid=repair stores a valid polygon, keeps the original and notes the repair."""
    path = write_geojson(tmp_path, [(LINYIN, BOW_TIE)], "fixture_bowtie.geojson")

    report = run_import(divisions_engine, path, crs="EPSG:4490", on_invalid="repair")

    polygon = stored(divisions_engine, LINYIN)
    assert polygon["valid"] is True and len(polygon["geom"].geoms) == 2  # two triangles
    assert polygon["original"].equals(BOW_TIE)
    assert polygon["repair_note"].startswith("Self-intersection[109.98 39.82]")
    assert [n for n in report.notes if n.startswith(f"repaired {LINYIN}: Self-intersection")]


def test_polygon_with_z_is_stored_flat(divisions_engine: Engine, tmp_path: Path) -> None:
    """Elevations in the file are dropped: the column is 2-D."""
    flat = square()
    with_z = {"type": "Polygon", "coordinates": [[[x, y, 1250.0] for x, y in flat.exterior.coords]]}
    run_import(divisions_engine, write_geojson(tmp_path, [(JIAOTONG, with_z)]), crs="EPSG:4490")
    geom = stored(divisions_engine, JIAOTONG)["geom"]
    assert not geom.has_z and geom.equals(flat)


# --- bad features: each refused naming the row, nothing written --------------------------------------
BAD_FEATURES = [
    pytest.param((JIANSHE, {"type": "Polygon", "coordinates": []}), "EPSG:4490", "empty geometry", id="empty"),
    pytest.param((JIANSHE, None), "EPSG:4490", "empty geometry", id="null-geometry"),
    pytest.param(
        (JIANSHE, LineString([(109.97, 39.81), (109.98, 39.82)])),
        "EPSG:4490",
        "geometry type LineString is not a polygon",
        id="linestring",
    ),
    pytest.param((JIANSHE, Point(109.97, 39.81)), "EPSG:4490", "geometry type Point is not a polygon", id="point"),
    pytest.param(("150602999000", square(110.05)), "EPSG:4490", "unit 150602999000 is not a loaded", id="unknown-code"),
    pytest.param(("1506029", square(110.05)), "EPSG:4490", "'1506029' is not valid", id="bad-code"),
    pytest.param((JIAOTONG, square(110.05)), "EPSG:4490", "appears twice in the layer (first as feature 1)", id="dup"),
    pytest.param(
        (JIANSHE, square(110.05)),
        "EPSG:4545",
        "coordinates read as EPSG:4545 land at lon",
        id="lonlat-declared-as-gauss-kruger",
    ),
    pytest.param(
        (JIANSHE, transform_geometry(square(110.05), "EPSG:4490", "EPSG:4545")),
        "EPSG:4326",
        "cannot be read as EPSG:4326",
        id="metres-declared-as-wgs84",
    ),
    pytest.param(
        (JIANSHE, transform_geometry(square(110.05), "EPSG:4490", "EPSG:4545")),
        "GCJ-02",
        "cannot be read as GCJ-02",
        id="metres-declared-as-gcj02",
    ),
    pytest.param((JIANSHE, square(-74.0, 40.7)), "EPSG:4326", "far outside China", id="new-york"),
]


@pytest.mark.parametrize(("feature", "crs", "reason"), BAD_FEATURES)
def test_a_bad_feature_refuses_the_whole_layer(
    divisions_engine: Engine, tmp_path: Path, feature: tuple[str, Any], crs: str, reason: str
) -> None:
    """The second feature is bad: the message says row 2 and why; the good first feature is not written."""
    path = write_geojson(tmp_path, [(JIAOTONG, transform_geometry(square(), "EPSG:4490", crs)), feature])
    before = table_state(divisions_engine)

    with pytest.raises(InvalidInput) as info:
        run_import(divisions_engine, path, crs=crs)

    assert "1 row(s) rejected, nothing written" in info.value.detail
    assert "row 2: " in info.value.detail and reason in info.value.detail
    assert table_state(divisions_engine) == before


def test_rows_are_numbered_as_in_the_file(divisions_engine: Engine, tmp_path: Path) -> None:
    """An unknown code is reported at its own feature number, also after an earlier feature was refused."""
    path = write_geojson(tmp_path, [(JIAOTONG, None), ("150602999000", square(110.05)), (LINYIN, square())])

    report = run_import(divisions_engine, path, crs="EPSG:4490", skip_invalid=True)

    assert [(r.row, r.reason.split(":")[0]) for r in report.rejected] == [
        (1, f"unit {JIAOTONG}"),
        (2, "unit 150602999000 is not a loaded division code"),
    ]
    assert (report.read, report.inserted) == (3, 1)
    assert stored(divisions_engine, LINYIN)["geom"].equals(square())


# --- registered periods ----------------------------------------------------------------------------
def test_a_later_registered_polygon_closes_the_earlier_one(divisions_engine: Engine, tmp_path: Path) -> None:
    """Survey B (2022) replaces survey A (2020) as the registered polygon from its date on."""
    first = write_geojson(tmp_path, [(JIAOTONG, square())], "a.geojson")
    second = write_geojson(tmp_path, [(JIAOTONG, square(109.971))], "b.geojson")
    run_import(divisions_engine, first, crs="EPSG:4490", source="survey-a", valid_from=date(2020, 1, 1))

    report = run_import(divisions_engine, second, crs="EPSG:4490", source="survey-b", valid_from=date(2022, 1, 1))

    assert "1 earlier registered polygon(s) closed on 2022-01-01" in report.notes
    a, b = stored(divisions_engine, JIAOTONG, "survey-a"), stored(divisions_engine, JIAOTONG, "survey-b")
    assert (a["valid_from"], a["valid_to"]) == (date(2020, 1, 1), date(2022, 1, 1))
    assert (b["valid_from"], b["valid_to"]) == (date(2022, 1, 1), None)
    with transaction(divisions_engine) as conn:
        assert queries.registered_polygon(conn, JIAOTONG, date(2021, 12, 31))["source"] == "survey-a"  # type: ignore[index]
        assert queries.registered_polygon(conn, JIAOTONG, date(2022, 1, 1))["source"] == "survey-b"  # type: ignore[index]
        assert get_unit(conn, JIAOTONG)["polygon"]["source"] == "survey-b"


@pytest.mark.parametrize("valid_from", [date(2019, 1, 1), date(2020, 1, 1)], ids=["earlier", "same-day"])
def test_a_registered_polygon_overlapping_an_open_one_is_a_conflict(
    divisions_engine: Engine, tmp_path: Path, valid_from: date
) -> None:
    """A registered polygon from another source starting on/before the open one: Conflict, nothing written."""
    run_import(
        divisions_engine,
        write_geojson(tmp_path, [(JIAOTONG, square())], "a.geojson"),
        crs="EPSG:4490",
        source="survey-a",
        valid_from=date(2020, 1, 1),
    )
    before = table_state(divisions_engine)
    other = write_geojson(tmp_path, [(LINYIN, square(110.0)), (JIAOTONG, square(109.971))], "c.geojson")

    with pytest.raises(Conflict) as info:
        run_import(divisions_engine, other, crs="EPSG:4490", source="survey-c", valid_from=valid_from)

    assert f"{JIAOTONG} survey-a 2020-01-01.." in info.value.detail
    assert table_state(divisions_engine) == before
    assert stored(divisions_engine, JIAOTONG, "survey-a")["valid_to"] is None


def test_a_reference_polygon_may_overlap_the_registered_one(divisions_engine: Engine, tmp_path: Path) -> None:
    """Only registered polygons are exclusive: an older reference polygon from another source is kept beside."""
    run_import(divisions_engine, write_geojson(tmp_path, [(JIAOTONG, square())], "a.geojson"), crs="EPSG:4490")
    report = run_import(
        divisions_engine,
        write_geojson(tmp_path, [(JIAOTONG, square(109.971))], "r.geojson"),
        crs="EPSG:4490",
        source="vendor",
        status="reference",
        valid_from=date(2019, 1, 1),
    )
    assert report.inserted == 1
    assert stored(divisions_engine, JIAOTONG)["valid_to"] is None


# --- idempotence -----------------------------------------------------------------------------------
def test_reimport_of_the_same_file_writes_nothing(ordos_engine: Engine, data_root: Path) -> None:
    """The AMap file again, as the manifest loads it: unchanged equals read; no polygon row touched."""
    before = table_state(ordos_engine)
    report = run_import(
        ordos_engine,
        data_root / AMAP,
        crs="GCJ-02",
        source="amap-2020",
        valid_from=date(2020, 6, 3),
        on_invalid="repair",
    )

    assert (report.read, report.unchanged, report.written) == (9, 9, 0)
    after = table_state(ordos_engine)
    assert after[:2] == before[:2] and after[2] == before[2] + 1
