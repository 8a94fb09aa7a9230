"""Division-code importer on a real PostGIS: the Ordos and national layouts, versions, and every bad input.

Bad-input files are small hand-made fixtures written by the tests into ``tmp_path`` (real Ordos codes,
one row made wrong), so each test shows the bad value next to what it asserts.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from boundaries.units.service import find_unit, get_children, import_divisions
from core.database import transaction
from core.errors import Conflict, InvalidInput
from core.imports import ImportReport

NBS_2023 = date(2023, 6, 30)
ORDOS_FILE = "ordos/codes/ordos_divisions_nbs2023.csv"
NATIONAL = "national"
ORDOS_HEADER = "code,short_code,name,level,level_name,parent_code,kind_from_name,full_name"
LEVEL_DIGITS = {2: ("1", "province"), 4: ("2", "city"), 6: ("3", "county"), 9: ("4", "township"), 12: ("5", "village")}

# A valid slice of the Ordos file: the city, one banner, one subdistrict and two of its communities.
GOOD_ROWS = [
    ("150600000000", "鄂尔多斯市", "150000000000"),
    ("150602000000", "东胜区", "150600000000"),
    ("150602001000", "交通街道", "150602000000"),
    ("150602001001", "吉劳庆社区", "150602001000"),
    ("150602001002", "锦秀社区", "150602001000"),
]


# --- helpers ---------------------------------------------------------------------------------------
def ordos_line(code: str, name: str, parent: str) -> str:
    """One line of the Ordos layout (level columns filled from the code's significant length)."""
    significant = code.rstrip("0")
    length = next((n for n in (2, 4, 6, 9, 12) if n >= len(significant)), 12)
    level, level_name = LEVEL_DIGITS.get(length, ("5", "village"))
    return f"{code},{code[:length]},{name},{level},{level_name},{parent},,{name}"


def write_ordos_csv(
    tmp_path: Path,
    rows: list[tuple[str, str, str]],
    *,
    name: str = "fixture_divisions.csv",
    header: str = ORDOS_HEADER,
    encoding: str = "utf-8",
) -> Path:
    """A hand-made division file in the Ordos layout."""
    path = tmp_path / name
    path.write_bytes(("\n".join([header, *(ordos_line(*row) for row in rows)]) + "\n").encode(encoding))
    return path


def with_row(index: int, row: tuple[str, str, str]) -> list[tuple[str, str, str]]:
    """GOOD_ROWS with data row ``index`` (1 = first) replaced by ``row``."""
    rows = list(GOOD_ROWS)
    rows[index - 1] = row
    return rows


def run_import(engine: Engine, path: Path, valid_from: date = NBS_2023, **options: object) -> ImportReport:
    """Import a division file in its own transaction."""
    with transaction(engine) as conn:
        return import_divisions(conn, path, valid_from=valid_from, **options)  # type: ignore[arg-type]


def table_state(engine: Engine) -> tuple[int, int, int, int]:
    """(admin_unit rows, max admin_unit id, audit_log rows, max audit id): equal before/after = nothing written."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM admin_unit), (SELECT coalesce(max(id), 0) FROM admin_unit),"
                " (SELECT count(*) FROM audit_log), (SELECT coalesce(max(id), 0) FROM audit_log)"
            )
        ).one()
    return (row[0], row[1], row[2], row[3])


def unit_row(engine: Engine, code: str) -> dict[str, object]:
    """The stored current version of a unit."""
    with engine.connect() as conn:
        row = (
            conn.execute(text("SELECT * FROM admin_unit WHERE code = :code AND valid_to IS NULL"), {"code": code})
            .mappings()
            .one()
        )
    return dict(row)


@pytest.fixture
def ordos_units(engine: Engine, data_root: Path) -> Engine:
    """A fresh database with only the Ordos division file loaded."""
    run_import(engine, data_root / ORDOS_FILE)
    return engine


# --- the Ordos file --------------------------------------------------------------------------------
def test_ordos_file_loads_every_level(engine: Engine, data_root: Path) -> None:
    """1 city, 9 county-level, 88 township-level and 1,011 village-level units, all written once."""
    report = run_import(engine, data_root / ORDOS_FILE)

    assert (report.read, report.inserted, report.updated, report.unchanged, report.rejected) == (1109, 1109, 0, 0, [])
    with engine.connect() as conn:
        levels: dict[str, int] = dict(conn.execute(text("SELECT level, count(*) FROM admin_unit GROUP BY level")).all())
    assert levels == {"city": 1, "county": 9, "township": 88, "village": 1011}


@pytest.mark.parametrize(
    ("code", "name", "kind"),
    [
        ("150600000000", "鄂尔多斯市", "市"),
        ("150602000000", "东胜区", "区"),
        ("150621000000", "达拉特旗", "旗"),
        ("150621200000", "展旦召苏木", "苏木"),
        ("150602001000", "交通街道", "街道"),
        ("150621101210", "龚吉仁村", "村"),
        ("150602100200", "漫赖村委会", "村"),
        ("150621104209", "柴磴嘎查", "嘎查"),
        ("150626100200", "斯布扣嘎查村委员会", "嘎查"),  # was 其他 before the 嘎查村委员会 suffix was known
        ("150602001001", "吉劳庆社区", "社区"),
    ],
)
def test_kind_is_derived_from_the_name(ordos_units: Engine, code: str, name: str, kind: str) -> None:
    """The unit kind comes from the statistical name's ending, per level."""
    row = unit_row(ordos_units, code)
    assert (row["name"], row["kind"]) == (name, kind)


def test_every_ordos_village_gets_a_known_kind(ordos_units: Engine) -> None:
    """No Ordos village falls back to 其他 (the 26 Uxin 嘎查村委员会 rows did)."""
    with ordos_units.connect() as conn:
        kinds: dict[str, int] = dict(
            conn.execute(text("SELECT kind, count(*) FROM admin_unit WHERE level = 'village' GROUP BY kind")).all()
        )
    assert kinds == {"村": 607, "嘎查": 128, "社区": 276}


def test_parent_codes_follow_the_hierarchy(ordos_units: Engine) -> None:
    """Each unit points at the unit one level up; the city points at Inner Mongolia, which is not loaded."""
    assert unit_row(ordos_units, "150602001001")["parent_code"] == "150602001000"
    assert unit_row(ordos_units, "150602001000")["parent_code"] == "150602000000"
    assert unit_row(ordos_units, "150602000000")["parent_code"] == "150600000000"
    assert unit_row(ordos_units, "150600000000")["parent_code"] == "150000000000"
    with ordos_units.connect() as conn:
        orphans = conn.execute(
            text(
                "SELECT count(*) FROM admin_unit c WHERE NOT EXISTS"
                " (SELECT 1 FROM admin_unit p WHERE p.code = c.parent_code)"
            )
        ).scalar_one()
    assert orphans == 1  # only the city: a partial load may reference a parent that is not loaded


def test_reimport_of_the_same_file_writes_nothing(ordos_units: Engine, data_root: Path) -> None:
    """A second import reports 1,109 unchanged and leaves admin_unit as it was (count and max id)."""
    before = table_state(ordos_units)
    report = run_import(ordos_units, data_root / ORDOS_FILE)

    assert (report.read, report.inserted, report.updated, report.unchanged) == (1109, 0, 0, 1109)
    after = table_state(ordos_units)
    assert after[:2] == before[:2]
    assert after[2] == before[2] + 1  # the run itself is audited, once


def test_import_leaves_one_audit_row_per_batch(engine: Engine, data_root: Path) -> None:
    """One audit_log row for the 1,109-row file, naming the file, its checksum and the counts."""
    path = data_root / ORDOS_FILE
    report = run_import(engine, path)

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT actor, action, object_type, object_id, after FROM audit_log")).all()
    assert len(rows) == 1
    actor, action, object_type, object_id, after = rows[0]
    assert (action, object_type, object_id) == ("import", "admin_unit", str(path))
    assert after["source"] == "ordos_divisions_nbs2023.csv"
    assert after["checksum"] == report.checksum and len(after["checksum"]) == 64
    assert (after["read"], after["inserted"], after["rejected_count"]) == (1109, 1109, 0)


# --- national layouts ------------------------------------------------------------------------------
def test_national_provinces_cities_and_areas_load(engine: Engine, data_root: Path) -> None:
    """The three per-level files load in order; grouping rows are stored as grouping nodes.

    Three area rows (东莞市, 中山市, 儋州市) repeat their city's code one level down: they are the city
    itself, reported in the notes and not stored twice.
    """
    provinces = run_import(engine, data_root / NATIONAL / "china_provinces_nbs2023.csv")
    cities = run_import(engine, data_root / NATIONAL / "china_cities_nbs2023.csv")
    areas = run_import(engine, data_root / NATIONAL / "china_areas_nbs2023.csv")

    assert (provinces.read, provinces.inserted, provinces.rejected) == (31, 31, [])
    assert (cities.read, cities.inserted, cities.rejected) == (342, 342, [])
    assert (areas.read, areas.inserted, areas.rejected) == (2978, 2975, [])
    assert any("441900 东莞市" in note for note in areas.notes)

    with engine.connect() as conn:
        grouping = conn.execute(
            text("SELECT code, name, level, kind FROM admin_unit WHERE is_grouping ORDER BY code")
        ).all()
    names = {row.name for row in grouping}
    assert names == {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
    assert len(grouping) == 9 and {row.level for row in grouping} == {"city"}
    assert ("110100000000", "市辖区") in {(row.code, row.name) for row in grouping}
    assert unit_row(engine, "110100000000")["kind"] == "统计分组"
    assert unit_row(engine, "110000000000")["is_grouping"] is False

    with transaction(engine) as conn:
        children = get_children(conn, "11")
        hainan_direct = get_children(conn, "46")
    assert "东城区" in {c["name"] for c in children}  # 北京市 -> (市辖区) -> 东城区
    assert "市辖区" not in {c["name"] for c in children}
    assert "五指山市" in {c["name"] for c in hainan_direct}  # under 省直辖县级行政区划 4690


def test_national_streets_gz_is_read_directly(engine: Engine, data_root: Path) -> None:
    """The gzipped township-level file (41,352 rows) loads without unpacking; 金门县 repeats its county."""
    report = run_import(engine, data_root / NATIONAL / "china_streets_nbs2023.csv.gz")

    assert (report.read, report.inserted, report.rejected) == (41352, 41351, [])
    assert any("350527000 金门县" in note for note in report.notes)
    with engine.connect() as conn:
        levels: dict[str, int] = dict(conn.execute(text("SELECT level, count(*) FROM admin_unit GROUP BY level")).all())
    assert levels == {"township": 41351}
    row = unit_row(engine, "110101001000")
    assert (row["name"], row["parent_code"], row["kind"]) == ("东华门街道", "110101000000", "街道")


# --- versions --------------------------------------------------------------------------------------
def test_a_later_rename_closes_the_old_version(ordos_units: Engine, tmp_path: Path) -> None:
    """A changed name valid from a later date closes the open version that day; both stay findable."""
    renamed = write_ordos_csv(tmp_path, [("150602001000", "交通新街道", "150602000000")])
    report = run_import(ordos_units, renamed, valid_from=date(2024, 1, 1))

    assert (report.read, report.written, report.unchanged) == (1, 1, 0)
    with transaction(ordos_units) as conn:
        old = find_unit(conn, "150602001", as_of=date(2023, 12, 31))
        new = find_unit(conn, "150602001", as_of=date(2024, 1, 1))
        before_release = find_unit(conn, "150602001", as_of=date(2023, 6, 29))
    assert old is not None and new is not None
    assert (old["name"], old["valid_from"], old["valid_to"]) == ("交通街道", NBS_2023, date(2024, 1, 1))
    assert (new["name"], new["valid_from"], new["valid_to"]) == ("交通新街道", date(2024, 1, 1), None)
    assert before_release is None


def test_an_older_version_that_would_overlap_is_a_conflict(ordos_units: Engine, tmp_path: Path) -> None:
    """A version valid from before the current one would overlap it: Conflict naming the unit, nothing written."""
    older = write_ordos_csv(tmp_path, [("150602001000", "交通旧街道", "150602000000")])
    before = table_state(ordos_units)

    with pytest.raises(Conflict) as info:
        run_import(ordos_units, older, valid_from=date(2020, 1, 1))

    assert "150602001000" in info.value.detail and "2023-06-30" in info.value.detail
    assert table_state(ordos_units) == before
    with transaction(ordos_units) as conn:
        assert find_unit(conn, "150602001000") == {
            "code": "150602001000",
            "name": "交通街道",
            "level": "township",
            "kind": "街道",
            "valid_from": NBS_2023,
            "valid_to": None,
        }


def test_a_change_inside_a_closed_version_is_a_conflict(ordos_units: Engine, tmp_path: Path) -> None:
    """After a rename in 2024, a changed row dated inside the closed 2023 version cannot silently cut it short."""
    run_import(
        ordos_units, write_ordos_csv(tmp_path, [("150602001000", "交通新街道", "150602000000")]), date(2024, 1, 1)
    )
    before = table_state(ordos_units)
    middle = write_ordos_csv(tmp_path, [("150602001000", "交通中街道", "150602000000")], name="middle.csv")

    with pytest.raises(Conflict):
        run_import(ordos_units, middle, valid_from=date(2023, 9, 1))
    assert table_state(ordos_units) == before


# --- bad input: one bad row, nothing written -------------------------------------------------------
BAD_ROWS = [
    pytest.param(3, ("1506020", "交通街道", "150602000000"), "'1506020'", id="7-digit-code"),
    pytest.param(4, ("15060200100A", "吉劳庆社区", "150602001000"), "'15060200100A'", id="non-digit-code"),
    pytest.param(4, ("150602001001", "吉劳庆社区", "150603001000"), "150603001000", id="parent-not-matching"),
    pytest.param(5, ("150602001001", "锦秀社区", "150602001000"), "150602001001", id="duplicate-code"),
    pytest.param(2, ("150602000000", "", "150600000000"), "150602000000: name is empty", id="empty-name"),
    pytest.param(2, ("150602000000", "东胜\t区", "150600000000"), "control characters", id="control-character"),
    pytest.param(3, ("150602001000", "交通街道", "15060200"), "'15060200'", id="bad-parent-code"),
]


@pytest.mark.parametrize(("row_number", "bad_row", "named"), BAD_ROWS)
def test_a_bad_row_refuses_the_whole_file(
    engine: Engine, tmp_path: Path, row_number: int, bad_row: tuple[str, str, str], named: str
) -> None:
    """The message names the bad value and its row; nothing reaches admin_unit or audit_log."""
    path = write_ordos_csv(tmp_path, with_row(row_number, bad_row))
    before = table_state(engine)

    with pytest.raises(InvalidInput) as info:
        run_import(engine, path)

    message = info.value.detail
    assert f"row {row_number}: " in message
    assert named in message
    assert "1 row(s) rejected, nothing written" in message
    assert info.value.extra["rejected"][0]["row"] == row_number
    assert table_state(engine) == before


def test_duplicate_code_names_both_rows(engine: Engine, tmp_path: Path) -> None:
    """The second occurrence is refused and the message points at the first."""
    path = write_ordos_csv(tmp_path, [*GOOD_ROWS, GOOD_ROWS[1]])
    with pytest.raises(InvalidInput) as info:
        run_import(engine, path)
    assert "row 6: code 150602000000 (东胜区) appears twice (first at row 2)" in info.value.detail


def test_every_rejected_row_is_listed(engine: Engine, tmp_path: Path) -> None:
    """Validation covers the whole file: three bad rows are listed, not only the first."""
    rows = [*GOOD_ROWS]
    rows[1] = ("1506020", "东胜区", "150600000000")
    rows[2] = ("150602001000", "", "150602000000")
    rows[4] = ("15060200100x", "锦秀社区", "150602001000")
    with pytest.raises(InvalidInput) as info:
        run_import(engine, write_ordos_csv(tmp_path, rows))
    assert "3 row(s) rejected" in info.value.detail
    assert [r["row"] for r in info.value.extra["rejected"]] == [2, 3, 5]
    assert table_state(engine) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        pytest.param(ORDOS_HEADER.replace("parent_code", "parent"), "parent_code", id="ordos-without-parent_code"),
        pytest.param(ORDOS_HEADER.replace(",name,", ",名称,"), "name", id="without-name"),
        pytest.param(ORDOS_HEADER.replace("code,short", "adcode,short"), "code", id="without-code"),
    ],
)
def test_a_missing_column_is_refused(engine: Engine, tmp_path: Path, header: str, missing: str) -> None:
    """A file without a required column is refused as a whole, the message naming the column."""
    path = write_ordos_csv(tmp_path, GOOD_ROWS, header=header)
    with pytest.raises(InvalidInput) as info:
        run_import(engine, path)
    assert f"missing column(s) {missing}" in info.value.detail
    assert table_state(engine) == (0, 0, 0, 0)


def test_a_national_file_without_its_parent_column_is_refused(engine: Engine, tmp_path: Path) -> None:
    """A cities file that lost provinceCode would look like a province list: its rows are refused, not guessed."""
    path = tmp_path / "fixture_cities_without_parent.csv"
    path.write_text('code,name\n1506,"鄂尔多斯市"\n', encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        run_import(engine, path)
    assert "row 1: code 1506 is a city code, but the file has no parent column" in info.value.detail
    assert table_state(engine) == (0, 0, 0, 0)


def test_gbk_file_without_declared_encoding_is_refused(engine: Engine, tmp_path: Path) -> None:
    """GBK bytes are not UTF-8: refused with the offset/line and a hint to declare --encoding gbk."""
    path = write_ordos_csv(tmp_path, GOOD_ROWS, name="fixture_gbk_divisions.csv", encoding="gbk")
    with pytest.raises(InvalidInput) as info:
        run_import(engine, path)
    message = info.value.detail
    assert "fixture_gbk_divisions.csv: not UTF-8" in message
    assert "line 2" in message  # the first Chinese name
    assert "GBK" in message and "--encoding gbk" in message
    assert table_state(engine) == (0, 0, 0, 0)


def test_gbk_file_with_declared_encoding_is_accepted(engine: Engine, tmp_path: Path) -> None:
    """The same GBK file, declared, loads with the names decoded correctly."""
    path = write_ordos_csv(tmp_path, GOOD_ROWS, name="fixture_gbk_divisions.csv", encoding="gbk")
    report = run_import(engine, path, encoding="gbk")

    assert (report.read, report.inserted) == (5, 5)
    assert unit_row(engine, "150602001000")["name"] == "交通街道"
    assert unit_row(engine, "150602001001")["name"] == "吉劳庆社区"


def test_unknown_encoding_is_refused(engine: Engine, tmp_path: Path) -> None:
    """A misspelt encoding name is an input error, not a crash."""
    with pytest.raises(InvalidInput, match="unknown encoding 'gbkk'"):
        run_import(engine, write_ordos_csv(tmp_path, GOOD_ROWS), encoding="gbkk")


def test_missing_file_is_refused(engine: Engine, tmp_path: Path) -> None:
    """A path that does not exist is named in the message."""
    missing = tmp_path / "no_such_divisions.csv"
    with pytest.raises(InvalidInput) as info:
        run_import(engine, missing)
    assert info.value.detail == f"file not found: {missing}"
    assert table_state(engine) == (0, 0, 0, 0)


# --- skip_invalid ----------------------------------------------------------------------------------
def test_skip_invalid_writes_the_valid_rows_and_lists_the_rest(engine: Engine, tmp_path: Path) -> None:
    """With skip_invalid the three good rows are written together; the two bad ones are reported."""
    rows = [*GOOD_ROWS]
    rows[1] = ("1506020", "东胜区", "150600000000")
    rows[3] = ("150602001001", "", "150602001000")
    report = run_import(engine, write_ordos_csv(tmp_path, rows), skip_invalid=True)

    assert (report.read, report.inserted, report.unchanged) == (5, 3, 0)
    assert [(r.row, "1506020" in r.reason or "name is empty" in r.reason) for r in report.rejected] == [
        (2, True),
        (4, True),
    ]
    assert "rejected 2" in report.summary()
    with engine.connect() as conn:
        codes = conn.execute(text("SELECT code FROM admin_unit ORDER BY code")).scalars().all()
        audits = conn.execute(text("SELECT after FROM audit_log")).scalars().all()
    assert codes == ["150600000000", "150602001000", "150602001002"]
    assert len(audits) == 1 and audits[0]["rejected_count"] == 2
