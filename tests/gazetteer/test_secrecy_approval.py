"""Two-person rule for secrecy (密级): lowering a record's secrecy is a proposal that an approver other than the
proposer must approve (audited with both names); raising it is immediate; an import never lowers it.

Every record here is a hand-made fixture (试验… names at a made-up spot inside 康巴什区), not real data.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from core.database import transaction
from core.errors import InvalidInput
from tests.factories import api_key

SPOT = (109.78123, 39.61234)  # EPSG:4490, inside 康巴什区 (150603)
HEADERS = ("editor", "editor2", "approver", "approver2", "inspector")
APPROVAL = {"approving_body": "康巴什区人民政府", "document_number": "康府发〔2026〕9号"}


@pytest.fixture
def keys(ordos_engine: Engine) -> dict[str, dict[str, str]]:
    return {name: api_key(ordos_engine, name, name.rstrip("2")) for name in HEADERS}


def create(api: httpx.Client, headers: dict[str, str], secrecy: str = "secret") -> dict[str, Any]:
    body = {
        "name": "试验水源地",
        "category": "8",
        "unit": "150603",
        "point": {"lon": SPOT[0], "lat": SPOT[1], "crs": "EPSG:4490"},
        "secrecy": secrecy,
    }
    response = api.post("/api/v1/places", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def patch(api: httpx.Client, headers: dict[str, str], record: dict[str, Any], **changes: Any) -> httpx.Response:
    url = f"/api/v1/places/{record['id']}"
    return api.patch(url, headers=headers, json={"version": record["version"], "changes": changes})


def decide(api: httpx.Client, headers: dict[str, str], proposal: dict[str, Any], decision: str) -> httpx.Response:
    return api.post(f"/api/v1/secrecy-proposals/{proposal['id']}/{decision}", headers=headers)


def stored(engine: Engine, place_name_id: int) -> tuple[str, int]:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT secrecy, version FROM place_name WHERE id = :id"), {"id": place_name_id}).one()
    return row.secrecy, row.version


def exact_point_shown(api: httpx.Client, place_name_id: int) -> bool:
    point = api.get(f"/api/v1/places/{place_name_id}").json()["point"]
    return (round(point["lon"], 5), round(point["lat"], 5)) == SPOT


def audit_rows(api: httpx.Client, admin: dict[str, str], place_name_id: int) -> list[dict[str, Any]]:
    rows = api.get("/api/v1/audit", headers=admin, params={"object_type": "place_name", "limit": 50}).json()
    return [r for r in rows if r["object_id"] == str(place_name_id)]


def test_editor_alone_cannot_lower_secrecy_an_approver_applies_it(
    api: httpx.Client, ordos_engine: Engine, keys: dict[str, dict[str, str]]
) -> None:
    record = create(api, keys["editor"])
    assert not exact_point_shown(api, record["id"])
    lowered = patch(api, keys["editor"], record, secrecy="public")
    assert lowered.status_code == 202, lowered.text
    proposal = lowered.json()
    assert {k: proposal[k] for k in ("status", "from_secrecy", "to_secrecy", "proposed_by", "decided_by")} == {
        "status": "pending",
        "from_secrecy": "secret",
        "to_secrecy": "public",
        "proposed_by": "editor",
        "decided_by": None,
    }
    # nothing published: the record, its version and every public location are as they were
    assert stored(ordos_engine, record["id"]) == ("secret", record["version"])
    assert not exact_point_shown(api, record["id"])
    assert decide(api, keys["editor"], proposal, "approve").status_code == 403  # an editor is no approver
    assert stored(ordos_engine, record["id"]) == ("secret", record["version"])

    approved = decide(api, keys["approver"], proposal, "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["decided_by"] == "approver"
    assert stored(ordos_engine, record["id"]) == ("public", record["version"] + 1)
    assert exact_point_shown(api, record["id"])
    again = decide(api, keys["approver2"], proposal, "approve")
    assert again.status_code == 409 and "already approved by approver" in again.json()["detail"]

    admin = api_key(ordos_engine, "root", "admin")
    actions = {r["action"]: r for r in audit_rows(api, admin, record["id"])}
    assert actions["propose_secrecy"]["actor"] == "editor"
    approval = actions["approve_secrecy"]
    assert approval["actor"] == "approver"
    assert approval["after"] == {
        "secrecy": "public",
        "proposal_id": proposal["id"],
        "proposed_by": "editor",
        "approved_by": "approver",
    }
    assert approval["before"] == {"secrecy": "secret", "version": record["version"]}


def test_the_proposer_cannot_approve_their_own_lowering(
    api: httpx.Client, ordos_engine: Engine, keys: dict[str, dict[str, str]]
) -> None:
    record = create(api, keys["approver"])
    proposal = patch(api, keys["approver"], record, secrecy="internal").json()  # an approver proposes like anyone
    own = decide(api, keys["approver"], proposal, "approve")
    assert own.status_code == 403 and "two-person rule" in own.json()["detail"]
    assert decide(api, keys["approver"], proposal, "reject").status_code == 403
    assert stored(ordos_engine, record["id"]) == ("secret", record["version"])
    assert decide(api, keys["approver2"], proposal, "approve").status_code == 200
    assert stored(ordos_engine, record["id"]) == ("internal", record["version"] + 1)
    # the database refuses a decision by the proposer even without the service
    with pytest.raises(InvalidInput, match="two_persons"), transaction(ordos_engine) as conn:
        conn.execute(
            text("UPDATE place_secrecy_proposal SET decided_by = proposed_by WHERE id = :id"), {"id": proposal["id"]}
        )


def test_raising_is_immediate_and_every_lowering_is_a_proposal(
    api: httpx.Client, ordos_engine: Engine, keys: dict[str, dict[str, str]]
) -> None:
    record = create(api, keys["editor"], secrecy="public")
    assert exact_point_shown(api, record["id"])
    raised = patch(api, keys["editor"], record, secrecy="internal", meaning="水源保护区")
    assert raised.status_code == 200, raised.text
    assert raised.json()["secrecy"] == "internal" and not exact_point_shown(api, record["id"])
    raised = patch(api, keys["editor"], raised.json(), secrecy="secret")
    assert raised.status_code == 200 and raised.json()["secrecy"] == "secret"
    record = raised.json()
    for lower in ("internal", "public"):  # secret → internal is a lowering too
        proposal = patch(api, keys["editor"], record, secrecy=lower)
        assert proposal.status_code == 202 and proposal.json()["to_secrecy"] == lower
        rejected = decide(api, keys["approver"], proposal.json(), "reject")
        assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert stored(ordos_engine, record["id"]) == ("secret", record["version"])
    same = patch(api, keys["editor"], record, secrecy="secret", origin="旧志")  # not a lowering: written
    assert same.status_code == 200 and same.json()["origin"] == "旧志"
    proposals = api.get("/api/v1/secrecy-proposals", headers=keys["editor"], params={"place": record["id"]}).json()
    assert [(p["to_secrecy"], p["status"], p["decided_by"]) for p in proposals] == [
        ("public", "rejected", "approver"),
        ("internal", "rejected", "approver"),
    ]
    admin = api_key(ordos_engine, "root", "admin")
    rejection = next(r for r in audit_rows(api, admin, record["id"]) if r["action"] == "reject_secrecy")
    assert rejection["after"]["proposed_by"] == "editor" and rejection["after"]["rejected_by"] == "approver"


def test_a_lowering_travels_alone_and_one_at_a_time(
    api: httpx.Client, ordos_engine: Engine, keys: dict[str, dict[str, str]]
) -> None:
    record = create(api, keys["editor"])
    mixed = patch(api, keys["editor"], record, secrecy="public", meaning="水源")
    assert mixed.status_code == 422 and "send it alone" in mixed.json()["detail"]
    moved = api.patch(
        f"/api/v1/places/{record['id']}",
        headers=keys["editor"],
        json={"version": record["version"], "changes": {"secrecy": "public"}, "point": {"lon": 109.79, "lat": 39.62}},
    )
    assert moved.status_code == 422
    assert stored(ordos_engine, record["id"]) == ("secret", record["version"])
    first = patch(api, keys["editor"], record, secrecy="public")
    assert first.status_code == 202
    second = patch(api, keys["editor2"], record, secrecy="internal")
    assert second.status_code == 409 and second.json()["proposal_id"] == first.json()["id"]
    pending = api.get("/api/v1/secrecy-proposals", headers=keys["approver"], params={"status": "pending"})
    assert [p["id"] for p in pending.json()] == [first.json()["id"]]
    assert pending.json()[0]["place_name"] == "试验水源地"


def test_an_approval_applies_to_the_record_as_proposed(
    api: httpx.Client, ordos_engine: Engine, keys: dict[str, dict[str, str]]
) -> None:
    record = create(api, keys["editor"])
    proposal = patch(api, keys["editor"], record, secrecy="public").json()
    moved = api.patch(
        f"/api/v1/places/{record['id']}",
        headers=keys["editor2"],
        json={"version": record["version"], "point": {"lon": 109.79, "lat": 39.62, "crs": "EPSG:4490"}},
    )
    assert moved.status_code == 200  # the record changed after the proposal
    stale = decide(api, keys["approver"], proposal, "approve")
    assert stale.status_code == 409 and "changed since the proposal" in stale.json()["detail"]
    assert stored(ordos_engine, record["id"]) == ("secret", record["version"] + 1)
    assert decide(api, keys["approver"], proposal, "reject").status_code == 200
    again = patch(api, keys["editor"], moved.json(), secrecy="public")
    assert again.status_code == 202


def test_who_may_see_and_decide_proposals(
    api: httpx.Client, ordos_engine: Engine, keys: dict[str, dict[str, str]]
) -> None:
    record = create(api, keys["editor"])
    proposal = patch(api, keys["editor"], record, secrecy="public").json()
    url = "/api/v1/secrecy-proposals"
    mine = {"place": record["id"]}
    assert api.get(url, params=mine).status_code == 401
    assert api.get(url, headers=keys["inspector"], params=mine).status_code == 403
    assert [p["id"] for p in api.get(url, headers=keys["editor"], params=mine).json()] == [proposal["id"]]
    assert api.get(url, headers=keys["editor"], params={"place": 999999999}).status_code == 404
    assert api.get(url, headers=keys["editor"], params={"status": "open"}).status_code == 422
    assert api.post(f"{url}/{proposal['id']}/approve").status_code == 401
    assert api.post(f"{url}/{proposal['id']}/approve", headers=keys["inspector"]).status_code == 403
    assert api.post(f"{url}/{proposal['id'] + 1}/approve", headers=keys["approver"]).status_code == 404
    assert stored(ordos_engine, record["id"]) == ("secret", record["version"])


def test_an_import_never_lowers_secrecy(
    api: httpx.Client, ordos_engine: Engine, keys: dict[str, dict[str, str]]
) -> None:
    record = create(api, keys["editor"], secrecy="internal")
    approved = api.post(
        f"/api/v1/places/{record['id']}/approve",
        headers=keys["approver"],
        json={"version": record["version"], **APPROVAL},
    )
    assert approved.status_code == 200, approved.text
    version = approved.json()["version"]

    def upload(secrecy: str) -> httpx.Response:
        csv = (
            "name,category,unit,lon,lat,approving_body,document_number,secrecy\n"
            f"试验水源地,8,150603,{SPOT[0]},{SPOT[1]},{APPROVAL['approving_body']},{APPROVAL['document_number']},{secrecy}\n"
        )
        params = {"crs": "EPSG:4490", "name": "places.csv"}
        return api.post("/api/v1/places/import", headers=keys["editor"], params=params, content=csv.encode())

    for lower in ("public", ""):  # an empty cell means public
        refused = upload(lower)
        assert refused.status_code == 422, refused.text
        assert "does not lower secrecy" in refused.json()["detail"]
        assert refused.json()["rejected"][0]["field"] == "secrecy"
    assert stored(ordos_engine, record["id"]) == ("internal", version)
    assert upload("internal").json()["unchanged"] == 1
    raised = upload("secret")
    assert raised.status_code == 200 and raised.json()["updated"] == 1
    assert stored(ordos_engine, record["id"]) == ("secret", version + 1)
