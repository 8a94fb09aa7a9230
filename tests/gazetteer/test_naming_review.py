"""Naming review: each rule found on real Ordos names, the memo, roles, bad input, nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from core.database import transaction
from gazetteer.places import unit_names
from tests.factories import api_key

URL = "/api/v1/naming/review"


def rules(body: dict[str, Any]) -> dict[str, str]:
    return {f["rule"]: f["severity"] for f in body["findings"]}


def test_review_rules(api: httpx.Client, ordos_engine: Engine, data_root: Path) -> None:
    with transaction(ordos_engine) as conn:
        unit_names.replay_unit_history(conn, data_root / "ordos/codes/ordos_townships_history_nbs.csv")
    editor = api_key(ordos_engine, "ed", "editor")
    with ordos_engine.connect() as conn:
        audit_before = conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()

    def review(**body: Any) -> dict[str, Any]:
        response = api.post(URL, headers=editor, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    duplicate = review(name="和胜村", category="32", unit="150621")
    assert rules(duplicate)["重名 duplicate"] == "error" and duplicate["verdict"] == "refuse or revise"
    assert duplicate["findings"][0]["related"][0]["name"] == "和胜村"
    assert "重名" in duplicate["memo"] and "地名管理条例" in duplicate["memo"]
    homophone = review(name="和圣村", category="32", unit="150621")
    assert rules(homophone) == {"同音 homophone": "warning"}
    assert homophone["findings"][0]["related"][0]["name"] == "和胜村"
    # Another kind of feature with the specific of 鄂托克旗 (official form Otog): not 重名, but 同音.
    otog = review(name="鄂托克村", category="32", unit="150624")
    assert "重名 duplicate" not in rules(otog)
    assert "鄂托克旗" in {r["name"] for f in otog["findings"] if f["rule"] == "同音 homophone" for r in f["related"]}
    # Retired in the fixture history (2021): recent when reviewed in 2023, not when reviewed in 2030.
    retired = review(name="铜川汽车博览园", category="41", unit="150602", review_date="2023-01-01")
    assert rules(retired)["recently retired"] == "warning"
    later = review(name="铜川汽车博览园", category="41", unit="150602", review_date="2030-01-01")
    assert "recently retired" not in rules(later)
    street_for_village = review(name="和平街", category="32", unit="150621")
    assert rules(street_for_village)["generic does not fit category"] == "error"
    forbidden = review(name="维也纳国际村", category="32", unit="150621")
    assert rules(forbidden)["foreign place name"] == "error" and rules(forbidden)["exaggerated wording"] == "error"
    assert rules(review(name="鄂尔多斯置业集团路", category="7", unit="150602"))["enterprise or brand name"] == "error"
    assert rules(review(name="𠮷村", category="32", unit="150621"))["rare character"] == "warning"
    assert "over-long name" in rules(review(name="东" * 13 + "村", category="32", unit="150621"))
    xini = api.get("/api/v1/places/search", params={"q": "锡尼镇"}).json()["results"][0]["point"]
    near = review(name="锡宁镇", category="24", unit="150625", lon=xini["lon"], lat=xini["lat"], crs="EPSG:4490")
    assert rules(near)["near-identical nearby"] == "warning"
    assert "锡尼镇" in {r["name"] for f in near["findings"] for r in f["related"]}
    clean = review(name="青松岭村", category="32", unit="150621")
    assert clean["findings"] == [] and clean["verdict"] == "no objection found"
    with ordos_engine.connect() as conn:  # a review changes nothing
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == audit_before


def test_review_roles(api: httpx.Client, ordos_engine: Engine) -> None:
    body = {"name": "青松岭村", "category": "32", "unit": "150621"}
    assert api.post(URL, json=body).status_code == 401
    assert api.post(URL, headers=api_key(ordos_engine, "insp", "inspector"), json=body).status_code == 403
    assert api.post(URL, headers=api_key(ordos_engine, "appr", "approver"), json=body).status_code == 200


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"category": "77"}, "77"),
        ({"unit": "150699"}, "150699"),
        ({"unit": "1506x"}, "1506x"),
        ({"name": ""}, "empty"),
        ({"name": "Heping Cun"}, "Chinese characters"),
        ({"name": "和平\x00村"}, "control"),
        ({"lon": 109.7}, "both lon and lat"),
        ({"lon": 109.7, "lat": 39.6, "crs": "EPSG:3857"}, "EPSG:3857"),
    ],
)
def test_review_bad_input(api: httpx.Client, ordos_engine: Engine, change: dict[str, Any], needle: str) -> None:
    editor = api_key(ordos_engine, "ed", "editor")
    response = api.post(URL, headers=editor, json={"name": "青松岭村", "category": "32", "unit": "150621", **change})
    assert response.status_code == 422, response.text
    assert needle in response.json()["detail"]
