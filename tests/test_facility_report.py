"""The year-end facility figures (issue 16): the report's attributes (medical care of eldercare institutions,
opening dates), every figure's definition on a small hand-made fixture registry with known answers, bad input, and
the illustrative registry at the city's scale. Every facility here is a fixture or the illustrative generator's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.test_cli import gaz
from tests.test_facilities import count, editor

HOMES_CSV = (
    "external_id,name,kind,ownership,beds,nursing_beds,infirmary,medical_contract,opened_on,lon,lat\n"
    "h1,养老院甲(fixture),eldercare_institution,public,100,60,true,,2015-03-01,109.98,39.81\n"
    "h2,养老院乙(fixture),eldercare_institution,private,300,140,false,yes,2019-06-01,109.98,39.81\n"
)


def import_csv(api: httpx.Client, headers: dict[str, str], content: str, **params: Any) -> httpx.Response:
    query = {"source": "fixture-report", "format": "csv", "crs": "EPSG:4490", "illustrative": "true", **params}
    return api.post("/api/v1/facilities/import", params=query, content=content.encode("utf-8"), headers=headers)


def test_medical_care_and_opening_date_are_imported(api: httpx.Client, ordos_engine: Engine) -> None:
    response = import_csv(api, editor(ordos_engine), HOMES_CSV)
    assert response.status_code == 200, response.text
    homes = {h["name"]: h for h in api.get("/api/v1/facilities?kind=eldercare_institution").json()}
    first, second = homes["养老院甲(fixture)"], homes["养老院乙(fixture)"]
    assert (first["infirmary"], first["medical_contract"], first["opened_on"]) == (True, None, "2015-03-01")
    assert (second["infirmary"], second["medical_contract"], second["ownership"]) == (False, True, "private")


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ("h3,x(fixture),eldercare_institution,public,10,,maybe,,,109.98,39.81", "infirmary"),
        ("h3,x(fixture),eldercare_institution,public,10,,,2,,109.98,39.81", "medical_contract"),
        ("h3,x(fixture),funeral_home,public,,,true,,,109.98,39.81", "eldercare institution only"),
        ("h3,x(fixture),eldercare_institution,state,10,,,,,109.98,39.81", "ownership"),
        ("h3,x(fixture),eldercare_institution,public,10,20,,,,109.98,39.81", "nursing_beds 20 exceeds beds 10"),
        ("h3,x(fixture),community_eldercare_site,,,,,,2021-13-01,109.98,39.81", "opened_on"),
    ],
)
def test_bad_report_attributes_write_nothing(api: httpx.Client, ordos_engine: Engine, row: str, needle: str) -> None:
    response = import_csv(api, editor(ordos_engine), HOMES_CSV + row + "\n")
    assert response.status_code == 422, response.text
    assert "row 3" in response.text and needle in response.text
    assert count(ordos_engine, "facility") == 0


def test_cli_names_a_bad_attribute_and_writes_nothing(ordos_engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "homes.csv"
    bad.write_text(HOMES_CSV.replace(",true,,2015", ",sometimes,,2015"), encoding="utf-8")
    done = gaz(ordos_engine, "facilities", "import", bad, "--source", "fixture", "--crs", "EPSG:4490")
    assert done.returncode == 2
    assert "row 1" in done.stderr and "infirmary" in done.stderr
    with ordos_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM facility")).scalar_one() == 0
