"""Issue 13 leftovers in headless Chromium: on a phone (390×844) a feature popup stays on the screen; screenshot
under .run/artifacts/maps/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.cdp import wait_for
from tests.maps.test_viewer_browser import Viewer, local, started
from tests.maps.test_viewer_panels import open_panel, pick, stored  # noqa: F401  (fixture)

POPUP_BOX = (
    "(() => { const p = document.querySelector('.leaflet-popup');"
    " if (!p) { return null; } const r = p.getBoundingClientRect(); return [r.left, r.right, r.top, r.bottom]; })()"
)


@pytest.fixture
def viewer(api: httpx.Client, stored: dict[str, Any]) -> Iterator[Viewer]:  # noqa: F811
    yield from started(api)


def test_a_feature_popup_stays_on_a_phone_screen(stored: dict[str, Any], viewer: Viewer) -> None:  # noqa: F811
    """A comparison piece's popup (Leaflet maxWidth 340 px of content, 387 px with its margins) opened from the
    list of what was drawn lies within the 390 px screen."""
    viewer.size(390, 844, mobile=True)
    viewer.open("/maps/")
    open_panel(viewer)
    assert pick(viewer, f"comparison/{stored['comparison']['id']}") > 0
    viewer.js("document.querySelector('.gaz-picks').open = true")
    viewer.js("document.querySelectorAll('.gaz-finding')[0].click()")
    wait_for(lambda: viewer.js(POPUP_BOX), "the popup")
    viewer.js("new Promise((done) => setTimeout(done, 800))")
    box = viewer.js(POPUP_BOX)
    viewer.js("document.querySelector('.gaz-picks').open = false")
    viewer.screenshot("viewer-popup-390x844.png")
    assert box[0] >= 0 and box[1] <= 390 and box[2] >= 0 and box[3] <= 844, box
    local(viewer)
