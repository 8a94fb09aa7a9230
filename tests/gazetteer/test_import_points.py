"""Point importer on a real PostGIS: the Ordos township and village point files matched to NBS 2023 units,
GCJ-02 conversion, idempotent re-import, and every bad input (nothing written in each case).

Bad-input files are small hand-made CSVs written by the tests into ``tmp_path``.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from boundaries.units.service import import_divisions
from core.crs import ACCEPTED_CRS_NAMES, gcj02_to_wgs84
from core.database import transaction
from core.errors import InvalidInput
from core.imports import ImportReport
from gazetteer.points.service import core_name, import_points

TOWNSHIPS = "ordos/places/ordos_township_points_vonng_adcode.csv"
VILLAGES = "ordos/places/ordos_village_points_vonng_adcode.csv"
# The options the Ordos manifest (data/ordos.toml) uses for the two files.
VONNG = {
    "crs": "GCJ-02",
    "lon_column": "lon",
    "lat_column": "lat",
    "name_column": "name",
    "id_column": "nbs_code_2016",
    "category_column": "category",
    "hint_code_column": "nbs_code_2016",
}
TOWNSHIP_OPTIONS = {**VONNG, "source": "vonng-adcode-township", "code_column": "code_2023"}
VILLAGE_OPTIONS = {**VONNG, "source": "vonng-adcode-village"}

HEADER = "id,name,lon,lat"
GOOD_LINES = ["1,东胜区政府,109.9863,39.8173", "2,康巴什区政府,109.7811,39.6081", "3,达拉特旗政府,110.0406,40.4001"]


# --- helpers ---------------------------------------------------------------------------------------
def write_csv(
    tmp_path: Path, lines: list[str], header: str = HEADER, encoding: str = "utf-8", name: str = "fixture_points.csv"
) -> Path:
    """A hand-made point file."""
    path = tmp_path / name
    path.write_bytes(("\n".join([header, *lines]) + "\n").encode(encoding))
    return path


def with_line(index: int, line: str) -> list[str]:
    """GOOD_LINES with data row ``index`` (1 = first) replaced."""
    lines = list(GOOD_LINES)
    lines[index - 1] = line
    return lines


def run_import(engine: Engine, path: Path, **options: Any) -> ImportReport:
    """Import a point file in one transaction (defaults fit the hand-made fixtures)."""
    settings: dict[str, Any] = {
        "source": "fixture",
        "crs": "EPSG:4326",
        "lon_column": "lon",
        "lat_column": "lat",
        "name_column": "name",
        "id_column": "id",
    }
    settings.update(options)
    with transaction(engine) as conn:
        return import_points(conn, path, **settings)


def table_state(engine: Engine) -> tuple[int, int, int]:
    """(reference_point rows, max id, audit_log rows): equal before/after = nothing written."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM reference_point), (SELECT coalesce(max(id), 0) FROM reference_point),"
                " (SELECT count(*) FROM audit_log)"
            )
        ).one()
    return (row[0], row[1], row[2])


def stored_points(engine: Engine, source: str) -> dict[str, dict[str, Any]]:
    """The points of one source by external id, with the matched unit's current name."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT p.external_id, p.name, p.unit_code, p.unit_level, u.name AS unit_name,"
                " p.properties->>'match' AS method, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat"
                " FROM reference_point p LEFT JOIN admin_unit u ON u.code = p.unit_code AND u.valid_to IS NULL"
                " WHERE p.source = :source"
            ),
            {"source": source},
        ).mappings()
        return {row["external_id"]: dict(row) for row in rows}


def strip_office(name: str) -> str:
    """A township name without 办事处 (交通街道办事处 -> 交通街道)."""
    return name.removesuffix("办事处")


@pytest.fixture
def divisions_engine(engine: Engine, data_root: Path) -> Engine:
    """A fresh database with the Ordos division codes loaded."""
    with transaction(engine) as conn:
        import_divisions(conn, data_root / "ordos/codes/ordos_divisions_nbs2023.csv", valid_from=date(2023, 6, 30))
    return engine


# --- the Ordos point files -------------------------------------------------------------------------
def test_township_points_match_current_codes(divisions_engine: Engine, data_root: Path) -> None:
    """58 of 61 township points match an NBS 2023 township; the file's own match (match_2023) finds 56.

    Every point the file matched lands on the 2023 unit of that name in the banner — not on the file's
    ``code_2023``, which for 41 rows is no NBS 2023 code and for 9 is another township's (乌兰镇/棋盘井镇/蒙西镇
    are rotated). The 2 extra matches are units the file calls not_in_2023 that the NBS 2023 list has.
    """
    path = data_root / TOWNSHIPS
    with path.open(encoding="utf-8") as handle:
        source_rows = {row["nbs_code_2016"]: row for row in csv.DictReader(handle)}
    report = run_import(divisions_engine, path, **TOWNSHIP_OPTIONS)
    points = stored_points(divisions_engine, "vonng-adcode-township")

    assert (report.read, report.inserted, report.rejected) == (61, 61, [])
    matched = {key for key, p in points.items() if p["unit_code"]}
    file_matched = {key for key, row in source_rows.items() if row["match_2023"] not in ("", "not_in_2023")}
    assert (len(matched), len(file_matched)) == (58, 56)
    assert file_matched < matched
    assert len({points[key]["unit_code"] for key in matched}) == 58  # no two points claim one township
    for key in file_matched:
        row, point = source_rows[key], points[key]
        if row["match_2023"] == "code_only_name_differs":  # the file claims a rename NBS 2023 does not have
            assert (point["unit_code"], point["unit_name"]) == ("150625104000", "呼和木独镇")
        else:
            assert point["unit_name"] == row["name_2023"], key
        assert point["unit_level"] == "township"
    assert points["150624100000"]["unit_code"] == "150624100000"  # 乌兰镇 stays 乌兰镇
    assert points["150621001000"]["unit_name"] == "工业街道"  # its code_2023 is 白塔街道's
    unmatched = {p["name"] for p in points.values() if p["unit_code"] is None}
    assert unmatched == {"鄂尔多斯市装备制造基地", "铜川汽车博览园", "鄂尔多斯圣圆煤化工基地"}
    assert any("3 point(s) not matched" in note for note in report.notes)


def test_village_points_match_by_code_where_names_agree_else_by_name(divisions_engine: Engine, data_root: Path) -> None:
    """123 village points keep their 2016 code (same name in 2023), 2 move to the 2023 code of their name in
    the banner, 1 matches nothing and is kept without a unit."""
    report = run_import(divisions_engine, data_root / VILLAGES, **VILLAGE_OPTIONS)
    points = stored_points(divisions_engine, "vonng-adcode-village")

    assert (report.read, report.inserted) == (126, 126)
    methods: dict[str, int] = {}
    for point in points.values():
        methods[point["method"]] = methods.get(point["method"], 0) + 1
    assert methods == {"code": 123, "name_within_county": 2, "unmatched": 1}
    for key, point in points.items():
        if point["method"] == "code":
            assert point["unit_code"] == key and core_name(point["unit_name"]) == core_name(point["name"])
    hala = points["150622104221"]
    assert (hala["name"], hala["unit_code"], hala["unit_name"]) == ("哈拉敖包村委会", "150622104213", "哈拉敖包村委会")
    assert points["150622004200"]["unit_code"] is None and points["150622004200"]["name"] == "长胜店村委会"


def test_gcj02_points_are_stored_in_cgcs2000(divisions_engine: Engine, data_root: Path) -> None:
    """The first township point (交通街道办事处, GCJ-02 109.984653 39.818352) is stored converted exactly."""
    run_import(divisions_engine, data_root / TOWNSHIPS, **TOWNSHIP_OPTIONS)
    point = stored_points(divisions_engine, "vonng-adcode-township")["150602001000"]
    lon, lat = gcj02_to_wgs84(109.984653, 39.818352)
    assert (point["lon"], point["lat"]) == pytest.approx((float(lon), float(lat)), abs=1e-9)
    assert strip_office(point["name"]) == point["unit_name"] == "交通街道"


def test_reimport_of_the_same_file_writes_nothing(ordos_engine: Engine, data_root: Path) -> None:
    """The manifest's village file again: 126 unchanged, no point row touched."""
    before = table_state(ordos_engine)
    report = run_import(ordos_engine, data_root / VILLAGES, **VILLAGE_OPTIONS)
    assert (report.read, report.unchanged, report.written) == (126, 126, 0)
    after = table_state(ordos_engine)
    assert after[:2] == before[:2] and after[2] == before[2] + 1


def test_one_audit_row_per_batch(engine: Engine, tmp_path: Path) -> None:
    """Three points, one audit row naming the file, checksum and counts."""
    path = write_csv(tmp_path, GOOD_LINES)
    report = run_import(engine, path)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT object_type, object_id, after FROM audit_log")).all()
    assert len(rows) == 1
    assert rows[0][:2] == ("reference_point", str(path))
    assert (rows[0][2]["checksum"], rows[0][2]["inserted"]) == (report.checksum, 3)


# --- bad input -------------------------------------------------------------------------------------
BAD_LINES = [
    pytest.param(2, "2,康巴什区政府,abc,39.6081", "lon 'abc' is not a number", id="non-numeric-lon"),
    pytest.param(2, "2,康巴什区政府,,39.6081", "lon '' is not a number", id="empty-lon"),
    pytest.param(3, "3,达拉特旗政府,NaN,40.4001", "nan is not a finite number", id="nan"),
    pytest.param(3, "3,达拉特旗政府,110.0406,inf", "inf is not a finite number", id="infinite"),
    pytest.param(1, "1,东胜区政府,39.8173,109.9863", "latitude 109.9863 is out of range", id="swapped"),
    pytest.param(1, "1,东胜区政府,200.5,39.8173", "longitude 200.5 is out of range", id="lon-out-of-range"),
    pytest.param(2, "2,Manhattan,-74.0,40.7", "far outside China", id="outside-china"),
    pytest.param(
        3, "1,达拉特旗政府,110.0406,40.4001", "id '1' appears twice in the file (first at row 1)", id="dup-id"
    ),
    pytest.param(2, "2,,109.7811,39.6081", "name '' is empty", id="empty-name"),
    pytest.param(2, ",康巴什区政府,109.7811,39.6081", "id is empty", id="empty-id"),
]


@pytest.mark.parametrize(("row_number", "line", "reason"), BAD_LINES)
def test_a_bad_row_refuses_the_whole_file(
    engine: Engine, tmp_path: Path, row_number: int, line: str, reason: str
) -> None:
    """The message names the row and the bad value; no point and no audit row is written."""
    path = write_csv(tmp_path, with_line(row_number, line))
    before = table_state(engine)

    with pytest.raises(InvalidInput) as info:
        run_import(engine, path)

    assert f"row {row_number}: " in info.value.detail and reason in info.value.detail
    assert "1 row(s) rejected, nothing written" in info.value.detail
    assert table_state(engine) == before


def test_swapped_coordinates_get_a_hint(engine: Engine, tmp_path: Path) -> None:
    """A latitude of 109 with a longitude of 39 is called out as probably swapped."""
    with pytest.raises(InvalidInput, match="lon and lat swapped"):
        run_import(engine, write_csv(tmp_path, with_line(1, "1,东胜区政府,39.8173,109.9863")))


def test_missing_lon_column_is_refused(engine: Engine, tmp_path: Path) -> None:
    """A file whose lon column is called something else is refused naming the missing column."""
    path = write_csv(tmp_path, GOOD_LINES, header="id,name,lng,lat")
    with pytest.raises(InvalidInput) as info:
        run_import(engine, path)
    assert "missing column(s) lon" in info.value.detail and "id, name, lng, lat" in info.value.detail
    assert table_state(engine) == (0, 0, 0)


def test_unknown_crs_is_refused_once_with_the_accepted_names(engine: Engine, tmp_path: Path) -> None:
    """--crs WGS84 is refused before any row is read, listing every accepted name (not once per row)."""
    with pytest.raises(InvalidInput) as info:
        run_import(engine, write_csv(tmp_path, GOOD_LINES), crs="WGS84")
    message = info.value.detail
    assert "WGS84" in message and "row" not in message
    assert all(name in message for name in ACCEPTED_CRS_NAMES)
    assert table_state(engine) == (0, 0, 0)


def test_gbk_file_without_declared_encoding_is_refused(engine: Engine, tmp_path: Path) -> None:
    """GBK bytes are refused with a hint to declare the encoding; declared, the names come out right."""
    path = write_csv(tmp_path, GOOD_LINES, encoding="gbk", name="fixture_gbk_points.csv")
    with pytest.raises(InvalidInput) as info:
        run_import(engine, path)
    assert "not UTF-8" in info.value.detail and "GBK" in info.value.detail and "--encoding gbk" in info.value.detail
    assert table_state(engine) == (0, 0, 0)

    report = run_import(engine, path, encoding="gbk")
    assert report.inserted == 3
    assert stored_points(engine, "fixture")["2"]["name"] == "康巴什区政府"


def test_missing_file_is_refused(engine: Engine, tmp_path: Path) -> None:
    """A path that does not exist is named."""
    with pytest.raises(InvalidInput, match="file not found: .*no_points.csv"):
        run_import(engine, tmp_path / "no_points.csv")


def test_skip_invalid_writes_the_valid_points(engine: Engine, tmp_path: Path) -> None:
    """With skip_invalid the good points are written and the NaN row is listed."""
    report = run_import(engine, write_csv(tmp_path, with_line(2, "2,康巴什区政府,nan,39.6")), skip_invalid=True)
    assert (report.inserted, [r.row for r in report.rejected]) == (2, [2])
    assert set(stored_points(engine, "fixture")) == {"1", "3"}
