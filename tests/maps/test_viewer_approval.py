"""The 审图号 on the viewer's print (setting maps.map_approval_number, GAZ_MAP_APPROVAL_NUMBER): the number when
the office has one, else a placeholder marked as such; shown as text, never as markup."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from core.settings import MapSettings
from tests.conftest import LiveServer, server_config
from tests.maps.test_viewer_browser import Viewer, started

NUMBER = "蒙S（2026）<b>012</b>号"  # a made-up number with markup in it: it must print as text
APPROVAL = "document.querySelector('.gaz-print-head .gaz-approval')"


@pytest.fixture
def numbered_viewer(shared_ordos_engine: Engine) -> Iterator[Viewer]:
    """The viewer of a server whose settings carry an approval number."""
    url = shared_ordos_engine.url.render_as_string(hide_password=False)
    with LiveServer(url, server_config(url, maps=MapSettings(map_approval_number=NUMBER))) as client:
        yield from started(client)


@pytest.fixture
def viewer(ordos_api: httpx.Client) -> Iterator[Viewer]:
    yield from started(ordos_api)


def test_the_print_carries_the_configured_approval_number(numbered_viewer: Viewer) -> None:
    numbered_viewer.open("/maps/")
    assert numbered_viewer.js(f"{APPROVAL}.textContent") == f"审图号 map approval no.: {NUMBER}"
    assert numbered_viewer.js(f"{APPROVAL}.children.length") == 0  # the <b> is text, not an element


def test_without_a_number_the_print_says_it_is_a_placeholder(viewer: Viewer) -> None:
    viewer.open("/maps/")
    shown = viewer.js(f"{APPROVAL}.textContent")
    assert shown.startswith("审图号 map approval no.: ________") and "占位，本图尚未送审" in shown, shown


def test_the_setting_is_read_from_the_environment_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GAZ_MAP_APPROVAL_NUMBER", raising=False)
    assert MapSettings().map_approval_number == ""  # default: the placeholder
    monkeypatch.setenv("GAZ_MAP_APPROVAL_NUMBER", "蒙S（2026）012号")
    assert MapSettings().map_approval_number == "蒙S（2026）012号"
    monkeypatch.setenv("GAZ_MAP_APPROVAL_NUMBER", "号" * 61)
    with pytest.raises(ValidationError, match="map_approval_number"):
        MapSettings()
