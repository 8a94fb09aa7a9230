"""The coverage map's point legend (round symbols, one per point overlay) and the 示意数据 ILLUSTRATIVE mark across
the map when it shows illustrative facilities (issue 13)."""

from __future__ import annotations

import base64
import html
import re

import httpx
from sqlalchemy import Engine

from maps.coverage import POINT_STYLES
from maps.labels import ILLUSTRATIVE_MARK
from tests.cdp import Browser, wait_for
from tests.facilities.test_coverage import add
from tests.facilities.test_facilities import editor
from tests.maps.test_browser import ARTIFACTS

WATERMARK = f'<div class="map-watermark" aria-hidden="true">{ILLUSTRATIVE_MARK}</div>'


def point_legend(page: str) -> list[tuple[str, str, str]]:
    """The legend 点 Points of a map page: (shape style, colour, words) per row."""
    found = re.search(
        r'<details class="map-legend" id="legend-\d+" open><summary>点 Points</summary>(.*?)</details>', page
    )
    assert found, "no point legend on the page"
    rows = re.findall(
        r'<span style="display:inline-block;([^"]*?);background:([^;]+);[^"]*"></span>([^<]*)</div>', found[1]
    )
    return [(shape, colour, html.unescape(words)) for shape, colour, words in rows]


def test_point_legend_and_no_mark_without_illustrative_facilities(ordos_api: httpx.Client) -> None:
    page = ordos_api.get("/maps/coverage").text
    legend = point_legend(page)
    assert [(colour, words) for _, colour, words in legend] == list(POINT_STYLES.values())
    assert all("border-radius:50%" in shape for shape, _, _ in legend)  # round, as the points are drawn
    assert "map-watermark" not in page  # the Ordos data alone: no facility at all


def test_illustrative_facilities_mark_the_map_itself(api: httpx.Client, ordos_engine: Engine) -> None:
    add(api, editor(ordos_engine), name="服务站(fixture)", kind="community_eldercare_site", lon=109.78, lat=39.61)
    page = api.get("/maps/coverage").text
    assert page.count(WATERMARK) == 1
    browser = Browser()
    try:
        browser.page("Emulation.setDeviceMetricsOverride", width=1200, height=800, deviceScaleFactor=1, mobile=False)
        browser.open(f"{api.base_url}/maps/coverage")
        wait_for(lambda: browser.evaluate("!!document.body.dataset.layerCounts"), "the map to start")
        mark = browser.evaluate(
            "(function () { var m = document.querySelector('.map-watermark'), s = getComputedStyle(m),"
            " r = m.getBoundingClientRect(); return {text: m.textContent, events: s.pointerEvents, z: s.zIndex,"
            " cx: r.left + r.width / 2, cy: r.top + r.height / 2, w: r.width}; })()"
        )
        shot = browser.page("Page.captureScreenshot", format="png")["data"]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "coverage-watermark.png").write_bytes(base64.b64decode(shot))
    finally:
        browser.close()
    assert mark["text"] == ILLUSTRATIVE_MARK and mark["events"] == "none" and mark["z"] == "650"
    assert abs(mark["cx"] - 600) < 2 and abs(mark["cy"] - 400) < 2 and mark["w"] > 300  # across the map's middle
