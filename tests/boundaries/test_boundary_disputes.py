"""The dispute-case register: open, mediate, resolve with a dated timeline, links, /at, roles, audit, bad input."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.factories import role_key

# A hand-made disputed square across the 东胜区–康巴什区 line (EPSG:4490 lon/lat), not real data.
GROUND = {
    "type": "Polygon",
    "coordinates": [[[109.90, 39.75], [109.95, 39.75], [109.95, 39.80], [109.90, 39.80], [109.90, 39.75]]],
}
URL = "/api/v1/boundaries/disputes"


def new_case(**change: object) -> dict:
    return {
        "title": "东胜—康巴什 草场界争议",
        "units": ["150602", "150603"],
        "opened_on": "2026-03-01",
        "geometry": GROUND,
        "crs": "EPSG:4490",
        "documents": [{"title": "村民来信", "reference": "信访〔2026〕12号", "issued_on": "2026-02-20"}],
        "note": "两村对草场界线各执一词",
        **change,
    }


CASE_UNITS = {"150602000000", "150603000000"}


def vendor_comparison(api: httpx.Client, editor: dict[str, str]) -> dict:
    """The banners of AMap 2020 (registered) compared with DataV 2021: a comparison with disputed pieces."""
    body = {"parent": "150600", "level": "county", "second": "datav-2021"}
    response = api.post("/api/v1/boundaries/compare", headers=editor, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_case_life_from_open_to_resolved(api: httpx.Client, ordos_engine: Engine) -> None:
    editor = role_key(ordos_engine)
    compared = vendor_comparison(api, editor)
    listed = api.get("/api/v1/boundaries/comparisons").json()  # newest first, with what each found
    assert listed[0]["id"] == compared["id"] and listed[0]["second_label"] == "datav-2021"
    assert listed[0]["disputed"] == compared["summary"]["disputed"] and listed[0]["systematic_offset"] is None
    between = [p["id"] for p in compared["pieces"] if {p["first_unit"], p["second_unit"]} & CASE_UNITS][:3]
    assert between, "the comparison gives pieces on 东胜 or 康巴什 ground"
    created = api.post(URL, headers=editor, json=new_case(comparison_id=compared["id"], piece_ids=between))
    assert created.status_code == 201, created.text
    case = created.json()
    assert case["piece_ids"] == sorted(between)  # the case names the pieces it is about
    assert case["status"] == "open" and case["units"] == ["150602000000", "150603000000"]
    assert case["comparison_id"] == compared["id"] and case["version"] == 1
    assert [e["kind"] for e in case["timeline"]] == ["opened"] and case["timeline"][0]["on_date"] == "2026-03-01"
    at = api.get("/api/v1/boundaries/at", params={"lon": 109.92, "lat": 39.77, "crs": "EPSG:4490"}).json()
    assert [c["id"] for c in at["open_disputes"]] == [case["id"]] and at["in_dispute"] is True

    mediating = api.patch(
        f"{URL}/{case['id']}",
        headers=editor,
        json={"version": 1, "on_date": "2026-04-10", "status": "mediating", "note": "两旗区民政局联合调处"},
    )
    assert mediating.status_code == 200, mediating.text
    stale = api.patch(f"{URL}/{case['id']}", headers=editor, json={"version": 1, "on_date": "2026-04-11", "note": "x"})
    assert stale.status_code == 409
    resolved = api.patch(
        f"{URL}/{case['id']}",
        headers=editor,
        json={
            "version": 2,
            "on_date": "2026-06-01",
            "status": "resolved",
            "add_documents": [{"title": "调解协议书", "reference": "鄂民调〔2026〕3号"}],
        },
    ).json()
    assert resolved["status"] == "resolved" and resolved["version"] == 3
    assert [(e["on_date"], e["kind"]) for e in resolved["timeline"]] == [
        ("2026-03-01", "opened"),
        ("2026-04-10", "status"),
        ("2026-06-01", "status"),
        ("2026-06-01", "document"),
    ]
    assert len(resolved["documents"]) == 2
    after = api.get("/api/v1/boundaries/at", params={"lon": 109.92, "lat": 39.77, "crs": "EPSG:4490"}).json()
    assert after["open_disputes"] == []
    assert [c["id"] for c in api.get(URL, params={"status": "resolved", "unit": "150603"}).json()] == [case["id"]]
    assert api.get(URL, params={"status": "open"}).json() == []
    with ordos_engine.connect() as conn:
        audited = conn.execute(
            text("SELECT action FROM audit_log WHERE object_type = 'dispute_case' ORDER BY id")
        ).all()
    assert [a.action for a in audited] == ["create", "update", "update"]


def test_pieces_must_belong_to_the_linked_comparison(api: httpx.Client, ordos_engine: Engine) -> None:
    editor = role_key(ordos_engine)
    compared = vendor_comparison(api, editor)
    piece = compared["pieces"][0]["id"]
    cases = [
        (new_case(piece_ids=[piece]), "give its comparison_id too"),
        (new_case(comparison_id=compared["id"], piece_ids=[piece, 99_999_999]), "99999999 are not pieces"),
    ]
    for body, needle in cases:
        response = api.post(URL, headers=editor, json=body)
        assert response.status_code == 422 and needle in response.json()["detail"], response.text
    assert api.get(URL).json() == []


@pytest.mark.parametrize(
    ("change", "status", "needle"),
    [
        ({"units": ["159999"]}, 404, "159999000000"),
        ({"units": []}, 422, "units"),
        ({"crs": None}, 422, "no CRS"),
        ({"crs": "EPSG:3857"}, 422, "EPSG:3857"),
        (
            {
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[109.9, 39.7], [110, 39.8], [110, 39.7], [109.9, 39.8], [109.9, 39.7]]],
                }
            },
            422,
            "Self-intersection",
        ),
        ({"comparison_id": 999999}, 422, "999999"),
        ({"check_id": 999999}, 422, "999999"),
        ({"title": ""}, 422, "title"),
        ({"opened_on": "2026-02-30"}, 422, "2026-02-30"),
    ],
)
def test_bad_cases_write_nothing(
    api: httpx.Client, ordos_engine: Engine, change: dict, status: int, needle: str
) -> None:
    response = api.post(URL, headers=role_key(ordos_engine), json=new_case(**change))
    assert response.status_code == status, response.text
    assert needle in response.json()["detail"]
    with ordos_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM dispute_case")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM dispute_event")).scalar_one() == 0


def test_bad_updates_and_roles(api: httpx.Client, ordos_engine: Engine) -> None:
    editor = role_key(ordos_engine)
    assert api.post(URL, json=new_case()).status_code == 401
    assert api.post(URL, headers=role_key(ordos_engine, "inspector"), json=new_case()).status_code == 403
    case = api.post(URL, headers=editor, json=new_case()).json()
    url = f"{URL}/{case['id']}"
    cases = [
        ({"version": 1, "on_date": "2026-04-01", "status": "closed"}, 422, "closed"),
        ({"version": 1, "on_date": "2026-04-01", "status": "open"}, 422, "already open"),
        ({"version": 1, "on_date": "2026-04-01"}, 422, "nothing to change"),
        ({"version": 1, "on_date": "2999-01-01", "note": "x"}, 422, "future"),
        ({"version": 1, "on_date": "2026-02-28", "note": "x"}, 422, "before the case was opened (2026-03-01)"),
        ({"version": 0, "on_date": "2026-04-01", "note": "x"}, 422, "version"),
    ]
    for body, status, needle in cases:
        response = api.patch(url, headers=editor, json=body)
        assert response.status_code == status, (body, response.text)
        assert needle in response.json()["detail"]
    assert (
        api.patch(
            f"{URL}/888888", headers=editor, json={"version": 1, "on_date": "2026-04-01", "note": "x"}
        ).status_code
        == 404
    )
    assert api.get(f"{URL}/888888").status_code == 404
    assert api.get(URL, params={"status": "closed"}).status_code == 422
    assert api.get(f"{url}").json()["version"] == 1  # nothing changed


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/boundaries/lines",
        "/api/v1/boundaries/markers",
        "/api/v1/boundaries/disputes",
        "/api/v1/boundaries/hazards",
    ],
)
def test_an_unknown_unit_is_404_on_every_boundaries_list(ordos_api: httpx.Client, path: str) -> None:
    response = ordos_api.get(path, params={"unit": "159999"})
    assert response.status_code == 404, response.text
    assert "159999" in response.json()["detail"]
    assert ordos_api.get(path, params={"unit": "150603"}).status_code == 200  # a known unit lists, maybe nothing
