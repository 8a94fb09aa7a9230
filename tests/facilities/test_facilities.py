"""Facility registry: CRUD as editor with optimistic concurrency, unit from the point or declared and checked,
atomic imports (CSV/GeoJSON with a CRS), population per unit. Every facility here is a hand-made fixture."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from core import auth
from core.database import transaction

# Hand-made fixture points (not real facilities): one in 东胜区 (the 交通街道 reference point, GCJ-02 as in its
# source file) and one inside 康巴什区 (EPSG:4490).
DONGSHENG_GCJ = (109.984653, 39.818352)
KANGBASHI = (109.78, 39.61)
JIAOTONG = "150602001000"  # 交通街道, 东胜区


def editor(engine: Engine, name: str = "ed") -> dict[str, str]:
    with transaction(engine) as conn:
        return {"X-API-Key": auth.create_user(conn, name, "editor")}


def facility(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "测试养老服务站(fixture)",
        "kind": "community_eldercare_site",
        "lon": KANGBASHI[0],
        "lat": KANGBASHI[1],
        "crs": "EPSG:4490",
        "illustrative": True,
    }
    body.update(overrides)
    return body


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608 (fixed names)


def test_create_finds_the_unit_from_the_point(api: httpx.Client, ordos_engine: Engine) -> None:
    created = api.post("/api/v1/facilities", json=facility(), headers=editor(ordos_engine))
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["unit_code"], body["unit_method"], body["version"]) == ("150603000000", "polygon", 1)
    assert body["kind_label"] == "社区养老服务设施"
    assert api.get(f"/api/v1/facilities/{body['id']}").json()["name"] == "测试养老服务站(fixture)"
    with ordos_engine.connect() as conn:
        audit = conn.execute(text("SELECT actor, action FROM audit_log WHERE object_type = 'facility'")).all()
    assert [tuple(a) for a in audit] == [("ed", "create")]


def test_declared_township_is_kept_when_the_point_lies_in_its_banner(api: httpx.Client, ordos_engine: Engine) -> None:
    body = facility(kind="cemetery", cemetery_type="public_welfare", unit_code="150602001", crs="GCJ-02")
    body["lon"], body["lat"] = DONGSHENG_GCJ
    created = api.post("/api/v1/facilities", json=body, headers=editor(ordos_engine))
    assert created.status_code == 201, created.text
    assert (created.json()["unit_code"], created.json()["unit_method"]) == (JIAOTONG, "declared")
    # the point was converted from GCJ-02: it is no longer at the GCJ-02 coordinates (offset is ~300-700 m)
    assert abs(created.json()["lon"] - DONGSHENG_GCJ[0]) > 0.002


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"unit_code": "150602001"}, "does not match the point"),  # 交通街道 is in 东胜区, the point in 康巴什区
        ({"unit_code": "150699"}, "not a current unit"),
        ({"unit_code": "15x"}, "division code"),
        ({"lon": 116.39, "lat": 39.91}, "outside Ordos"),  # Beijing
        ({"lon": 39.61, "lat": 109.78}, "swapped"),
        ({"beds": -5}, "beds"),
        ({"beds": 10, "nursing_beds": 20}, "exceeds beds"),
        ({"kind": "crematorium"}, "kind"),
        ({"kind": "cemetery"}, "cemetery_type"),
        ({"cemetery_type": "public_welfare"}, "cemetery_type"),
        ({"crs": "EPSG:3857"}, "unsupported CRS"),
        ({"name": "  "}, "name"),
        ({"status": "open"}, "status"),
        ({"opened_on": "2020-13-01"}, "opened_on"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_facilities_are_refused_and_nothing_is_written(
    api: httpx.Client, ordos_engine: Engine, overrides: dict[str, Any], needle: str
) -> None:
    response = api.post("/api/v1/facilities", json=facility(**overrides), headers=editor(ordos_engine))
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_input"
    assert needle in response.json()["detail"]
    assert count(ordos_engine, "facility") == 0


def test_writes_need_an_editor(api: httpx.Client, ordos_engine: Engine) -> None:
    assert api.post("/api/v1/facilities", json=facility()).status_code == 401
    with transaction(ordos_engine) as conn:
        inspector = {"X-API-Key": auth.create_user(conn, "insp", "inspector")}
    assert api.post("/api/v1/facilities", json=facility(), headers=inspector).status_code == 403
    assert count(ordos_engine, "facility") == 0


def test_update_with_the_read_version_and_stale_versions_refused(api: httpx.Client, ordos_engine: Engine) -> None:
    headers = editor(ordos_engine)
    first = api.post("/api/v1/facilities", json=facility(), headers=headers).json()
    changed = api.put(
        f"/api/v1/facilities/{first['id']}", json={**facility(name="改名站(fixture)"), "version": 1}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["version"]) == ("改名站(fixture)", 2)
    stale = api.put(f"/api/v1/facilities/{first['id']}", json={**facility(name="旧"), "version": 1}, headers=headers)
    assert stale.status_code == 409
    assert "version 2" in stale.json()["detail"]
    assert api.get(f"/api/v1/facilities/{first['id']}").json()["name"] == "改名站(fixture)"
    assert api.delete(f"/api/v1/facilities/{first['id']}?version=1", headers=headers).status_code == 409
    assert api.delete(f"/api/v1/facilities/{first['id']}?version=2", headers=headers).status_code == 204
    assert api.get(f"/api/v1/facilities/{first['id']}").status_code == 404
    bad = api.put("/api/v1/facilities/999999", json={**facility(), "version": 1}, headers=headers)
    assert bad.status_code == 404
    with ordos_engine.connect() as conn:
        actions = conn.execute(text("SELECT action FROM audit_log WHERE object_type = 'facility' ORDER BY id")).all()
    assert [a[0] for a in actions] == ["create", "update", "delete"]


def test_list_filters_by_kind_and_unit(api: httpx.Client, ordos_engine: Engine) -> None:
    headers = editor(ordos_engine)
    api.post("/api/v1/facilities", json=facility(), headers=headers)
    home = facility(kind="eldercare_institution", beds=80, nursing_beds=30, ownership="public", crs="GCJ-02")
    home["lon"], home["lat"] = DONGSHENG_GCJ
    api.post("/api/v1/facilities", json=home, headers=headers)
    assert len(api.get("/api/v1/facilities").json()) == 2
    assert [f["beds"] for f in api.get("/api/v1/facilities?unit=150602").json()] == [80]
    assert len(api.get("/api/v1/facilities?kind=community_eldercare_site").json()) == 1
    assert api.get("/api/v1/facilities?kind=zoo").status_code == 422
    assert api.get("/api/v1/facilities?status=open").status_code == 422
    assert api.get("/api/v1/facilities?unit=150699").status_code == 404


CSV_FIXTURE = (
    "external_id,name,kind,cemetery_type,beds,lon,lat,unit_code\n"
    f"c1,示例公墓甲(fixture),cemetery,public_welfare,,{DONGSHENG_GCJ[0]},{DONGSHENG_GCJ[1]},150602001\n"
    f"c2,示例养老院(fixture),eldercare_institution,,120,{DONGSHENG_GCJ[0] + 0.01},{DONGSHENG_GCJ[1]},\n"
    f"c3,示例服务站(fixture),community_eldercare_site,,,{DONGSHENG_GCJ[0]},{DONGSHENG_GCJ[1] + 0.01},\n"
)


def import_csv(api: httpx.Client, headers: dict[str, str], content: str, **params: Any) -> httpx.Response:
    query = {"source": "fixture-list", "format": "csv", "crs": "GCJ-02", "illustrative": "true", **params}
    return api.post("/api/v1/facilities/import", params=query, content=content.encode("utf-8"), headers=headers)


def test_csv_import_then_reimport_changes_nothing(api: httpx.Client, ordos_engine: Engine) -> None:
    headers = editor(ordos_engine)
    first = import_csv(api, headers, CSV_FIXTURE)
    assert first.status_code == 200, first.text
    assert (first.json()["inserted"], first.json()["unchanged"]) == (3, 0)
    again = import_csv(api, headers, "\ufeff" + CSV_FIXTURE)  # a BOM is fine
    assert (again.json()["inserted"], again.json()["updated"], again.json()["unchanged"]) == (0, 0, 3)
    edited = import_csv(api, headers, CSV_FIXTURE.replace(",120,", ",150,"))
    assert (edited.json()["updated"], edited.json()["unchanged"]) == (1, 2)
    home = api.get("/api/v1/facilities?kind=eldercare_institution").json()[0]
    assert (home["beds"], home["version"], home["illustrative"]) == (150, 2, True)
    with ordos_engine.connect() as conn:
        imports = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE action = 'import' AND object_type = 'facility'")
        ).scalar_one()
    assert imports == 3  # one audit row per batch


@pytest.mark.parametrize(
    ("content", "params", "needle"),
    [
        (CSV_FIXTURE + "c4,坏(fixture),cemetery,,,109.98,39.81,\n", {}, "row 4"),
        (CSV_FIXTURE + "c5,远(fixture),funeral_home,,,116.39,39.91,\n", {}, "outside Ordos"),
        (CSV_FIXTURE + "c1,重复(fixture),funeral_home,,,109.98,39.81,\n", {}, "appears twice"),
        (CSV_FIXTURE + "c6,负床(fixture),eldercare_institution,,-3,109.98,39.81,\n", {}, "beds"),
        (CSV_FIXTURE + "c7,x(fixture),funeral_home,,,abc,39.81,\n", {}, "lon"),
        ("id,name\n1,a\n", {}, "missing column"),
        (CSV_FIXTURE, {"crs": "WGS84"}, "unsupported CRS"),
        (CSV_FIXTURE, {"format": "shp"}, "format"),
        (CSV_FIXTURE, {"crs": None}, "states no CRS"),
    ],
)
def test_bad_imports_write_nothing(
    api: httpx.Client, ordos_engine: Engine, content: str, params: dict[str, Any], needle: str
) -> None:
    query = {"source": "fixture-list", "format": "csv", "crs": "GCJ-02", **params}
    query = {k: v for k, v in query.items() if v is not None}
    response = api.post(
        "/api/v1/facilities/import", params=query, content=content.encode(), headers=editor(ordos_engine)
    )
    assert response.status_code == 422, response.text
    assert needle in response.text
    assert count(ordos_engine, "facility") == 0


def test_skip_invalid_writes_the_valid_rows(api: httpx.Client, ordos_engine: Engine) -> None:
    content = CSV_FIXTURE + "c4,坏(fixture),cemetery,,,109.98,39.81,\n"
    report = import_csv(api, editor(ordos_engine), content, skip_invalid="true").json()
    assert (report["inserted"], report["rejected_count"]) == (3, 1)
    assert report["rejected"][0]["row"] == 4
    assert count(ordos_engine, "facility") == 3


def test_non_utf8_upload_is_refused(api: httpx.Client, ordos_engine: Engine) -> None:
    response = api.post(
        "/api/v1/facilities/import",
        params={"source": "gbk", "format": "csv", "crs": "GCJ-02"},
        content=CSV_FIXTURE.encode("gb18030"),
        headers=editor(ordos_engine),
    )
    assert response.status_code == 422
    assert "not UTF-8" in response.json()["detail"]


def test_geojson_import_reads_the_files_crs(api: httpx.Client, ordos_engine: Engine) -> None:
    document: dict[str, Any] = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
        "features": [
            {
                "type": "Feature",
                "id": "g1",
                "geometry": {"type": "Point", "coordinates": list(KANGBASHI)},
                "properties": {"name": "示例儿童福利院(fixture)", "kind": "child_welfare", "capacity": 60},
            }
        ],
    }
    params = {"source": "fixture-geojson", "format": "geojson"}
    headers = editor(ordos_engine)
    report = api.post("/api/v1/facilities/import", params=params, content=json.dumps(document), headers=headers)
    assert report.status_code == 200, report.text
    assert "EPSG:4490 (from the file)" in report.json()["notes"][0]
    stored = api.get("/api/v1/facilities").json()[0]
    assert (stored["lon"], stored["lat"], stored["unit_code"]) == (KANGBASHI[0], KANGBASHI[1], "150603000000")
    del document["crs"]
    refused = api.post("/api/v1/facilities/import", params=params, content=json.dumps(document), headers=headers)
    assert refused.status_code == 422
    assert "states no CRS" in refused.json()["detail"]
    document["features"][0]["geometry"] = {"type": "LineString", "coordinates": [[109.7, 39.6], [109.8, 39.6]]}
    line = api.post(
        "/api/v1/facilities/import",
        params={**params, "crs": "EPSG:4490"},
        content=json.dumps(document),
        headers=headers,
    )
    assert line.status_code == 422
    assert "not a Point" in line.json()["detail"]
    notjson = api.post("/api/v1/facilities/import", params=params, content=b"{oops", headers=headers)
    assert notjson.status_code == 422
    odd = {"type": "FeatureCollection", "features": ["x", {"type": "Feature", "properties": [1], "geometry": 5}]}
    refused_odd = api.post(
        "/api/v1/facilities/import", params={**params, "crs": "EPSG:4490"}, content=json.dumps(odd), headers=headers
    )
    assert refused_odd.status_code == 422
    assert "row 1" in refused_odd.json()["detail"] and "row 2" in refused_odd.json()["detail"]
    assert count(ordos_engine, "facility") == 1


POPULATION_FIXTURE = "unit_code,year,total,aged_60_plus\n150602,2023,600000,90000\n150602001,2023,40000,7000\n"


def test_population_import_and_reimport(api: httpx.Client, ordos_engine: Engine) -> None:
    headers = editor(ordos_engine)
    params = {"source": "fixture-census"}
    first = api.post("/api/v1/population/import", params=params, content=POPULATION_FIXTURE, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["inserted"] == 2
    again = api.post("/api/v1/population/import", params=params, content=POPULATION_FIXTURE, headers=headers)
    assert again.json()["unchanged"] == 2
    rows = api.get("/api/v1/population?unit=150602").json()
    assert {(r["unit_code"], r["aged_60_plus"]) for r in rows} == {("150602000000", 90000), (JIAOTONG, 7000)}


@pytest.mark.parametrize(
    ("extra_row", "needle"),
    [
        ("150699,2023,10,1", "not a current unit"),
        ("abc,2023,10,1", "division code"),
        ("150603,2023,10,20", "exceeds total"),
        ("150603,2023,-10,1", "whole number"),
        ("150603,1800,10,1", "out of range"),
        ("150602,2023,10,1", "appears twice"),
    ],
)
def test_bad_population_rows_write_nothing(
    api: httpx.Client, ordos_engine: Engine, extra_row: str, needle: str
) -> None:
    response = api.post(
        "/api/v1/population/import",
        params={"source": "fixture-census"},
        content=POPULATION_FIXTURE + extra_row + "\n",
        headers=editor(ordos_engine),
    )
    assert response.status_code == 422, response.text
    assert needle in response.json()["detail"]
    assert count(ordos_engine, "unit_population") == 0
