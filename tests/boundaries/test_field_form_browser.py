"""The field form in headless Chromium (DevTools protocol), at phone size (390×844): fill it with a typed GCJ-02 fix
and a photo, submit while the page is offline (kept in the phone's IndexedDB), let a retry reach the server but
lose its answer, then bring the network back: exactly one observation and one photo are stored, the displacement
shown back. As an offline app: two reports recorded offline survive a reload with no network (the page comes from
the service worker) and arrive once each when the network returns. A revoked key says so, stops sending and keeps
the queue until a good key is used; a queued report is discarded after a confirmation; a refused one shows the
server's reason and is corrected. "Use my position" fills a WGS84 fix (position emulated through DevTools).
Screenshots under .run/artifacts/field/."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from boundaries.inspections.form import RETRY_MS
from core import auth
from core.database import transaction
from core.settings import PhotoSettings
from tests.boundaries.test_boundary_inspections import URL, campaign_body, marked_line, moved  # noqa: F401  (fixture)
from tests.boundaries.test_field_photos import tiny_png
from tests.cdp import Browser, wait_for
from tests.factories import role_key

ARTIFACTS = Path(__file__).resolve().parents[2] / ".run" / "artifacts" / "field"
ONLINE = {"latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}


PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}


@pytest.fixture
def browser() -> Iterator[Browser]:
    chrome = Browser()
    try:
        chrome.page("Page.enable")
        chrome.page("Network.enable")
        chrome.page("Emulation.setDeviceMetricsOverride", **PHONE)
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
    """The reports queued in the page's IndexedDB, oldest first."""
    return sorted(
        json.loads(
            browser.evaluate(
                """(async () => {
                const found = await indexedDB.databases();
                if (!found.some((d) => d.name === 'gaz-field' && d.version >= 2)) return '[]';  // not made yet
                return new Promise((resolve, reject) => {
                    const open = indexedDB.open('gaz-field');
                    open.onerror = () => reject(open.error);
                    open.onsuccess = () => {
                        const all = open.result.transaction('queue').objectStore('queue').getAll();
                        all.onsuccess = () => { open.result.close(); resolve(JSON.stringify(all.result)); };
                    };
                });
            })()"""
            )
        ),
        key=lambda item: item["created"],
    )


def state(browser: Browser) -> str:
    return str(browser.evaluate("document.getElementById('state').dataset.state"))


def screenshot(browser: Browser, name: str) -> Path:
    """A PNG of the page as the phone shows it (the whole page, not only the first screen)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = browser.page("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    path = ARTIFACTS / name
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


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
    campaign = api.post(URL, headers=role_key(ordos_engine, "editor"), json=campaign_body(line_id, **period)).json()
    inspector_key = role_key(ordos_engine, "inspector")["X-API-Key"]
    photo = tmp_path / "marker.png"
    photo.write_bytes(tiny_png(180, size=64))
    fix = moved(second, 30.0, 8.0, "GCJ-02")

    browser.open(f"{api.base_url}/field/inspections/{campaign['id']}")
    options = browser.evaluate("Array.from(document.querySelectorAll('#marker option')).map(o => o.textContent)")
    assert [o.split(" · ")[0] for o in options[1:]] == [first["number"], second["number"]]
    assert all(o.endswith(" · 东胜区–康巴什区") for o in options[1:])  # the line by its units' names, not codes
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

    # 1. The network is down when the inspector presses submit: the report stays on the phone.
    browser.page("Network.emulateNetworkConditions", offline=True, **ONLINE)
    browser.evaluate("document.getElementById('submit').click()")
    wait_for(lambda: state(browser) == "queued", "the queue")
    (item,) = page_queue(browser)
    assert item["state"] == "waiting" and item["photos"] == 1 and item["body"]["fix"]["crs"] == "GCJ-02"
    wait_for(
        lambda: "无网络连接 no network" in browser.evaluate("document.getElementById('state').textContent"),
        "the readable network error",
    )
    assert "Failed to fetch" not in browser.evaluate("document.body.textContent")
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
    wait_for(lambda: state(browser) == "saved", "the save")
    (sent,) = page_queue(browser)
    assert sent["state"] == "sent" and sent["uploaded"] == [1]
    assert browser.evaluate("document.getElementById('count').textContent") == "0"
    shown = browser.evaluate("document.querySelector('#queue li').textContent")
    assert "已送达 sent · 位移 displacement 8.0 m · 方位 bearing " in shown and "超限移位 displaced" in shown
    screenshot(browser, "form.png")
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
    wait_for(lambda: state(browser) == "refused", "the refusal")
    refused = page_queue(browser)[-1]
    assert refused["state"] == "refused" and "outside the campaign's period" in refused["error"]
    assert len(stored(ordos_engine)) == 1


def network(browser: Browser, *, offline: bool) -> None:
    """Cut or restore the network of the page and of every service worker (each its own DevTools target)."""
    browser.page("Network.emulateNetworkConditions", offline=offline, **ONLINE)
    page_session = browser.session
    for target in browser.call("Target.getTargets")["targetInfos"]:
        if target["type"] != "service_worker":
            continue
        browser.session = browser.call("Target.attachToTarget", targetId=target["targetId"], flatten=True)["sessionId"]
        try:
            browser.page("Network.enable")
            browser.page("Network.emulateNetworkConditions", offline=offline, **ONLINE)
        finally:
            browser.session = page_session


def record(browser: Browser, marker: dict, status: str, observed: date, **fix: Any) -> None:
    """Fill the form and press submit."""
    coordinates = f"x.value = '{fix['x']:.8f}'; y.value = '{fix['y']:.8f}'; crs.value = 'EPSG:4490';" if fix else ""
    before = len(page_queue(browser))
    browser.evaluate(
        f"""(() => {{
        const [marker, x, y, crs] = ['marker', 'x', 'y', 'crs'].map((id) => document.getElementById(id));
        marker.value = '{marker["id"]}';
        document.querySelector('input[name=status][value={status}]').checked = true;
        document.getElementById('observed').value = '{observed}';
        {coordinates}
        document.getElementById('submit').click();
    }})()"""
    )
    wait_for(lambda: len(page_queue(browser)) == before + 1, "the report in the queue")


def open_offline_ready(browser: Browser, url: str) -> None:
    """Open the form and wait until its service worker controls it and keeps a copy of it."""
    browser.open(url)
    wait_for(
        lambda: browser.evaluate(
            "navigator.serviceWorker.controller !== null && caches.match(location.href).then((r) => r !== undefined)"
        ),
        "the service worker to keep the page",
    )


def count(browser: Browser) -> str:
    return str(browser.evaluate("document.getElementById('count').textContent"))


def test_the_form_opens_offline_and_sends_what_was_recorded_once(
    api: httpx.Client,
    ordos_engine: Engine,
    marked_line: tuple[int, list[dict]],  # noqa: F811
    browser: Browser,
) -> None:
    line_id, (first, second) = marked_line
    today = date.today()
    period = {"period_start": str(today - timedelta(days=30)), "period_end": str(today + timedelta(days=30))}
    campaign = api.post(URL, headers=role_key(ordos_engine, "editor"), json=campaign_body(line_id, **period)).json()
    form = f"{api.base_url}/field/inspections/{campaign['id']}"
    open_offline_ready(browser, form)
    scope = browser.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.scope)")
    assert scope == f"{api.base_url}/field/"  # the form's pages only, not the site
    inline = "document.querySelectorAll('script:not([src]):not([type=\"application/json\"])').length"
    assert browser.evaluate(inline) == 0  # the script is a file of this origin (CSP: no inline script)
    small = browser.evaluate(
        """Array.from(document.querySelectorAll('button, select, input:not([type=radio]), label.choice'))
        .filter((e) => e.getBoundingClientRect().height < 44).map((e) => e.id || e.textContent)"""
    )
    assert small == []  # touch targets of at least 44 px
    browser.evaluate(
        f"document.getElementById('key').value = {json.dumps(role_key(ordos_engine, 'inspector')['X-API-Key'])}"
    )

    # Offline: two reports are recorded and wait on the phone.
    kept = "caches.match(location.href).then((r) => r.headers.get('Content-Security-Policy'))"
    kept_policy = browser.evaluate(kept)  # its nonce is the kept copy's: a page from the network has a fresh one
    network(browser, offline=True)
    record(browser, first, "intact", today)
    record(browser, second, "moved", today, **moved(second, 120.0, 12.0, "EPSG:4490"))
    wait_for(lambda: count(browser) == "2", "two queued")
    assert state(browser) == "queued" and stored(ordos_engine) == []

    # Reloaded with no network: the page comes from the service worker, the queue and the typed key are still there.
    drain(browser)
    browser.page("Page.reload")
    answer = browser.next_event("Network.responseReceived")["params"]
    assert answer["response"]["url"] == form and answer["response"]["fromServiceWorker"] is True
    headers = {name.lower(): value for name, value in answer["response"]["headers"].items()}
    assert kept_policy and headers["content-security-policy"] == kept_policy  # the kept copy
    wait_for(lambda: browser.evaluate("document.readyState") == "complete", "the page offline")
    wait_for(lambda: count(browser) == "2", "the queue after the reload")
    assert len(browser.evaluate("Array.from(document.querySelectorAll('#marker option'))")) == 3
    assert [i["state"] for i in page_queue(browser)] == ["waiting", "waiting"]
    screenshot(browser, "offline-queue.png")

    # The network is back: both arrive, once each.
    network(browser, offline=False)
    wait_for(lambda: state(browser) == "saved", "both sent", timeout=60)
    queue = page_queue(browser)
    assert [i["state"] for i in queue] == ["sent", "sent"] and count(browser) == "0"
    rows = stored(ordos_engine)
    assert sorted(r["submission_id"] for r in rows) == sorted(i["id"] for i in queue)
    assert [r["marker_status"] for r in rows] == ["intact", "moved"]
    assert rows[1]["displacement_m"] == pytest.approx(12.0, abs=0.01)
    screenshot(browser, "offline-sent.png")


def test_a_refused_key_keeps_the_queue_and_a_report_is_discarded_or_corrected(
    api: httpx.Client,
    ordos_engine: Engine,
    marked_line: tuple[int, list[dict]],  # noqa: F811
    browser: Browser,
) -> None:
    line_id, (first, second) = marked_line
    today = date.today()
    period = {"period_start": str(today - timedelta(days=30)), "period_end": str(today + timedelta(days=30))}
    campaign = api.post(URL, headers=role_key(ordos_engine, "editor"), json=campaign_body(line_id, **period)).json()
    with transaction(ordos_engine) as conn:
        revoked = auth.create_user(conn, "inspector-revoked", "inspector")
        auth.revoke_user(conn, "inspector-revoked", actor="test")
    browser.open(f"{api.base_url}/field/inspections/{campaign['id']}")
    browser.evaluate(f"document.getElementById('key').value = {json.dumps(revoked)}")

    # A revoked key: the form says so, stops sending (one request, no retry loop) and keeps the reports.
    record(browser, first, "intact", today)
    wait_for(lambda: state(browser) == "key", "the key refused")
    record(browser, second, "damaged", today)
    note = wait_for(
        lambda: (
            (text := browser.evaluate("document.getElementById('key-note').textContent"))
            and "2 reports" in text
            and text
        ),
        "the note on two reports",
    )
    assert "密钥被拒" in note and "API key is unknown or revoked" in note and "2 reports stay on this phone" in note
    wait_for(lambda: count(browser) == "2", "two queued")
    assert stored(ordos_engine) == []
    time.sleep(2 * RETRY_MS / 1000)
    posts = [
        e
        for e in drain(browser)
        if e["method"] == "Network.requestWillBeSent" and e["params"]["request"]["url"].endswith("/observations")
    ]
    assert len(posts) == 1  # the first try only: the second report waits for another key
    screenshot(browser, "key-refused.png")

    # Discard the first, after a confirmation; "keep" keeps it.
    first_item, second_item = page_queue(browser)
    item = f'#queue li[data-id="{first_item["id"]}"]'
    press(browser, item, "删除")
    wait_for(
        lambda: "cannot be brought back" in browser.evaluate(f"document.querySelector('{item}').textContent"), "ask"
    )
    press(browser, item, "保留")
    wait_for(
        lambda: "cannot be brought back" not in browser.evaluate(f"document.querySelector('{item}').textContent"),
        "keep",
    )
    assert count(browser) == "2"
    press(browser, item, "删除")
    wait_for(
        lambda: "cannot be brought back" in browser.evaluate(f"document.querySelector('{item}').textContent"), "ask"
    )
    press(browser, item, "确定删除")
    wait_for(lambda: count(browser) == "1", "the discard")
    assert state(browser) == "discarded"
    assert [i["id"] for i in page_queue(browser)] == [second_item["id"]]

    # A good key sends what is left: only the report kept arrives.
    good = role_key(ordos_engine, "inspector")["X-API-Key"]
    browser.evaluate(
        f"document.getElementById('key').value = {json.dumps(good)}; document.getElementById('key-use').click()"
    )
    wait_for(lambda: count(browser) == "0" and state(browser) == "saved", "the kept report sent")
    assert [r["submission_id"] for r in stored(ordos_engine)] == [second_item["id"]]

    # A report the server refuses shows its reason; corrected, it is sent under a new id and replaces it.
    record(browser, first, "missing", today + timedelta(days=90))
    wait_for(lambda: state(browser) == "refused", "the refusal")
    refused = page_queue(browser)[-1]
    item = f'#queue li[data-id="{refused["id"]}"]'
    assert "outside the campaign's period" in browser.evaluate(f"document.querySelector('{item} .why').textContent")
    screenshot(browser, "refused.png")
    press(browser, item, "修改")
    assert browser.evaluate("document.getElementById('marker').value") == str(first["id"])
    assert browser.evaluate("document.querySelector('input[name=status]:checked').value") == "missing"
    browser.evaluate(
        f"document.getElementById('observed').value = '{today}'; document.getElementById('submit').click()"
    )
    wait_for(lambda: state(browser) == "saved", "the corrected report sent")
    queue = page_queue(browser)
    assert [i["state"] for i in queue] == ["sent", "sent"] and refused["id"] not in [i["id"] for i in queue]
    assert [r["marker_status"] for r in stored(ordos_engine)] == ["damaged", "missing"]


def press(browser: Browser, within: str, label: str) -> None:
    """Click the button whose text starts with ``label`` inside the element ``within`` (a CSS selector)."""
    browser.evaluate(
        f"Array.from(document.querySelector('{within}').querySelectorAll('button'))"
        f".find((b) => b.textContent.startsWith('{label}')).click()"
    )


def drain(browser: Browser) -> list[dict]:
    """The DevTools events received so far."""
    events = []
    while not browser.events.empty():
        events.append(browser.events.get_nowait())
    return events


def test_use_my_position_fills_a_wgs84_fix(
    api: httpx.Client,
    ordos_engine: Engine,
    marked_line: tuple[int, list[dict]],  # noqa: F811
    browser: Browser,
) -> None:
    line_id, (first, _) = marked_line
    campaign = api.post(URL, headers=role_key(ordos_engine, "editor"), json=campaign_body(line_id)).json()
    browser.call("Browser.grantPermissions", permissions=["geolocation"], origin=str(api.base_url))
    browser.page("Emulation.setGeolocationOverride", latitude=first["lat"], longitude=first["lon"], accuracy=4)
    browser.open(f"{api.base_url}/field/inspections/{campaign['id']}")
    browser.evaluate("document.getElementById('crs').value = 'BD-09'; document.getElementById('locate').click()")
    wait_for(lambda: browser.evaluate("document.getElementById('x').value"), "the position")
    assert float(browser.evaluate("document.getElementById('x').value")) == pytest.approx(first["lon"], abs=1e-7)
    assert float(browser.evaluate("document.getElementById('y').value")) == pytest.approx(first["lat"], abs=1e-7)
    assert browser.evaluate("document.getElementById('crs').value") == "EPSG:4326"
    assert browser.evaluate("document.getElementById('locate-note').textContent") == "WGS84 (EPSG:4326), ±4 m"
