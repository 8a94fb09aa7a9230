"""The beds target (beds per 1,000 residents aged 60+): a setting (GAZ_BED_TARGET_PER_1000, default 35, a
placeholder) overridden per request; hand-made fixture institutions and population figures."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from core.settings import CoverageSettings, Settings
from tests.app.test_cli import gaz
from tests.conftest import LiveServer, server_config
from tests.facilities.test_coverage import add
from tests.facilities.test_facilities import editor


def fixture_beds(api: httpx.Client, engine: Engine) -> None:
    """东胜区: 100 beds (30 nursing-type) of made-up institutions for 2,500 residents aged 60+ -> 40 per 1,000."""
    headers = editor(engine)
    add(
        api,
        headers,
        name="养老院甲(fixture)",
        kind="eldercare_institution",
        beds=60,
        nursing_beds=30,
        lon=109.98,
        lat=39.81,
    )
    add(api, headers, name="养老院乙(fixture)", kind="eldercare_institution", beds=40, lon=109.98, lat=39.81)
    figures = "unit_code,year,total,aged_60_plus\n150602,2023,50000,2500\n"
    assert api.post(
        "/api/v1/population/import", params={"source": "fixture"}, content=figures, headers=headers
    ).is_success


def dongsheng(result: dict) -> dict:
    return next(b for b in result["banners"] if b["code"] == "150602000000")


def test_default_target_is_the_placeholder_and_says_so(
    api: httpx.Client, ordos_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GAZ_BED_TARGET_PER_1000", raising=False)
    fixture_beds(api, ordos_engine)
    result = api.get("/api/v1/coverage/beds").json()
    assert result["target"] == 35
    assert "placeholder" in result["target_note"] and "GAZ_BED_TARGET_PER_1000" in result["target_note"]
    assert result["target_origin"] == "placeholder"
    assert "占位默认值，尚未由本局设定" in api.get("/maps/coverage").text
    row = dongsheng(result)
    assert (row["beds_per_1000"], row["meets_target"], row["nursing_bed_share"]) == (40.0, True, 0.3)


def test_the_setting_sets_the_target_and_a_request_overrides_it(api: httpx.Client, ordos_engine: Engine) -> None:
    fixture_beds(api, ordos_engine)
    url = ordos_engine.url.render_as_string(hide_password=False)
    with LiveServer(url, server_config(url, coverage=CoverageSettings(bed_target_per_1000=45))) as configured_api:
        configured = configured_api.get("/api/v1/coverage/beds").json()
        page = configured_api.get("/maps/coverage").text
    assert configured["target"] == 45 and "the setting GAZ_BED_TARGET_PER_1000" in configured["target_note"]
    assert "placeholder" not in configured["target_note"]
    assert dongsheng(configured)["meets_target"] is False
    asked = api.get("/api/v1/coverage/beds", params={"target": 40}).json()
    assert asked["target"] == 40 and "the request's target" in asked["target_note"]
    assert dongsheng(asked)["meets_target"] is True
    assert configured["target_origin"] == "setting" and asked["target_origin"] == "request"
    assert "床位目标 45 张/千名老人（本局设定） beds target 45 per 1,000 aged 60+ (set by the office)" in page
    assert "GAZ_" not in page  # the reader sees what the target is, not the name of a setting
    assert "目标 target 40" in api.get("/maps/coverage?bed_target=40").text


@pytest.mark.parametrize("value", ["-3", "0", "abc", "5000"])
def test_a_bad_setting_stops_the_service_at_start(
    ordos_engine: Engine, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """Settings are read once, when the service or a command starts: a bad value stops it there, naming the
    setting, instead of failing requests later."""
    monkeypatch.setenv("GAZ_BED_TARGET_PER_1000", value)
    with pytest.raises(ValidationError, match="bed_target_per_1000"):
        Settings()
    done = gaz(ordos_engine, "facilities", "coverage", "beds", "--target", "30")
    assert done.returncode == 2 and done.stdout == ""
    assert f"error: setting GAZ_BED_TARGET_PER_1000={value!r}" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("target", ["-1", "0", "abc", "nan", "inf", "1001"])
def test_bad_targets_are_refused(ordos_api: httpx.Client, target: str) -> None:
    for path, name in (("/api/v1/coverage/beds", "target"), ("/maps/coverage", "bed_target")):
        response = ordos_api.get(path, params={name: target})
        assert response.status_code == 422, response.text[:300]
        assert "target" in response.text


def test_cli_reads_the_setting(ordos_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAZ_BED_TARGET_PER_1000", "28")
    done = gaz(ordos_engine, "facilities", "coverage", "beds")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["target"] == 28 and result["target_note"].endswith("from the setting GAZ_BED_TARGET_PER_1000")
    asked = json.loads(gaz(ordos_engine, "facilities", "coverage", "beds", "--target", "31").stdout)
    assert asked["target"] == 31 and "the request's target" in asked["target_note"]


def test_the_csv_carries_the_placeholder_note_like_the_json(
    api: httpx.Client, ordos_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12, point 5: the beds CSV (API and CLI) says the default target is a placeholder, as the JSON does."""
    monkeypatch.delenv("GAZ_BED_TARGET_PER_1000", raising=False)
    fixture_beds(api, ordos_engine)
    served = api.get("/api/v1/coverage/beds", params={"format": "csv"}).text
    printed = gaz(ordos_engine, "facilities", "coverage", "beds", "--csv").stdout
    for table in (served, printed):
        rows = list(csv.DictReader(io.StringIO(table.lstrip("\ufeff"))))
        assert rows and all("placeholder" in row["target_note"] for row in rows), table[:300]
    asked = api.get("/api/v1/coverage/beds", params={"format": "csv", "target": 40}).text
    assert "placeholder" not in asked and "the request's target" in asked
