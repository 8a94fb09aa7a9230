"""Errors as pages for a browser (issue 13, interface language): a navigation that asks for HTML first gets a short
page in Chinese first, English second, with the service's detail escaped and a way back; API clients keep the
JSON error format. Over HTTP, and in headless Chromium at phone width (screenshot under .run/artifacts/maps/)."""

from __future__ import annotations

import base64
import re

import httpx
import pytest

from tests.cdp import Browser, wait_for
from tests.maps.test_browser import ARTIFACTS

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.mark.parametrize(
    ("path", "status", "title", "detail"),
    [
        ("/maps/places/999999999", 404, "404 未找到", "999999999"),
        ("/maps/places/abc", 422, "422 请求参数有误", "place_name_id"),
        ("/maps/?as_of=2024-13-01", 422, "422 请求参数有误", "as_of"),
        ("/maps/?basemap=<b>google</b>", 422, "422 请求参数有误", "&lt;b&gt;google&lt;/b&gt;"),
        ("/nowhere", 404, "404 未找到", "Not Found"),
        ("/api/v1/places/999999999", 404, "404 未找到", "999999999"),
    ],
)
def test_a_browser_gets_an_error_page_in_chinese_first(
    ordos_api: httpx.Client, path: str, status: int, title: str, detail: str
) -> None:
    page = ordos_api.get(path, headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    body = page.text
    assert '<html lang="zh-CN">' in body and 'name="viewport"' in body
    heading = re.search(r"<h1>(.*?)</h1>", body)
    assert heading and heading[1].startswith(title), body  # Chinese first, the English title after it
    assert detail in body and "<b>" not in body  # the service's detail, escaped
    assert '<a href="/maps/">返回地图 Back to the map</a>' in body
    answer = ordos_api.get(path)  # an API client (Accept */*) keeps the one JSON error format
    assert answer.status_code == status and answer.headers["content-type"] == "application/json"
    assert set(answer.json()) >= {"code", "detail"}
    assert ordos_api.get(path, headers={"Accept": "application/json, text/html"}).json()["detail"]


def test_the_error_page_in_chromium_on_a_phone(ordos_api: httpx.Client) -> None:
    browser = Browser()
    try:
        browser.page("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=1, mobile=True)
        browser.open(f"{ordos_api.base_url}/maps/places/999999999")
        heading = wait_for(lambda: browser.evaluate("(document.querySelector('h1') || {}).innerText"), "the page")
        assert heading.startswith("404 未找到") and "Not found" in heading
        assert browser.evaluate("document.title").startswith("404 未找到")
        assert browser.evaluate("document.documentElement.scrollWidth") <= 390  # fits the phone
        link = browser.evaluate("document.querySelector('nav a').getBoundingClientRect().height")
        assert link >= 44  # a thumb's target
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "error-404-390x844.png"
        shot.write_bytes(base64.b64decode(browser.page("Page.captureScreenshot", format="png")["data"]))
    finally:
        browser.close()
