"""Editing the registry through the API: propose, approve, update, rename, retire; versions, roles, audit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.factories import api_key

APPROVAL = {
    "approving_body": "鄂尔多斯市人民政府",
    "document_number": "鄂府发〔2026〕1号",
    "approval_date": "2026-03-01",
}


def counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(text("SELECT count(*) FROM place_name")).scalar_one(),
            conn.execute(text("SELECT count(*) FROM name_event")).scalar_one(),
            conn.execute(text("SELECT count(*) FROM audit_log WHERE object_type = 'place_name'")).scalar_one(),
        )


@pytest.fixture
def keys(ordos_engine: Engine) -> dict[str, dict[str, str]]:
    return {role: api_key(ordos_engine, role, role) for role in ("editor", "approver", "inspector")}


def propose(api: httpx.Client, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    body = {
        "name": "康和广场",
        "category": "9",
        "unit": "150603",
        "point": {"lon": 109.78, "lat": 39.61, "crs": "EPSG:4326"},
        "meaning": "取康巴什之康、和谐之和",
        "tags": ["广场"],
        **extra,
    }
    response = api.post("/api/v1/places", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_proposal_to_standard_then_rename_then_retire(
    api: httpx.Client, ordos_engine: Engine, keys: dict[str, dict[str, str]]
) -> None:
    proposal = propose(api, keys["editor"])
    assert proposal["status"] == "proposed" and proposal["version"] == 1
    assert proposal["romanization"] == "Kanghe Guangchang"
    before = api.get("/api/v1/places/search", params={"q": "康和广场"}).json()["results"]
    assert proposal["id"] not in {h["id"] for h in before}  # a proposal is not public yet
    url = f"/api/v1/places/{proposal['id']}"
    body = {"version": 1, **APPROVAL}
    assert api.post(url + "/approve", headers=keys["editor"], json=body).status_code == 403
    approved = api.post(url + "/approve", headers=keys["approver"], json=body)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "standard" and approved.json()["version"] == 2
    hit = api.get("/api/v1/places/search", params={"q": "康和广场"}).json()["results"][0]
    assert hit["id"] == proposal["id"] and hit["status"] == "standard"

    updated = api.patch(url, headers=keys["editor"], json={"version": 2, "changes": {"history": "2026年命名"}})
    assert updated.status_code == 200 and updated.json()["history"] == "2026年命名"
    renamed = api.post(
        url + "/rename",
        headers=keys["editor"],
        json={"version": 3, "new_name": "康和文化广场", "effective_date": "2030-01-01", **APPROVAL},
    )
    assert renamed.status_code == 200, renamed.text
    new = renamed.json()
    assert new["name"] == "康和文化广场" and new["place_id"] == proposal["id"]
    assert [(n["name"], n["status"]) for n in new["names"]] == [("康和广场", "historic"), ("康和文化广场", "standard")]
    assert [e["kind"] for e in new["events"]] == ["naming", "renaming"]
    retired = api.post(
        f"/api/v1/places/{new['id']}/retire",
        headers=keys["editor"],
        json={"version": new["version"], "effective_date": "2031-01-01", **APPROVAL},
    )
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    again = api.post(
        f"/api/v1/places/{new['id']}/retire",
        headers=keys["editor"],
        json={"version": retired.json()["version"], "effective_date": "2032-01-01", **APPROVAL},
    )
    assert again.status_code == 409 and "already retired" in again.json()["detail"]
    admin = api_key(ordos_engine, "root", "admin")
    actions = [
        a["action"]
        for a in api.get("/api/v1/audit", headers=admin, params={"object_type": "place_name", "limit": 20}).json()
    ]
    assert actions[:5] == ["retire", "rename", "update", "approve", "create"]


def test_stale_version_is_409_and_changes_nothing(
    api: httpx.Client, ordos_engine: Engine, keys: dict[str, dict[str, str]]
) -> None:
    proposal = propose(api, keys["editor"])
    url = f"/api/v1/places/{proposal['id']}"
    assert api.patch(url, headers=keys["editor"], json={"version": 1, "changes": {"origin": "甲"}}).status_code == 200
    before = counts(ordos_engine)
    stale = api.patch(url, headers=keys["editor"], json={"version": 1, "changes": {"origin": "乙"}})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert counts(ordos_engine) == before
    assert api.get(url).json()["origin"] == "甲"


@pytest.mark.parametrize(
    ("route", "body", "status", "needle"),
    [
        (
            "rename",
            {"version": 1, "new_name": "东胜区", "effective_date": "2030-01-01", **APPROVAL},
            422,
            "current name",
        ),
        ("rename", {"version": 1, "new_name": "东城区", "effective_date": "2030-01-01"}, 422, "approving_body"),
        ("rename", {"version": 1, "new_name": "东城区", **APPROVAL}, 422, "effective_date"),
        ("rename", {"version": 1, "new_name": "东城区", "effective_date": "2001-01-01", **APPROVAL}, 422, "2001-01-01"),
        ("rename", {"version": 7, "new_name": "东城区", "effective_date": "2030-01-01", **APPROVAL}, 409, "version 1"),
        ("retire", {"version": 1, "effective_date": "2030-13-01", **APPROVAL}, 422, "2030-13-01"),
        ("approve", {"version": 1, **APPROVAL}, 409, "not a proposal"),
    ],
)
def test_bad_decisions_change_nothing(
    api: httpx.Client,
    ordos_engine: Engine,
    keys: dict[str, dict[str, str]],
    route: str,
    body: dict[str, Any],
    status: int,
    needle: str,
) -> None:
    dongsheng = api.get("/api/v1/places/search", params={"q": "东胜区"}).json()["results"][0]["id"]
    before = counts(ordos_engine)
    response = api.post(f"/api/v1/places/{dongsheng}/{route}", headers=keys["approver"], json=body)
    assert response.status_code == status, response.text
    assert needle in response.json()["detail"]
    assert counts(ordos_engine) == before


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ({"category": "99"}, "99"),
        ({"unit": "150699"}, "150699"),
        ({"name": "  "}, "empty"),
        ({"name": "康和\x1b广场"}, "control"),
        ({"secrecy": "top"}, "top"),
        ({"point": {"lon": 39.61, "lat": 109.78}}, "109.78"),
    ],
)
def test_bad_proposals(
    api: httpx.Client, ordos_engine: Engine, keys: dict[str, dict[str, str]], extra: dict[str, Any], needle: str
) -> None:
    before = counts(ordos_engine)
    body = {"name": "康和广场", "category": "9", "unit": "150603", **extra}
    response = api.post("/api/v1/places", headers=keys["editor"], json=body)
    assert response.status_code == 422, response.text
    assert needle in response.json()["detail"]
    assert counts(ordos_engine) == before


def test_update_refuses_the_name_unknown_fields_and_wrong_types(
    api: httpx.Client, keys: dict[str, dict[str, str]]
) -> None:
    proposal = propose(api, keys["editor"])
    url = f"/api/v1/places/{proposal['id']}"
    for changes, needle in (
        ({"name": "别名"}, "changes.name: Extra inputs are not permitted"),
        ({"colour": "red"}, "changes.colour"),
        ({}, "nothing"),
        ({"meaning": 5}, "changes.meaning"),  # was stored as "5"
        ({"tags": "广场"}, "changes.tags"),
        ({"approval_date": 0}, "changes.approval_date"),  # was read as 1970-01-01
        ({"secrecy": "top"}, "top"),
    ):
        response = api.patch(url, headers=keys["editor"], json={"version": 1, "changes": changes})
        assert response.status_code == 422 and needle in response.json()["detail"], response.text
    assert api.get(url).json()["version"] == 1
    assert api.patch(url, headers=keys["inspector"], json={"version": 1, "changes": {"origin": "x"}}).status_code == 403
