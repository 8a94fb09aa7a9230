"""Division-change applications (issue 17, point 1) on a hand-made county (tests/division_fixtures.py): the
workflow and its bad inputs, the standards check with its cited criteria, and a merge and a split applied — units
before and after, children, polygons (areas sum), boundary lines and place-name events."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from boundaries.disputes import service as disputes
from boundaries.units import service as unit_service
from core.database import transaction
from core.settings import DivisionSettings
from gazetteer.places import history
from gazetteer.places.names import unit_place_name
from gazetteer.places.unit_names import sync_unit_names
from tests.boundary_fixtures import HEADER
from tests.conftest import LiveServer, server_config
from tests.division_fixtures import VILLAGES, A, B, C, load_county
from tests.factories import api_key, gaz

EFFECTIVE = "2024-01-01"
APPROVAL: dict[str, Any] = {
    "approving_body": "内蒙古自治区人民政府",
    "document_number": "内政字〔2023〕99号",
    "approval_date": "2023-12-01",
}


class County:
    """A live server on the fixture county with an editor's and an approver's key."""

    def __init__(self, client: httpx.Client, engine: Engine) -> None:
        self.client, self.engine = client, engine
        self.editor = api_key(engine, "editor", "editor")
        self.approver = api_key(engine, "approver", "approver")

    def create(self, body: dict[str, Any], expect: int = 201) -> dict[str, Any]:
        response = self.client.post("/api/v1/divisions/applications", json=body, headers=self.editor)
        assert response.status_code == expect, response.text
        return dict(response.json())

    def step(self, app: dict[str, Any], action: str, expect: int = 200, **extra: Any) -> dict[str, Any]:
        headers = self.approver if action in ("approve", "apply") else self.editor
        body = {"version": app["version"], **extra}
        response = self.client.post(f"/api/v1/divisions/applications/{app['id']}/{action}", json=body, headers=headers)
        assert response.status_code == expect, response.text
        return dict(response.json())

    def through(self, app: dict[str, Any]) -> dict[str, Any]:
        """Submit, approve and apply."""
        app = self.step(app, "submit")
        app = self.step(app, "approve", **APPROVAL)
        return self.step(app, "apply")

    def unit(self, code: str, as_of: str) -> httpx.Response:
        return self.client.get(f"/api/v1/units/{code}", params={"as_of": as_of, "crs": "EPSG:4490"})


@pytest.fixture
def county(engine: Engine, tmp_path: Path) -> Iterator[County]:
    load_county(engine, tmp_path)
    url = engine.url.render_as_string(hide_password=False)
    settings = server_config(url, divisions=DivisionSettings(division_street_min_population=50_000))
    with LiveServer(url, settings) as client:
        yield County(client, engine)


def upgrade(code: str, name: str, **figures: Any) -> dict[str, Any]:
    return {
        "kind": "upgrade",
        "title": f"撤{code}设{name}",
        "touched": [code[:9]],
        "proposed": [{"name": name, "kind": "镇", "seat": "驻地", "figures": figures}],
        "effective_date": EFFECTIVE,
        "documents": [{"title": "请示", "reference": "旗政发〔2023〕1号"}],
    }


def criteria(check: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in check["units"][0]["criteria"]}


def test_a_township_meeting_and_one_failing_the_town_criteria(county: County) -> None:
    """1984 report 二: 乙乡 (15,000 people, 2,500 non-agricultural at the seat) may become a town; 丙乡 (30,000, 2,400 =
    8 % < 10 %) may not; each criterion carries its source, clause, year and the figures used."""
    small = county.create(upgrade(B, "乙镇", population=15_000, seat_non_agricultural_population=2_500))
    large = county.create(upgrade(C, "丙镇", population=30_000, seat_non_agricultural_population=2_400))
    assert small["proposed"][0]["code"] == "990101101000"  # 镇 range 100-199: after 甲镇's 100
    assert large["proposed"][0]["code"] == "990101102000"  # reserved codes are not given twice
    passed = county.client.get(f"/api/v1/divisions/applications/{small['id']}/check").json()
    failed = county.client.get(f"/api/v1/divisions/applications/{large['id']}/check").json()
    assert passed["verdict"] == "pass" and failed["verdict"] == "fail"
    rule = criteria(passed)["town.small_township"]
    assert rule["status"] == "pass" and rule["clause"] == "二" and rule["year"] == 1984
    assert "关于调整建镇标准的报告" in rule["source"]
    assert rule["figures_used"] == {"population": 15_000, "seat_non_agricultural_population": 2_500}
    assert criteria(passed)["town.large_township"]["status"] == "not_applicable"
    rule = criteria(failed)["town.large_township"]
    assert rule["status"] == "fail" and rule["figures_used"]["share"] == 0.08
    assert criteria(failed)["town.relaxation"]["status"] == "not_applicable"
    assert criteria(failed)["code.range"]["status"] == "pass"
    # the same 丙乡 claiming 三 (少数民族地区) passes by the relaxation, the ground quoted
    body = upgrade(C, "丙镇", population=30_000, seat_non_agricultural_population=2_400)
    relaxed = county.create({**body, "relaxation_ground": "少数民族地区"})
    check = county.client.get(f"/api/v1/divisions/applications/{relaxed['id']}/check").json()
    assert check["verdict"] == "pass" and criteria(check)["town.relaxation"]["status"] == "pass"
    listed = county.client.get("/api/v1/divisions/criteria").json()
    assert {c["id"] for c in listed} >= {"town.small_township", "street.population", "code.range"}
    street = next(c for c in listed if c["id"] == "street.area")
    assert street["local_setting"] == "GAZ_DIVISION_STREET_MIN_AREA_KM2"


def test_a_street_is_checked_against_the_local_settings(county: County) -> None:
    """镇 → 街道: the population minimum is this server's local setting (50,000); the area minimum is not set, so
    that criterion is not evaluated (and says which setting would hold it)."""
    body = {
        **upgrade(A, "甲街道", population=40_000, area_km2=4.0),
        "proposed": [{"name": "甲街道", "kind": "街道", "figures": {"population": 40_000, "area_km2": 4.0}}],
    }
    app = county.create(body)
    assert app["proposed"][0]["code"] == "990101001000"
    check = county.client.get(f"/api/v1/divisions/applications/{app['id']}/check").json()
    found = criteria(check)
    assert found["street.population"]["status"] == "fail"
    assert found["street.population"]["figures_used"] == {"population": 40_000, "minimum": 50_000}
    assert found["street.area"]["status"] == "not_evaluated"
    assert "GAZ_DIVISION_STREET_MIN_AREA_KM2" in found["street.area"]["reason"]
    assert check["verdict"] == "fail"


def merge_body() -> dict[str, Any]:
    return {
        "kind": "merge",
        "title": "撤销丙乡，并入乙乡",
        "touched": [B[:9], C[:9]],
        "proposed": [{"name": "乙乡", "kind": "乡", "code": B[:9], "seat": "乙一村"}],
        "effective_date": EFFECTIVE,
    }


def test_a_merge_of_two_townships_applied(county: County) -> None:
    """丙乡 merges into 乙乡 on 2024-01-01: before, both with two villages; after, 丙乡 has no version, 乙乡 has the
    four villages and a polygon of both areas, the 乙|丙 line is gone, 丙乡's name is retired citing the approval."""
    before_b = county.unit(B, "2023-12-31").json()
    before_c = county.unit(C, "2023-12-31").json()
    app = county.create(merge_body())
    assert app["status"] == "draft" and app["flags"] == []
    assert app["proposed"][0]["villages"] == sorted(v for v, (_, t, _) in VILLAGES.items() if t in (B, C))
    lines_before = {line["line_key"] for line in county.client.get("/api/v1/boundaries/lines").json()}
    applied = county.through(app)
    assert applied["status"] == "applied" and applied["result"]["units_closed"] == [C]
    assert applied["approval"]["document_number"] == APPROVAL["document_number"]
    assert county.unit(C, "2023-12-31").status_code == 200
    gone = county.unit(C, EFFECTIVE)
    assert gone.status_code == 404 and "no version valid on 2024-01-01" in gone.json()["detail"]
    after_b = county.unit(B, EFFECTIVE).json()
    assert after_b["name"] == "乙乡" and after_b["valid_from"] == "2020-01-01"  # same name and kind: no new version
    children = {c["code"] for c in county.client.get(f"/api/v1/units/{B}/children", params={"as_of": EFFECTIVE}).json()}
    assert children == {v for v, (_, t, _) in VILLAGES.items() if t in (B, C)}
    old = county.client.get(f"/api/v1/units/{B}/children", params={"as_of": "2023-12-31"}).json()
    assert len(old) == 2
    area = before_b["polygon"]["area_km2"] + before_c["polygon"]["area_km2"]
    assert after_b["polygon"]["area_km2"] == pytest.approx(area, abs=1e-3)
    assert after_b["polygon"]["source"] == f"application-{app['id']}"
    assert before_b["polygon"]["area_km2"] == pytest.approx(4.0, abs=1e-3)  # 2 km × 2 km, scale factor 1
    assert county.unit(B, "2023-12-31").json()["polygon"]["area_km2"] == before_b["polygon"]["area_km2"]
    lines_after = {line["line_key"] for line in county.client.get("/api/v1/boundaries/lines").json()}
    assert f"{B}|{C}" not in lines_after and not any(C in key for key in lines_after)
    assert {f"{B}|{C}", f"{C}|outer"} <= lines_before and f"{A}|{B}" in lines_after  # re-derived, 丙's deleted
    with county.engine.connect() as conn:
        events = conn.execute(
            text("SELECT kind, old_name, document_number, effective_date FROM name_event WHERE document_number = :n"),
            {"n": APPROVAL["document_number"]},
        ).all()
        village_parent = conn.execute(
            text("SELECT unit_code FROM place_name WHERE admin_code = '990101201200' AND status = 'standard'")
        ).scalar_one()
    assert [(e.kind, e.old_name, str(e.effective_date)) for e in events] == [("retirement", "丙乡", EFFECTIVE)]
    assert village_parent == B
    county.step(applied, "withdraw", expect=409)  # applied: no longer reversible


def test_a_split_of_one_township_applied(county: County) -> None:
    """甲镇 keeps 甲一村, 甲二村 becomes the new 新安镇 (code 990101101 by the 镇 range): the two polygons are the
    villages' and sum to 甲镇's former area, a line between them is derived, and 新安镇 is named citing the approval."""
    before = county.unit(A, "2023-12-31").json()
    body = {
        "kind": "split",
        "title": "甲镇析置新安镇",
        "touched": [A],
        "proposed": [
            {"name": "甲镇", "kind": "镇", "code": A, "villages": ["990101100200"]},
            {
                "name": "新安镇",
                "kind": "镇",
                "villages": ["990101100201"],
                "figures": {"population": 12_000, "seat_non_agricultural_population": 2_100},
            },
        ],
        "effective_date": EFFECTIVE,
    }
    app = county.through(county.create(body))
    new = "990101101000"
    assert county.unit(new, "2023-12-31").status_code == 404
    created = county.unit(new, EFFECTIVE).json()
    kept = county.unit(A, EFFECTIVE).json()
    assert (
        created["name"] == "新安镇"
        and created["valid_from"] == EFFECTIVE
        and created["parent_code"] == A[:6] + "000000"
    )
    assert created["polygon"]["area_km2"] + kept["polygon"]["area_km2"] == pytest.approx(
        before["polygon"]["area_km2"], abs=1e-6
    )
    assert [
        c["code"] for c in county.client.get(f"/api/v1/units/{new}/children", params={"as_of": EFFECTIVE}).json()
    ] == ["990101100201"]
    keys = {line["line_key"] for line in county.client.get("/api/v1/boundaries/lines", params={"unit": new}).json()}
    assert f"{A}|{new}" in keys
    naming = [e for e in app["result"]["name_events"] if e["kind"] == "naming"]
    assert naming == [{"kind": "naming", "code": new, "new_name": "新安镇"}]
    hits = county.client.get("/api/v1/places/search", params={"q": "新安镇"}).json()["results"]
    record = county.client.get(f"/api/v1/places/{hits[0]['id']}").json()
    assert record["document_number"] == APPROVAL["document_number"]
    assert any(e["kind"] == "naming" and e["document_number"] == APPROVAL["document_number"] for e in record["events"])


def test_a_stale_approval_gets_409_and_nothing_changes(county: County) -> None:
    app = county.step(county.create(merge_body()), "submit")
    stale = {**app, "version": app["version"] - 1}
    refused = county.step(stale, "approve", expect=409, **APPROVAL)
    assert "version" in refused["detail"] and refused["current_version"] == app["version"]
    assert county.client.get(f"/api/v1/divisions/applications/{app['id']}").json()["status"] == "submitted"
    county.step(app, "apply", expect=409)  # not approved
    back = county.step(app, "revert")
    assert back["status"] == "draft" and back["approval"] is None
    withdrawn = county.step(back, "withdraw")
    assert withdrawn["status"] == "withdrawn"
    county.step(withdrawn, "submit", expect=409)


def test_an_application_touching_a_disputed_unit_is_flagged(county: County) -> None:
    with transaction(county.engine) as conn:
        case = disputes.create_case(conn, title="乙丙交界草场", units=[B, C], opened_on=date(2023, 5, 1), actor="test")
    app = county.create(merge_body())
    assert app["flags"] == [
        {"kind": "open_dispute", "case_id": case["id"], "status": "open", "title": "乙丙交界草场", "units": [B, C]}
    ]
    check = county.client.get(f"/api/v1/divisions/applications/{app['id']}/check").json()
    assert check["flags"] == app["flags"]


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"touched": ["990101299"]}, 404, "no township-level unit 990101299000"),
        ({"touched": ["99010x"]}, 422, "not valid"),
        ({"touched": ["990101100201"]}, 422, "village code"),
        ({"touched": [B[:9]]}, 422, "merge application needs"),
        ({"proposed": [{"name": "乙乡", "kind": "乡", "code": A}]}, 422, "not a touched unit"),
        ({"proposed": [{"name": "乙乡", "kind": "镇", "code": B}]}, 422, "outside the 镇 range"),
        ({"proposed": [{"name": "乙乡", "kind": "县"}]}, 422, "not a township-level kind"),
        ({"relaxation_ground": "平原"}, 422, "not a ground"),
        ({"kind": "dissolve"}, 422, "kind"),
        ({"effective_date": "2024-13-01"}, 422, "effective_date"),
    ],
)
def test_bad_applications_are_refused(county: County, change: dict[str, Any], status: int, words: str) -> None:
    refused = county.create({**merge_body(), **change}, expect=status)
    assert words in refused["detail"]
    assert county.client.get("/api/v1/divisions/applications").json() == []


def test_bad_allocations_and_unknown_applications(county: County) -> None:
    split: dict[str, Any] = {
        "kind": "split",
        "title": "甲镇析置",
        "touched": [A],
        "proposed": [{"name": "甲镇", "kind": "镇", "code": A}, {"name": "新镇", "kind": "镇"}],
        "effective_date": EFFECTIVE,
    }
    assert "allocate the 2 villages" in county.create(split, expect=422)["detail"]
    twice = [
        {**split["proposed"][0], "villages": ["990101100200"]},
        {**split["proposed"][1], "villages": ["990101100200"]},
    ]
    assert "allocated twice" in county.create({**split, "proposed": twice}, expect=422)["detail"]
    stranger = [{**split["proposed"][0], "villages": ["990101200200"]}, split["proposed"][1]]
    assert "not a village of the touched units" in county.create({**split, "proposed": stranger}, expect=422)["detail"]
    assert county.client.get("/api/v1/divisions/applications/999").status_code == 404
    assert county.client.get("/api/v1/divisions/applications", params={"status": "lost"}).status_code == 422
    listed = county.client.get("/api/v1/divisions/applications", params={"unit": "990101999"})
    assert listed.status_code == 404 and "no unit with code 990101999000" in listed.json()["detail"]
    assert county.client.get("/api/v1/divisions/applications", params={"unit": C[:9]}).json() == []
    no_key = county.client.post("/api/v1/divisions/applications", json=merge_body())
    assert no_key.status_code == 401
    app = county.step(county.create(merge_body()), "submit")
    wrong_role = county.client.post(
        f"/api/v1/divisions/applications/{app['id']}/approve",
        json={"version": app["version"], **APPROVAL},
        headers=county.editor,
    )
    assert wrong_role.status_code == 403


HISTORY = Path("ordos") / "codes" / "ordos_townships_history_nbs.csv"
# Two township changes of the 2020-06-30 release the history replay knows (tests/fixtures/ordos_township_history_
# events.csv): both renames, the codes kept.
HISTORY_CHANGES = {"150602012": "兴胜街道", "150625103": "独贵塔拉镇"}


def releases_of(path: Path, counties: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """{release date: {9-digit code: statistical name}} of the counties' townships in the history file."""
    found: dict[str, dict[str, str]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["code"][:6] in counties:
                found.setdefault(row["as_of"], {})[row["code"]] = row["name"]
    return found


def test_two_history_changes_replayed_as_applications(engine: Engine, tmp_path: Path, data_root: Path) -> None:
    """The townships of 东胜区 and 杭锦旗 as the 2019-10-31 release lists them, the two renames the 2020-06-30 release
    shows drawn up, approved and applied as applications effective 2020-06-30: the units on that day are the 2020-06-30
    release's (same codes, same place names), and the name events are the replay's two renamings."""
    releases = releases_of(data_root / HISTORY, ("150602", "150625"))
    before, after = releases["2019-10-31"], releases["2020-06-30"]
    lines = [HEADER, "150600000000,1506,鄂尔多斯市,2,city,150000000000,,fixture"]
    lines += [f"{c}000000,{c},县{c},3,county,150600000000,,fixture" for c in ("150602", "150625")]
    lines += [f"{code}000,{code},{name},4,township,{code[:6]}000000,,fixture" for code, name in before.items()]
    path = tmp_path / "fixture_2019_townships.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with transaction(engine) as conn:
        unit_service.import_divisions(conn, path, valid_from=date(2019, 10, 31))
        sync_unit_names(conn, as_of=date(2019, 10, 31), actor="test")
    url = engine.url.render_as_string(hide_password=False)
    with LiveServer(url, server_config(url)) as client:
        county = County(client, engine)
        for code, name in HISTORY_CHANGES.items():
            kind = "街道" if name.endswith("街道") else "镇"
            body = {
                "kind": "rename",
                "title": f"{before[code]}更名为{name}",
                "touched": [code],
                "proposed": [{"name": name, "kind": kind, "code": code}],
                "effective_date": "2020-06-30",
            }
            assert county.through(county.create(body))["status"] == "applied"
    with engine.connect() as conn:
        units = {
            u["code"][:9]: unit_place_name(u["name"])
            for county_code in ("150602", "150625")
            for u in unit_service.units_within(conn, county_code, "township", as_of=date(2020, 6, 30))
        }
        events = conn.execute(
            text("SELECT old_name, new_name FROM name_event WHERE document_number = :n ORDER BY new_name"),
            {"n": APPROVAL["document_number"]},
        ).all()
    assert units == {code: unit_place_name(name) for code, name in after.items()}
    replayed = history.replay({date(2019, 10, 31): before, date(2020, 6, 30): after})[1]
    assert sorted((e.old_name, e.new_name) for e in replayed) == [tuple(e) for e in events]
    assert len(events) == 2


def test_the_cli_runs_the_workflow(engine: Engine, tmp_path: Path) -> None:
    """``gaz divisions``: create from the API's JSON body, check, submit, approve, apply, show; a stale version and
    a bad file exit 2 with one message."""
    load_county(engine, tmp_path)
    body = tmp_path / "merge.json"
    body.write_text(json.dumps(merge_body(), ensure_ascii=False), encoding="utf-8")
    created = gaz(engine, "divisions", "create", body, "--as", "科员甲")
    assert created.returncode == 0, created.stderr
    app = json.loads(created.stdout)
    assert app["status"] == "draft" and app["created_by"] == "科员甲"
    check = json.loads(gaz(engine, "divisions", "check", str(app["id"])).stdout)
    assert check["verdict"] == "pass" and check["units"][0]["code"] == B
    number = str(app["id"])
    assert gaz(engine, "divisions", "submit", number, "--version", "1").returncode == 0
    approve = ["--approving-body", "自治区人民政府", "--document-number", "内政字〔2023〕1号"]
    approve += ["--approval-date", "2023-12-01"]
    stale = gaz(engine, "divisions", "approve", number, "--version", "1", *approve)
    assert stale.returncode == 2 and "is at version 2, not 1" in stale.stderr
    assert gaz(engine, "divisions", "approve", number, "--version", "2", *approve).returncode == 0
    applied = gaz(engine, "divisions", "apply", number, "--version", "3", "--as", "审批人乙")
    assert applied.returncode == 0, applied.stderr
    shown = json.loads(gaz(engine, "divisions", "show", number).stdout)
    assert shown["status"] == "applied" and shown["applied_by"] == "审批人乙" and shown["result"]["units_closed"] == [C]
    body.write_text('{"kind": "merge"}', encoding="utf-8")
    bad = gaz(engine, "divisions", "create", body)
    assert bad.returncode == 2 and bad.stderr.startswith("error: merge.json")


def test_an_upgrade_applied_recodes_the_unit_and_its_place(county: County) -> None:
    """撤乙乡设乙镇: the 镇 gets the next 镇 code (990101101), 乙乡's code ends the day before, the villages, the
    polygon and the lines follow the new code, and the place continues: 更名 乙乡 → 乙镇 and a recode event."""
    new = "990101101000"
    app = county.through(county.create(upgrade(B, "乙镇", population=15_000, seat_non_agricultural_population=2_500)))
    assert app["result"]["units_closed"] == [B] and county.unit(B, EFFECTIVE).status_code == 404
    before, after = county.unit(B, "2023-12-31").json(), county.unit(new, EFFECTIVE).json()
    assert (after["name"], after["kind"], after["valid_from"]) == ("乙镇", "镇", EFFECTIVE)
    assert after["polygon"]["area_km2"] == pytest.approx(before["polygon"]["area_km2"], abs=1e-6)
    children = county.client.get(f"/api/v1/units/{new}/children", params={"as_of": EFFECTIVE}).json()
    assert [c["code"] for c in children] == ["990101200200", "990101200201"]
    keys = {line["line_key"] for line in county.client.get("/api/v1/boundaries/lines").json()}
    assert f"{A}|{new}" in keys and not any(B in key for key in keys)
    kinds = [(e["kind"], e.get("old_name"), e.get("new_name")) for e in app["result"]["name_events"]]
    assert kinds == [("renaming", "乙乡", "乙镇"), ("recode", "乙镇", None)]
    with county.engine.connect() as conn:
        current = conn.execute(
            text("SELECT name, admin_code FROM place_name WHERE place_id = (SELECT place_id FROM place_name"
                 " WHERE admin_code = :new AND status = 'standard') ORDER BY valid_from"),
            {"new": new},
        ).all()  # fmt: skip
    assert [tuple(r) for r in current] == [("乙乡", B), ("乙镇", new)]


def test_reads_answer_304_until_the_application_changes(county: County) -> None:
    """Conditional GET: the application's tag comes from the divisions and boundaries data versions."""
    app = county.create(merge_body())
    path = f"/api/v1/divisions/applications/{app['id']}"
    tag = county.client.get(path).headers["etag"]
    assert county.client.get(path, headers={"If-None-Match": tag}).status_code == 304
    county.step(app, "submit")
    again = county.client.get(path, headers={"If-None-Match": tag})
    assert again.status_code == 200 and again.json()["status"] == "submitted" and again.headers["etag"] != tag


def test_an_approved_change_waits_for_its_effective_date(county: County) -> None:
    """Applied before its day, a change would show today's place names as historic: applying it is refused (409
    naming the day) and nothing is written; it stays approved."""
    future = (date.today() + timedelta(days=30)).isoformat()
    app = county.step(county.create({**merge_body(), "effective_date": future}), "submit")
    app = county.step(app, "approve", **APPROVAL)
    refused = county.step(app, "apply", expect=409)
    assert future in refused["detail"]
    assert county.client.get(f"/api/v1/divisions/applications/{app['id']}").json()["status"] == "approved"
    assert county.unit(C, date.today().isoformat()).status_code == 200
