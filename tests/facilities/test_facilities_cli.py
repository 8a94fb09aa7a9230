"""``gaz facilities`` run as a subprocess: imports (all or nothing, re-import unchanged) and coverage reports."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from tests.app.test_cli import gaz
from tests.facilities.test_facilities import CSV_FIXTURE, POPULATION_FIXTURE


def facility_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM facility")).scalar_one())


def test_import_reimport_and_a_refused_file(ordos_engine: Engine, tmp_path: Path) -> None:
    good = tmp_path / "fixture_facilities.csv"
    good.write_text(CSV_FIXTURE, encoding="utf-8")
    first = gaz(ordos_engine, "facilities", "import", good, "--source", "fixture", "--crs", "GCJ-02", "--illustrative")
    assert first.returncode == 0, first.stderr
    assert "inserted 3" in first.stdout
    again = gaz(ordos_engine, "facilities", "import", good, "--source", "fixture", "--crs", "GCJ-02", "--illustrative")
    assert "unchanged 3" in again.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV_FIXTURE.replace("c2,", "c9,").replace("eldercare_institution", "zoo"), encoding="utf-8")
    refused = gaz(ordos_engine, "facilities", "import", bad, "--source", "other", "--crs", "GCJ-02")
    assert refused.returncode == 2
    assert "row 2" in refused.stderr and "kind" in refused.stderr
    assert facility_count(ordos_engine) == 3
    missing = gaz(ordos_engine, "facilities", "import", tmp_path / "nope.csv", "--source", "x", "--crs", "GCJ-02")
    assert missing.returncode == 2 and "file not found" in missing.stderr


def test_population_then_coverage_csv(ordos_engine: Engine, tmp_path: Path) -> None:
    figures = tmp_path / "fixture_population.csv"
    figures.write_text(POPULATION_FIXTURE, encoding="utf-8")
    assert gaz(ordos_engine, "facilities", "population", figures, "--source", "fixture").returncode == 0
    report = gaz(ordos_engine, "facilities", "coverage", "beds", "--csv")
    assert report.returncode == 0, report.stderr
    lines = report.stdout.splitlines()
    assert lines[0].startswith("\ufeffcode,name,institutions,beds")
    assert len(lines) == 1 + 9
    unknown = gaz(ordos_engine, "facilities", "coverage", "burial", "--unit", "150699")
    assert unknown.returncode == 2 and "150699" in unknown.stderr
