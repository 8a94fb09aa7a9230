"""Dated facility versions (issue 16, point 3): opened, closed and beds changed on a small hand-made fixture registry
with known answers at three days — the facility list, the year-end report, the eldercare circle before and after,
the coverage map's date — plus idempotent re-imports, overlapping versions refused with nothing written, bad dates
and ``gaz facilities report``. Every facility here is a made-up fixture."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from core.errors import InvalidInput
from facilities import versions
from tests.app.test_cli import gaz
from tests.facilities.test_facilities import count, editor
from tests.facilities.test_facility_report import DONGSHENG, KANGBASHI, located_communities_near, units

HEADER = "external_id,name,kind,ownership,beds,nursing_beds,status,opened_on,closed_on,valid_from,lon,lat\n"


def post(api: httpx.Client, headers: dict[str, str], rows: list[str]) -> httpx.Response:
    """Import fixture rows (EPSG:4490) as the source fixture-history."""
    query = {"source": "fixture-history", "format": "csv", "crs": "EPSG:4490", "illustrative": "true"}
    content = (HEADER + "\n".join(rows) + "\n").encode("utf-8")
    return api.post("/api/v1/facilities/import", params=query, content=content, headers=headers)


def history(api: httpx.Client, engine: Engine) -> dict[str, Any]:
    """The fixture: h1 opened 2015 with 100 beds, 160 from 2022-01-01; h2 opened 2019, closed 2022-06-30; s1 a
    community site opened 2021-06-01 about 260 m from a community's point; s2 a site opened 2018 far from every
    community, closed 2023-03-01. Imported as two files, as it opened and then the later changes."""
    community = units(
        engine,
        "SELECT r.unit_code, ST_X(r.geom), ST_Y(r.geom) FROM reference_point r JOIN admin_unit a ON a.code ="
        " r.unit_code AND upper_inf(a.period) WHERE a.kind = '社区' AND r.unit_code LIKE '150602%'"
        " ORDER BY r.unit_code LIMIT 1",
    )[0]
    s1 = (round(community[1] + 0.003, 6), round(community[2], 6))
    s2 = (109.62, 39.95)
    d, k = DONGSHENG, KANGBASHI
    opened = [
        f"h1,公办甲(fixture),eldercare_institution,public,100,50,operating,2015-03-01,,2015-03-01,{d[0]},{d[1]}",
        f"h2,民办乙(fixture),eldercare_institution,private,200,100,operating,2019-06-01,,,{k[0]},{k[1]}",
        f"s1,站一(fixture),community_eldercare_site,,,,operating,2021-06-01,,,{s1[0]},{s1[1]}",
        f"s2,站二(fixture),community_eldercare_site,,,,operating,2018-01-01,,,{s2[0]},{s2[1]}",
    ]
    later = [
        f"h1,公办甲(fixture),eldercare_institution,public,160,90,operating,2015-03-01,,2022-01-01,{d[0]},{d[1]}",
        f"h2,民办乙(fixture),eldercare_institution,private,200,100,closed,,2022-06-30,,{k[0]},{k[1]}",
        f"s2,站二(fixture),community_eldercare_site,,,,operating,,2023-03-01,,{s2[0]},{s2[1]}",
    ]
    headers = editor(engine)
    first = post(api, headers, opened)
    assert first.status_code == 200 and first.json()["inserted"] == 4, first.text
    second = post(api, headers, later)
    assert second.status_code == 200 and (second.json()["updated"], second.json()["unchanged"]) == (3, 0)
    return {"headers": headers, "opened": opened, "later": later, "s1": s1, "s2": s2}


def by_name(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in rows}


def tooltips(page: str) -> set[str]:
    """The tooltips of a map page's markers (JSON strings in the page's script)."""
    return {json.loads(t) for t in re.findall(r'bindTooltip\(("(?:[^"\\]|\\.)*")', page)}


def figures(api: httpx.Client, day: str | None) -> dict[str, Any]:
    params = {"as_of": day} if day else {}
    response = api.get("/api/v1/reports/facilities", params=params)
    assert response.status_code == 200, response.text
    return {k: f["value"] for k, f in response.json()["scopes"][0]["figures"].items()}


def test_versions_at_three_days(api: httpx.Client, ordos_engine: Engine) -> None:
    known = history(api, ordos_engine)
    # the register as it stands: h1 at 160 beds, h2 closed on 2022-06-30, s2 closed on 2023-03-01
    register = by_name(api.get("/api/v1/facilities").json())
    h1, h2 = register["公办甲(fixture)"], register["民办乙(fixture)"]
    assert (h1["beds"], h1["nursing_beds"], h1["status"], h1["version"]) == (160, 90, "operating", 2)
    assert (h2["status"], h2["opened_on"], h2["closed_on"]) == ("closed", "2019-06-01", "2022-06-30")
    assert register["站二(fixture)"]["closed_on"] == "2023-03-01"
    one = api.get(f"/api/v1/facilities/{h1['id']}").json()
    assert [(v["valid_from"], v["valid_to"], v["beds"]) for v in one["versions"]] == [
        ("2015-03-01", "2022-01-01", 100),
        ("2022-01-01", None, 160),
    ]
    closed = api.get(f"/api/v1/facilities/{h2['id']}").json()["versions"]
    assert [(v["valid_from"], v["valid_to"], v["status"]) for v in closed] == [
        ("2019-06-01", "2022-06-30", "operating")
    ]
    # the list as of a day: that day's open facilities with that day's beds and version
    homes = by_name(
        api.get("/api/v1/facilities", params={"as_of": "2021-12-31", "kind": "eldercare_institution"}).json()
    )
    assert {n: h["beds"] for n, h in homes.items()} == {"公办甲(fixture)": 100, "民办乙(fixture)": 200}
    assert homes["公办甲(fixture)"]["valid_to"] == "2022-01-01"
    homes = api.get("/api/v1/facilities", params={"as_of": "2022-06-30", "kind": "eldercare_institution"}).json()
    assert [(h["name"], h["beds"], h["valid_from"]) for h in homes] == [("公办甲(fixture)", 160, "2022-01-01")]
    assert len(api.get("/api/v1/facilities", params={"as_of": "2022-06-29"}).json()) == 4  # h2's last day
    # the year-end report on three days (and today): opened, beds changed, closed
    expected = {  # day: institutions, beds, nursing beds share, community sites, of which opened in the year
        "2020-12-31": (2, 300, 0.5, 1, 0),
        "2021-12-31": (2, 300, 0.5, 2, 1),
        "2022-12-31": (1, 160, round(90 / 160, 4), 2, 0),
        None: (1, 160, round(90 / 160, 4), 1, 0),
    }
    for day, answer in expected.items():
        got = figures(api, day)
        keys = ("institutions", "beds", "nursing_bed_share", "community_sites", "community_sites_opened_in_year")
        assert tuple(got[k] for k in keys) == answer, day
    # re-importing both files changes nothing
    for rows in (known["opened"], known["later"]):
        again = post(api, known["headers"], rows)
        assert (again.json()["inserted"], again.json()["updated"], again.json()["unchanged"]) == (0, 0, len(rows))


def test_coverage_before_and_after(api: httpx.Client, ordos_engine: Engine) -> None:
    known = history(api, ordos_engine)
    covered, located = located_communities_near(ordos_engine, "1506", [known["s1"]])
    assert covered >= 1 and located_communities_near(ordos_engine, "1506", [known["s2"]])[0] == 0

    def community(day: str) -> tuple[int, int]:
        answer = api.get("/api/v1/coverage/eldercare", params={"level": "city", "as_of": day})
        assert answer.status_code == 200 and answer.json()["as_of"] == day, answer.text
        row = next(a for a in answer.json()["areas"] if a["class"] == "community")
        return row["covered"], row["located"]

    assert community("2020-12-31") == (0, located)  # only s2, far from every community
    assert community("2021-12-31") == (covered, located)  # s1 opened in 2021
    share = {d: figures(api, d)["community_site_coverage"] for d in ("2020-12-31", "2021-12-31")}
    assert share == {"2020-12-31": 0.0, "2021-12-31": round(covered / located, 4)}
    beds = api.get("/api/v1/coverage/beds", params={"as_of": "2021-12-31"}).json()["banners"]
    assert sum(b["beds"] for b in beds) == 300
    page = api.get("/maps/coverage", params={"as_of": "2020-12-31"})
    assert page.status_code == 200 and "数据日期 2020-12-31" in page.text
    assert tooltips(page.text) >= {"站二(fixture)", "民办乙(fixture)"} and "站一(fixture)" not in tooltips(page.text)
    assert "站一(fixture)" in tooltips(api.get("/maps/coverage", params={"as_of": "2021-12-31"}).text)
    assert "民办乙(fixture)" not in tooltips(api.get("/maps/coverage").text)  # closed on 2022-06-30


def test_coverage_over_all_communities(api: httpx.Client, ordos_engine: Engine) -> None:
    """Every community counted: located ones as the circle finds them, one without a point covered when a site is
    registered in it (s3, opened 2021-03-01 in such a community, far from every community's point), else not."""
    known = history(api, ordos_engine)
    banner = by_name(api.get("/api/v1/facilities").json())["站二(fixture)"]["unit_code"]
    bare = units(
        ordos_engine,
        "SELECT code FROM admin_unit WHERE kind = '社区' AND upper_inf(period) AND code LIKE :prefix || '%'"
        " AND code NOT IN (SELECT unit_code FROM reference_point WHERE unit_code IS NOT NULL) ORDER BY code LIMIT 1",
        prefix=banner[:6],
    )[0][0]
    s2 = known["s2"]
    query = {"source": "fixture-history", "format": "csv", "crs": "EPSG:4490", "illustrative": "true"}
    content = (
        "external_id,name,kind,opened_on,unit_code,lon,lat\n"
        f"s3,站三(fixture),community_eldercare_site,2021-03-01,{bare},{s2[0] + 0.001},{s2[1]}\n"
    )
    added = api.post("/api/v1/facilities/import", params=query, content=content.encode(), headers=known["headers"])
    assert added.status_code == 200 and added.json()["inserted"] == 1, added.text
    covered, located = located_communities_near(ordos_engine, "1506", [known["s1"]])
    total = units(ordos_engine, "SELECT count(*) FROM admin_unit WHERE kind = '社区' AND upper_inf(period)")[0][0]
    assert located < total  # communities without a point exist
    share = {d: figures(api, d)["community_site_coverage_all"] for d in ("2020-12-31", "2021-12-31")}
    assert share == {"2020-12-31": 0.0, "2021-12-31": round((covered + 1) / total, 4)}
    assert figures(api, "2021-12-31")["community_site_coverage"] == round(covered / located, 4)  # s3 adds no point


def test_overlapping_versions_are_refused_and_nothing_is_written(api: httpx.Client, ordos_engine: Engine) -> None:
    known = history(api, ordos_engine)
    d = DONGSHENG
    before = (count(ordos_engine, "facility"), count(ordos_engine, "facility_version"))
    new = f"h9,新(fixture),eldercare_institution,public,10,,operating,2020-01-01,,,{d[0]},{d[1]}"
    bad_rows = [
        # a change back-dated before h1's recorded 2022 version
        (f"h1,公办甲(fixture),eldercare_institution,public,120,50,operating,,,2020-01-01,{d[0]},{d[1]}",
         "would overlap the recorded version from 2022-01-01"),
        # closed before its last version started
        (f"h1,公办甲(fixture),eldercare_institution,public,160,90,operating,,2021-06-01,2022-01-01,{d[0]},{d[1]}",
         "closed_on 2021-06-01 is not after the start of the last version"),
        # a new facility's history starts when it opened
        (f"h8,新(fixture),eldercare_institution,public,10,,operating,2020-01-01,,2021-01-01,{d[0]},{d[1]}",
         "valid_from 2021-01-01 for a facility new to the registry"),
        (f"h7,新(fixture),eldercare_institution,public,10,,operating,2020-01-01,2019-01-01,,{d[0]},{d[1]}",
         "closed_on 2019-01-01 is not after opened_on 2020-01-01"),
    ]  # fmt: skip
    for row, needle in bad_rows:
        refused = post(api, known["headers"], [new, row])
        assert refused.status_code == 422 and "row 2" in refused.text and needle in refused.text, refused.text
    assert (count(ordos_engine, "facility"), count(ordos_engine, "facility_version")) == before
    h1 = by_name(api.get("/api/v1/facilities").json())["公办甲(fixture)"]
    body = {k: h1[k] for k in ("name", "kind", "ownership", "lon", "lat")} | {"crs": "EPSG:4490", "beds": 170}
    stale = api.put(
        f"/api/v1/facilities/{h1['id']}",
        json=body | {"version": h1["version"], "valid_from": "2021-01-01"},
        headers=known["headers"],
    )
    assert stale.status_code == 422 and "would overlap" in stale.text
    changed = api.put(
        f"/api/v1/facilities/{h1['id']}",
        json=body | {"version": h1["version"], "valid_from": "2023-05-01"},
        headers=known["headers"],
    )
    assert changed.status_code == 200, changed.text
    spans = [(v["valid_from"], v["valid_to"], v["beds"]) for v in changed.json()["versions"]]
    assert spans[1:] == [("2022-01-01", "2023-05-01", 160), ("2023-05-01", None, 170)]


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        ("/api/v1/facilities", "2021-02-30", "'2021-02-30'"),
        ("/api/v1/facilities", "2999-01-01", "as_of 2999-01-01 must lie between 1949-10-01 and today"),
        ("/api/v1/coverage/eldercare", "1900-01-01", "as_of 1900-01-01"),
        ("/api/v1/coverage/burial", "20211231", "'20211231'"),
        ("/api/v1/coverage/beds", "2999-12-31", "as_of 2999-12-31"),
        ("/api/v1/coverage/prohibited-zones", "yesterday", "'yesterday'"),
        ("/maps/coverage", "2021-13-01", "'2021-13-01'"),
        ("/maps/coverage", "2999-01-01", "as_of 2999-01-01"),
    ],
)
def test_bad_dates_are_refused(ordos_api: httpx.Client, path: str, value: str, needle: str) -> None:
    response = ordos_api.get(path, params={"as_of": value})
    assert response.status_code == 422 and needle in response.text, response.text


def test_cli_report(api: httpx.Client, ordos_engine: Engine, tmp_path: Path) -> None:
    history(api, ordos_engine)
    done = gaz(ordos_engine, "facilities", "report", "--as-of", "2021-12-31")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    route = api.get("/api/v1/reports/facilities", params={"as_of": "2021-12-31"}).json()
    assert printed["scopes"] == route["scopes"] and printed["as_of"] == "2021-12-31"
    out = tmp_path / "figures.csv"
    done = gaz(ordos_engine, "facilities", "report", "--as-of", "2022-12-31", "--unit", "150603", "--format", "csv",
               "-o", out)  # fmt: skip
    assert done.returncode == 0 and done.stdout == "", done.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert {r["scope_code"] for r in rows} == {"150603000000"}
    assert next(r["value"] for r in rows if r["key"] == "institutions") == "0"  # h2 closed on 2022-06-30
    page = tmp_path / "figures.html"
    assert gaz(ordos_engine, "facilities", "report", "--format", "html", "-o", page).returncode == 0
    assert "民政设施年度数据" in page.read_text(encoding="utf-8")
    bad = [
        (("--as-of", "2021-13-01"), "--as-of"),
        (("--as-of", "2999-01-01"), "as_of 2999-01-01 must lie between"),
        (("--unit", "150602001"), "township"),
        (("--format", "xls"), "--format"),
        (("--format", "pdf"), "needs -o FILE"),
        (("--walk-m", "10"), "walk_m"),
        (("-o", str(tmp_path / "missing" / "x.json")), "cannot be written"),
    ]
    for args, needle in bad:
        done = gaz(ordos_engine, "facilities", "report", *args)
        assert done.returncode == 2 and needle in done.stderr, (args, done.stderr)
    done = gaz(ordos_engine, "facilities", "coverage", "beds", "--as-of", "2022-12-31")
    assert done.returncode == 0 and json.loads(done.stdout)["as_of"] == "2022-12-31", done.stderr
    assert sum(b["beds"] for b in json.loads(done.stdout)["banners"]) == 160  # h1's new version only
    done = gaz(ordos_engine, "facilities", "coverage", "burial", "--as-of", "2021-02-30")
    assert done.returncode == 2 and "--as-of" in done.stderr


def test_a_closed_facility_reopens_only_from_a_given_day() -> None:
    attrs = {k: None for k in versions.VERSIONED} | {"name": "x", "status": "operating", "beds": 100}
    stored = [{"valid_from": date(2015, 1, 1), "valid_to": date(2019, 1, 1), **attrs}]
    statement = {**attrs, "opened_on": None, "closed_on": None}
    assert versions.plan(stored, statement, valid_from=None, today=date(2026, 12, 4)) == stored
    with pytest.raises(InvalidInput, match="closed on 2019-01-01: a statement after that reopens it"):
        versions.plan(stored, statement | {"beds": 50}, valid_from=None, today=date(2026, 12, 4))


@pytest.mark.parametrize(
    ("record", "valid_from", "expected"),
    [
        # the same attributes as the version covering the day: nothing changes
        ({"beds": 100}, None, [(date(2015, 1, 1), None, 100)]),
        # a change from a day: the covering version ends there
        ({"beds": 120}, date(2020, 1, 1), [(date(2015, 1, 1), date(2020, 1, 1), 100), (date(2020, 1, 1), None, 120)]),
        # restated on its own start day: corrected in place
        ({"beds": 90}, date(2015, 1, 1), [(date(2015, 1, 1), None, 90)]),
        # closed: the last version ends; the day before the closing is the statement's default day
        ({"beds": 100, "closed_on": date(2019, 1, 1)}, None, [(date(2015, 1, 1), date(2019, 1, 1), 100)]),
        # reopened with other beds after a closing
        (
            {"beds": 50},
            date(2024, 1, 1),
            [(date(2015, 1, 1), date(2019, 1, 1), 100), (date(2024, 1, 1), None, 50)],
        ),
    ],
)
def test_plan_rules(record: dict[str, Any], valid_from: date | None, expected: list[Any]) -> None:
    """The rules of facilities.versions.plan on one facility opened 2015-01-01 with 100 beds (closed 2019-01-01
    in the last case's stored history)."""
    attrs = {k: None for k in versions.VERSIONED} | {"name": "x", "status": "operating"}
    stored = [{"valid_from": date(2015, 1, 1), "valid_to": None, **attrs, "beds": 100}]
    if expected[-1][2] == 50:
        stored[0]["valid_to"] = date(2019, 1, 1)
    statement = {**attrs, "opened_on": None, "closed_on": None, **record}
    planned = versions.plan(stored, statement, valid_from=valid_from, today=date(2026, 12, 4))
    assert [(v["valid_from"], v["valid_to"], v["beds"]) for v in planned] == expected
