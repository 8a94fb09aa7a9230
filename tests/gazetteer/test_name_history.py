"""Name history: the Ordos township list across 8 NBS releases replayed as events, as_of lookups, the CLI."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from core.database import transaction
from core.errors import InvalidInput
from gazetteer.places import history, service, unit_names
from gazetteer.search import service as name_search
from tests.factories import gaz

PROJECT = Path(__file__).resolve().parents[2]
GAZ = PROJECT / ".venv" / "bin" / "gaz"
HISTORY = "ordos/codes/ordos_townships_history_nbs.csv"
# Reviewed by hand line by line against the CSV (release-to-release differences).
EXPECTED = Path(__file__).resolve().parents[1] / "fixtures" / "ordos_township_history_events.csv"


def releases(path: Path) -> dict[date, dict[str, str]]:
    out: dict[date, dict[str, str]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            out.setdefault(date.fromisoformat(row["as_of"]), {})[row["code"]] = row["name"]
    return out


def test_replay_gives_the_reviewed_event_list(data_root: Path) -> None:
    _, events = history.replay(releases(data_root / HISTORY))
    with EXPECTED.open(encoding="utf-8") as handle:
        expected = list(csv.DictReader(handle))
    assert [e.as_row() for e in events] == expected


def test_replay_rules_on_a_small_hand_made_list() -> None:
    """Hand-made fixture: a form change, a one-release gap, a recode and a real rename."""
    d1, d2, d3, d4 = date(2020, 1, 1), date(2021, 1, 1), date(2022, 1, 1), date(2023, 1, 1)
    listed = {
        d1: {"150602001": "交通街道办事处", "150602002": "甲镇", "150602400": "某园区", "150602003": "乙镇"},
        d2: {"150602001": "交通街道", "150602400": "某园区", "150602003": "乙镇"},
        d3: {"150602001": "交通街道", "150602002": "甲镇", "150602401": "某园区", "150602003": "丙镇"},
        d4: {"150602001": "交通街道", "150602002": "甲镇", "150602401": "某园区", "150602003": "丙镇"},
    }
    _, events = history.replay(listed)
    assert [(e.kind, e.old_code, e.new_code, e.old_name, e.new_name) for e in events] == [
        ("renaming", "150602003", "150602003", "乙镇", "丙镇"),
        ("recode", "150602400", "150602401", "某园区", "某园区"),
    ]


@pytest.fixture
def replayed(ordos_engine: Engine, data_root: Path) -> Engine:
    with transaction(ordos_engine) as conn:
        report = unit_names.replay_unit_history(conn, data_root / HISTORY)
    assert report.rejected == [] and "27 name events" in report.notes
    return ordos_engine


def test_old_names_are_searchable_and_marked_historic(replayed: Engine) -> None:
    with transaction(replayed) as conn:
        top = name_search.search_places(conn, "独贵特拉镇")["results"][0]
        assert (top["name"], top["status"], top["match"]) == ("独贵特拉镇", "historic", "exact")
        assert (top["valid_from"], top["valid_to"]) == (date(2017, 10, 31), date(2020, 6, 30))
        record = service.get_place(conn, top["id"])
        assert [n["name"] for n in record["names"]] == ["独贵特拉镇", "独贵塔拉镇"]
        assert [(e["kind"], e["old_name"], e["new_name"]) for e in record["events"]] == [
            ("renaming", "独贵特拉镇", "独贵塔拉镇")
        ]
        current = name_search.search_places(conn, "独贵塔拉镇")["results"][0]
        assert current["status"] == "standard" and current["valid_from"] == date(2020, 6, 30)


def test_as_of_answers_the_names_valid_that_day(replayed: Engine) -> None:
    with transaction(replayed) as conn:
        then = [h["name"] for h in name_search.search_places(conn, "兴", as_of=date(2019, 12, 1), limit=50)["results"]]
        now = [h["name"] for h in name_search.search_places(conn, "兴", as_of=date(2024, 1, 1), limit=50)["results"]]
        assert "兴盛街道" in then and "兴胜街道" not in then
        assert "兴胜街道" in now and "兴盛街道" not in now
        abolished = name_search.search_places(conn, "蒙西工业园区")["results"][0]
        assert (abolished["status"], abolished["valid_to"]) == ("retired", date(2021, 10, 31))
        # A form change is no event: 交通街道 has been the name since the first release.
        traffic = name_search.search_places(conn, "交通街道")["results"][0]
        assert traffic["valid_from"] == date(2017, 10, 31)
        assert service.get_place(conn, traffic["id"])["events"] == []


def test_replaying_again_changes_nothing(replayed: Engine, data_root: Path) -> None:
    with replayed.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM place_name")).scalar_one()
    with transaction(replayed) as conn:
        report = unit_names.replay_unit_history(conn, data_root / HISTORY)
    assert report.inserted == 0 and report.unchanged == report.read
    with replayed.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM place_name")).scalar_one() == before
        assert conn.execute(text("SELECT count(*) FROM name_event")).scalar_one() == 27


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("2020-02-30,x,150602001,交通街道", "2020-02-30"),
        ("2020-06-30,x,15060200,交通街道", "15060200"),
        ("2020-06-30,x,150602001,", "empty"),
    ],
)
def test_bad_history_file_writes_nothing(ordos_engine: Engine, tmp_path: Path, line: str, needle: str) -> None:
    path = tmp_path / "history.csv"
    path.write_text("as_of,commit,code,name\n2019-10-31,x,150602001,交通街道\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=needle), transaction(ordos_engine) as conn:
        unit_names.replay_unit_history(conn, path)
    with ordos_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM name_event")).scalar_one() == 0


def test_cli_replay_search_romanize(ordos_engine: Engine, data_root: Path) -> None:
    done = gaz(ordos_engine, "names", "replay-history", data_root / HISTORY)
    assert done.returncode == 0, done.stderr
    assert "inserted" in done.stdout and "27 name events" in done.stdout
    found = gaz(ordos_engine, "names", "search", "独贵特拉镇", "--as-of", "2019-01-01")
    assert found.returncode == 0 and found.stdout.splitlines()[0].startswith("独贵特拉镇\tDuguitela Zhen")
    roman = gaz(ordos_engine, "names", "romanize", "鄂托克前旗")
    assert roman.returncode == 0 and '"plain": "Otog Qianqi"' in roman.stdout
    bad = gaz(ordos_engine, "names", "search", "", "--as-of", "2019-01-01")
    assert bad.returncode == 2 and "empty" in bad.stderr
    bad_date = gaz(ordos_engine, "names", "search", "东胜", "--as-of", "2019-13-01")
    assert bad_date.returncode == 2 and "2019-13-01" in bad_date.stderr
    assert gaz(ordos_engine, "names", "sync").returncode == 0


def test_cli_editing(ordos_engine: Engine) -> None:
    proposed = gaz(ordos_engine, "names", "propose", "康和广场", "--category", "9", "--unit", "150603")
    assert proposed.returncode == 0, proposed.stderr
    place_id = str(json.loads(proposed.stdout)["id"])
    approval = [
        "--approving-body",
        "鄂尔多斯市人民政府",
        "--document-number",
        "鄂府发〔2026〕1号",
        "--approval-date",
        "2026-03-01",
    ]
    approved = gaz(ordos_engine, "names", "approve", place_id, "--version", "1", *approval)
    assert approved.returncode == 0 and '"status": "standard"' in approved.stdout, approved.stderr
    stale = gaz(
        ordos_engine,
        "names",
        "rename",
        place_id,
        "康和文化广场",
        "--version",
        "1",
        *approval,
        "--effective-date",
        "2030-01-01",
    )
    assert stale.returncode == 2 and "version 2, not 1" in stale.stderr
    renamed = gaz(
        ordos_engine,
        "names",
        "rename",
        place_id,
        "康和文化广场",
        "--version",
        "2",
        *approval,
        "--effective-date",
        "2030-01-01",
    )
    assert renamed.returncode == 0 and "康和文化广场" in renamed.stdout, renamed.stderr
    same = gaz(ordos_engine, "names", "retire", place_id, "--version", "3", *approval, "--effective-date", "2031-01-01")
    assert same.returncode == 2 and "historic" in same.stderr
    with ordos_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM name_event")).scalar_one() == 2
