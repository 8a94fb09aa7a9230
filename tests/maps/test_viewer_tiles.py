"""The viewer's township and village points drawn from the service's own vector tiles (maps/static/vectortiles.js)
in headless Chromium, offline: the features drawn in view come from /tiles requests and equal the OGC API's count
for the same box; a click on a village point opens its card; the tiles follow the viewer's date; bad tile requests
are refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from tests.cdp import wait_for
from tests.maps.test_viewer_browser import BINHE, OLD_NAME, Viewer, local, renamed_viewer, started

__all__ = ["renamed_viewer"]  # the fixture, used below

TOWNSHIPS = "乡镇级单位 Township-level units (points)"
VILLAGES = "村级单位 Village-level units (points, 10 级起 from zoom 10)"


@pytest.fixture
def viewer(ordos_api: httpx.Client) -> Iterator[Viewer]:
    yield from started(ordos_api)


def tile_layer(name: str) -> str:
    return f"gazViewer.tiled.find((t) => t.spec.name === {name!r}).layer"


def drawn(viewer: Viewer, name: str) -> list[dict[str, object]]:
    """The features of a tile layer drawn in view, once its tiles have all arrived."""
    layer = tile_layer(name)
    loaded = f"!{layer}.isLoading() && Object.keys({layer}._tiles).length > 0"
    wait_for(lambda: viewer.js(loaded), f"{name} tiles", timeout=90)  # tiles are built on demand: slow under load
    return list(viewer.js(f"{layer}.drawn()"))


def a_village(api: httpx.Client) -> dict[str, object]:
    """A village of Ordos drawn at a reference point, today."""
    found = api.get(
        "/ogc/collections/units-village/items",
        params={"limit": 50, "datetime": date.today().isoformat(), "bbox": "106.6,37.5,111.6,40.9"},
    ).json()["features"]
    return next(f for f in found if f["properties"]["geometry_kind"] == "point")


def test_village_points_are_drawn_from_the_vector_tiles(ordos_api: httpx.Client, viewer: Viewer) -> None:
    village = a_village(ordos_api)
    lon, lat = village["geometry"]["coordinates"]  # type: ignore[index]
    page = ordos_api.get("/maps/").text
    assert str(village["properties"]["name"]) not in page  # type: ignore[index]  # no inline village
    viewer.open(f"/maps/#map=12/{lat:.5f}/{lon:.5f}&layers={TOWNSHIPS}|{VILLAGES}")
    shown = drawn(viewer, VILLAGES)
    west, south, east, north = viewer.js("gazViewer.map.getBounds().toBBoxString().split(',').map(Number)")
    expected = ordos_api.get(
        "/ogc/collections/units-village/items",
        params={"bbox": f"{west},{south},{east},{north}", "datetime": date.today().isoformat(), "limit": 1},
    ).json()["numberMatched"]
    assert len(shown) == expected > 0, (len(shown), expected)
    assert village["properties"]["code"] in {f["props"]["code"] for f in shown}  # type: ignore[index]
    local(viewer)
    tiles = [u for u in viewer.requests if "/tiles/units-village/12/" in u]
    assert tiles and all(u.endswith(".mvt") for u in tiles), viewer.requests
    assert not any("/tiles/units-village/" in u and "/tiles/units-village/12/" not in u for u in viewer.requests)

    x, y = viewer.js(
        f"(() => {{ const p = gazViewer.map.latLngToContainerPoint([{lat}, {lon}]);"
        " const r = gazViewer.map.getContainer().getBoundingClientRect(); return [r.x + p.x, r.y + p.y]; })()"
    )
    viewer.click_at(x, y)
    card = viewer.card()
    assert str(village["properties"]["name"]) in card and "村级 village" in card, card  # type: ignore[index]
    assert str(village["properties"]["code"]) in card, card  # type: ignore[index]
    viewer.screenshot("viewer-villages-1400x900.png")


def test_villages_start_at_their_first_zoom(viewer: Viewer) -> None:
    viewer.open(f"/maps/#map=9/39.6/109.8&layers={VILLAGES}")
    viewer.js("new Promise((done) => setTimeout(done, 500))")
    assert not [u for u in viewer.requests if "/tiles/units-village/" in u]  # below zoom 10: nothing asked
    viewer.js("gazViewer.map.setZoom(10, {animate: false}) && null")
    assert drawn(viewer, VILLAGES)
    local(viewer)


def test_the_tiles_follow_the_viewers_date(renamed_viewer: Viewer, api: httpx.Client) -> None:
    found = api.get(
        "/ogc/collections/units-township/items", params={"bbox": "109.5,39.4,110.1,39.8", "limit": 500}
    ).json()["features"]
    lon, lat = next(f for f in found if f["properties"]["code"] == BINHE)["geometry"]["coordinates"]
    renamed_viewer.open(f"/maps/?as_of=2018-06-01#map=13/{lat:.5f}/{lon:.5f}&layers={TOWNSHIPS}")
    names = {f["props"]["name"] for f in drawn(renamed_viewer, TOWNSHIPS)}  # type: ignore[index]
    assert OLD_NAME in names and "滨河街道" not in names, names
    assert all("datetime=2018-06-01" in u for u in renamed_viewer.requests if "/tiles/" in u)
    renamed_viewer.open(f"/maps/?as_of=2022-01-01#map=13/{lat:.5f}/{lon:.5f}&layers={TOWNSHIPS}")
    names = {f["props"]["name"] for f in drawn(renamed_viewer, TOWNSHIPS)}  # type: ignore[index]
    assert "滨河街道" in names and OLD_NAME not in names, names


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/tiles/units-village/9/420/193.mvt", 400, "zoom 9 is out of range (10..22 for units-village"),
        ("/tiles/units-township/23/0/0.mvt", 400, "zoom 23"),
        ("/tiles/no-such-layer/12/3300/1550.mvt", 404, "no collection 'no-such-layer'"),
        ("/tiles/units-village/12/4096/0.mvt", 400, "does not exist"),
    ],
)
def test_bad_tile_requests_are_refused(ordos_api: httpx.Client, path: str, status: int, says: str) -> None:
    answer = ordos_api.get(path)
    assert answer.status_code == status and says in answer.text, answer.text


def test_the_tilejson_gives_each_collections_first_zoom(ordos_api: httpx.Client) -> None:
    for collection, minzoom in (("units-village", 10), ("units-township", 6), ("units-county", 0)):
        document = ordos_api.get(f"/tiles/{collection}.json").json()
        assert document["minzoom"] == minzoom == document["vector_layers"][0]["minzoom"]
        assert {"code", "name", "kind", "parent_code"} <= set(document["vector_layers"][0]["fields"])
