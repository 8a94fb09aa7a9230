"""Dates at the edge of the calendar on the routes added in the 2026-12-04 session (review findings): each is a
clear 4xx naming the value, never a 500, and nothing is written."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import Engine, text

from core.database import transaction
from tests.factories import api_key

TOWNSHIP = "150602002000"  # 公园街道, 东胜区
RENAME: dict[str, Any] = {
    "kind": "rename",
    "title": "公园街道更名(测试)",
    "touched": [TOWNSHIP],
    "proposed": [{"name": "公园新街道", "kind": "街道", "code": TOWNSHIP}],
    "effective_date": "2027-01-01",
}
FACILITY: dict[str, Any] = {
    "name": "测试养老院(示意)",
    "kind": "eldercare_institution",
    "beds": 10,
    "lon": 109.98,
    "lat": 39.82,
    "crs": "EPSG:4490",
    "opened_on": "2020-01-01",
}


def applications(engine: Engine) -> int:
    with transaction(engine) as conn:
        return int(conn.execute(text("SELECT count(*) FROM division_application")).scalar_one())


def test_division_application_dates(api: httpx.Client, ordos_engine: Engine) -> None:
    """effective_date 0001-01-01 was a 500 (the day before it overflowed); a Unix time or a datetime was taken as a
    date. All are 422 naming the field, and no application is written."""
    editor = api_key(ordos_engine, "editor", "editor")
    url = "/api/v1/divisions/applications"
    for bad, named in (
        ({"effective_date": "0001-01-01"}, "0001-01-01"),
        ({"effective_date": "1949-09-30"}, "1949-09-30"),
        ({"effective_date": 1798761600}, "effective_date"),
        ({"effective_date": "2027-01-01T00:00:00"}, "effective_date"),
        ({"documents": [{"title": "请示", "issued_on": 0}]}, "issued_on"),
    ):
        response = api.post(url, json=RENAME | bad, headers=editor)
        assert response.status_code == 422, (bad, response.text)
        assert named in response.json()["detail"]
    assert applications(ordos_engine) == 0
    created = api.post(url, json=RENAME, headers=editor)
    assert created.status_code == 201, created.text
    submitted = api.post(f"{url}/{created.json()['id']}/submit", json={"version": 1}, headers=editor)
    approval = {"version": 2, "approving_body": "自治区人民政府", "document_number": "内政字〔2026〕1号"}
    approver = api_key(ordos_engine, "approver", "approver")
    response = api.post(
        f"{url}/{submitted.json()['id']}/approve", json=approval | {"approval_date": 0}, headers=approver
    )
    assert response.status_code == 422 and "approval_date" in response.json()["detail"]


def test_reverse_batch_on_a_day_without_polygons(api: httpx.Client, ordos_engine: Engine) -> None:
    """A day before every registered polygon (an empty index) was a 500: now every point is unmatched."""
    headers = api_key(ordos_engine, "insp", "inspector")
    body = {"points": [[109.98, 39.82], [110.0, 39.8]]}
    today = api.post("/api/v1/reverse/batch", json=body, headers=headers).json()
    assert today["found"] == 2
    for day in ("2020-01-01", "0001-01-01"):
        response = api.post("/api/v1/reverse/batch", json=body | {"as_of": day}, headers=headers)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert (answer["as_of"], answer["found"], answer["units"], answer["results"]) == (day, 0, [], [None, None])


def test_facility_closed_before_the_records(api: httpx.Client, ordos_engine: Engine) -> None:
    """closed_on 0001-01-01 on a stored facility was a 500 (the day before it overflowed), on PUT and in an import;
    now 422 naming it, nothing changed."""
    editor = api_key(ordos_engine, "editor", "editor")
    created = api.post("/api/v1/facilities", json=FACILITY, headers=editor)
    assert created.status_code == 201, created.text
    facility_id = created.json()["id"]
    restated = FACILITY | {"opened_on": None, "closed_on": "0001-01-01", "version": 1}
    response = api.put(f"/api/v1/facilities/{facility_id}", json=restated, headers=editor)
    assert response.status_code == 422 and "closed_on 0001-01-01" in response.json()["detail"]
    csv_text = (
        "external_id,name,kind,lon,lat,beds,closed_on\n"
        "t1,测试院甲(示意),eldercare_institution,109.98,39.82,10,\n"
        "t2,测试院乙(示意),eldercare_institution,109.98,39.82,10,\n"
    )
    params = {"source": "review-fixture", "format": "csv", "name": "fixture.csv", "crs": "EPSG:4490"}
    assert api.post("/api/v1/facilities/import", params=params, content=csv_text, headers=editor).status_code == 200
    closing = csv_text.replace(",10,\nt2", ",11,0001-01-01\nt2")
    response = api.post("/api/v1/facilities/import", params=params, content=closing.encode(), headers=editor)
    assert response.status_code == 422 and "closed_on 0001-01-01" in response.json()["detail"]
    stored = api.get("/api/v1/facilities", params={"kind": "eldercare_institution"}).json()
    assert [(f["beds"], f["closed_on"]) for f in stored if f["name"] == "测试院甲(示意)"] == [(10, None)]
    assert api.get(f"/api/v1/facilities/{facility_id}").json()["closed_on"] is None
