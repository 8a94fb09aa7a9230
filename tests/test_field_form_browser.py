"""The field form in headless Chromium (DevTools protocol): fill it with a typed GCJ-02 fix and a photo, submit
while the page is offline (kept in the phone's storage), let a retry reach the server but lose its answer, then
bring the network back: exactly one observation and one photo are stored; "use my position" fills a WGS84 fix
(position emulated through DevTools). Screenshot under .run/artifacts/field/."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from core.settings import PhotoSettings
from tests.cdp import Browser, wait_for
from tests.test_boundary_inspections import URL, campaign_body, marked_line, moved  # noqa: F401  (fixture)
from tests.test_field_photos import key, tiny_png

ARTIFACTS = Path(__file__).resolve().parent.parent / ".run" / "artifacts" / "field"
ONLINE = {"latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}


@pytest.fixture
def browser() -> Iterator[Browser]:
    chrome = Browser()
    try:
        chrome.page("Page.enable")
        chrome.page("Network.enable")
        yield chrome
    finally:
        chrome.close()


def stored(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                text(
                    "SELECT o.submission_id, o.marker_status, o.fix_crs, o.displacement_m, o.notes,"
                    " array_remove(array_agg(p.sha256), NULL) AS photos FROM inspection_observation o"
                    " LEFT JOIN observation_photo p ON p.observation_id = o.id GROUP BY o.id ORDER BY o.id"
                )
            ).mappings()
        ]


def page_queue(browser: Browser) -> list[dict]:
    return json.loads(browser.evaluate("localStorage.getItem('gaz-field-queue') || '[]'"))


@pytest.fixture
def server_settings(tmp_path: Path) -> dict[str, Any]:
    """The test server keeps photos in this test's folder."""
    return {"photos": PhotoSettings(photo_dir=tmp_path / "photos")}


def test_offline_submission_is_kept_retried_and_stored_once(
    api: httpx.Client,
    ordos_engine: Engine,
    marked_line: tuple[int, list[dict]],  # noqa: F811
    browser: Browser,
    tmp_path: Path,
) -> None:
    line_id, (first, second) = marked_line
    today = date.today()
    period = {"period_start": str(today - timedelta(days=30)), "period_end": str(today + timedelta(days=30))}
    campaign = api.post(URL, headers=key(ordos_engine, "editor"), json=campaign_body(line_id, **period)).json()
    inspector_key = key(ordos_engine, "inspector")["X-API-Key"]
    photo = tmp_path / "marker.png"
    photo.write_bytes(tiny_png(180, size=64))
    fix = moved(second, 30.0, 8.0, "GCJ-02")

    browser.open(f"{api.base_url}/field/inspections/{campaign['id']}")
    options = browser.evaluate("Array.from(document.querySelectorAll('#marker option')).map(o => o.textContent)")
    assert [o.split(" — ")[0] for o in options[1:]] == [first["number"], second["number"]]
    assert "EPSG:4326" in browser.evaluate("document.getElementById('locate-note').textContent")
    browser.evaluate(
        f"""(() => {{
        document.getElementById('key').value = {json.dumps(inspector_key)};
        document.getElementById('marker').value = '{second["id"]}';
        document.querySelector('input[name=status][value=moved]').checked = true;
        document.getElementById('x').value = '{fix["x"]:.8f}';
        document.getElementById('y').value = '{fix["y"]:.8f}';
        document.getElementById('crs').value = 'GCJ-02';
        document.getElementById('notes').value = '界桩被推移, 见照片';
    }})()"""
    )
    root = browser.page("DOM.getDocument")["root"]["nodeId"]
    node = browser.page("DOM.querySelector", nodeId=root, selector="#photos")["nodeId"]
    browser.page("DOM.setFileInputFiles", nodeId=node, files=[str(photo)])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    # 1. The network is down when the inspector presses submit: the report stays on the phone.
    browser.page("Network.emulateNetworkConditions", offline=True, **ONLINE)
    browser.evaluate("document.getElementById('submit').click()")
    wait_for(lambda: browser.evaluate("document.getElementById('state').dataset.state") == "queued", "the queue")
    (item,) = page_queue(browser)
    assert item["sent"] is False and item["photos"] == 1 and item["body"]["fix"]["crs"] == "GCJ-02"
    assert stored(ordos_engine) == []

    # 2. The network returns; a retry reaches the server, which stores it, but the answer is lost on the way back.
    browser.page("Fetch.enable", patterns=[{"urlPattern": "*/observations", "requestStage": "Response"}])
    browser.page("Network.emulateNetworkConditions", offline=False, **ONLINE)
    paused = browser.next_event("Fetch.requestPaused")
    assert paused["params"]["responseStatusCode"] == 201
    assert [o["submission_id"] for o in stored(ordos_engine)] == [item["id"]]
    browser.page("Fetch.failRequest", requestId=paused["params"]["requestId"], errorReason="InternetDisconnected")
    browser.page("Fetch.disable")

    # 3. The next retry gets the stored observation back (200), then sends the photo: one of each, queue empty.
    wait_for(lambda: browser.evaluate("document.getElementById('state').dataset.state") == "saved", "the save")
    assert page_queue(browser) == []
    shot = base64.b64decode(browser.page("Page.captureScreenshot", format="png")["data"])
    (ARTIFACTS / "form.png").write_bytes(shot)
    (row,) = stored(ordos_engine)
    assert row["submission_id"] == item["id"] and row["marker_status"] == "moved" and row["fix_crs"] == "GCJ-02"
    assert row["displacement_m"] == pytest.approx(8.0, abs=0.01) and row["notes"] == "界桩被推移, 见照片"
    assert row["photos"] == [hashlib.sha256(photo.read_bytes()).hexdigest()]
    assert (tmp_path / "photos" / str(campaign["id"]) / f"{row['photos'][0]}.png").read_bytes() == photo.read_bytes()

    # The key was typed once: a new visit finds it; a submission refused by the server is shown, not retried.
    browser.open(f"{api.base_url}/field/inspections/{campaign['id']}")
    assert browser.evaluate("document.getElementById('key').value") == inspector_key
    browser.evaluate(
        f"""(() => {{
        document.getElementById('marker').value = '{first["id"]}';
        document.querySelector('input[name=status][value=intact]').checked = true;
        document.getElementById('observed').value = '{today + timedelta(days=90)}';
        document.getElementById('submit').click();
    }})()"""
    )
    wait_for(lambda: browser.evaluate("document.getElementById('state').dataset.state") == "refused", "the refusal")
    (refused,) = page_queue(browser)
    assert "outside the campaign's period" in refused["error"]
    assert len(stored(ordos_engine)) == 1


def test_use_my_position_fills_a_wgs84_fix(
    api: httpx.Client,
    ordos_engine: Engine,
    marked_line: tuple[int, list[dict]],  # noqa: F811
    browser: Browser,
) -> None:
    line_id, (first, _) = marked_line
    campaign = api.post(URL, headers=key(ordos_engine, "editor"), json=campaign_body(line_id)).json()
    browser.call("Browser.grantPermissions", permissions=["geolocation"], origin=str(api.base_url))
    browser.page("Emulation.setGeolocationOverride", latitude=first["lat"], longitude=first["lon"], accuracy=4)
    browser.open(f"{api.base_url}/field/inspections/{campaign['id']}")
    browser.evaluate("document.getElementById('crs').value = 'BD-09'; document.getElementById('locate').click()")
    wait_for(lambda: browser.evaluate("document.getElementById('x').value"), "the position")
    assert float(browser.evaluate("document.getElementById('x').value")) == pytest.approx(first["lon"], abs=1e-7)
    assert float(browser.evaluate("document.getElementById('y').value")) == pytest.approx(first["lat"], abs=1e-7)
    assert browser.evaluate("document.getElementById('crs').value") == "EPSG:4326"
    assert browser.evaluate("document.getElementById('locate-note').textContent") == "WGS84 (EPSG:4326), ±4 m"
