"""Vector tiles kept per worker by entity tag (ogc.api, a core.lru.LRU on app.state): served again while the data
versions stand, built anew after any committed write; a setting of 0 keeps none (the bounds: tests/core/test_lru.py)."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import httpx
from sqlalchemy import Engine, text

from core.database import transaction
from core.settings import MapSettings
from tests.conftest import LiveServer, server_config

KANGBASHI = (109.78, 39.61)  # a point inside 康巴什区 (150603000000)


def tile_path(lon: float, lat: float, z: int) -> str:
    """The units-county tile (WebMercatorQuad) holding the point."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"/tiles/units-county/{z}/{x}/{y}.mvt"


def names_in(response: httpx.Response, tmp_path: Path) -> set[str]:
    """The unit names a tile carries (read with GDAL's MVT driver)."""
    assert response.status_code == 200, response.text
    path = tmp_path / "tile.mvt"
    path.write_bytes(response.content)
    return set(gpd.read_file(path, engine="pyogrio")["name"])


def rename_unseen(engine: Engine, code: str, name: str) -> None:
    """Rename a unit behind the data version's back (its trigger off for the statement): a change no tag sees."""
    with transaction(engine) as conn:
        conn.execute(text("ALTER TABLE admin_unit DISABLE TRIGGER data_version_admin_unit"))
        conn.execute(text("UPDATE admin_unit SET name = :name WHERE code = :code AND valid_to IS NULL"), locals())
        conn.execute(text("ALTER TABLE admin_unit ENABLE TRIGGER data_version_admin_unit"))


def test_a_tile_is_kept_while_the_data_stands_and_built_again_after_a_write(
    api: httpx.Client, ordos_engine: Engine, tmp_path: Path
) -> None:
    path = tile_path(*KANGBASHI, 9)
    first = api.get(path)
    assert "康巴什区" in names_in(first, tmp_path)
    assert first.headers["cache-control"] == "no-cache" and first.headers["etag"].startswith('W/"')
    assert api.get(path, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    rename_unseen(ordos_engine, "150603000000", "暗改区")
    again = api.get(path)
    assert again.content == first.content  # from the cache: no data version moved
    with transaction(ordos_engine) as conn:  # a committed write bumps the boundaries' data version
        conn.execute(text("UPDATE admin_unit SET name = '新康巴什区' WHERE code = '150603000000' AND valid_to IS NULL"))
    after = api.get(path)
    assert after.headers["etag"] != first.headers["etag"]
    assert "新康巴什区" in names_in(after, tmp_path) and "康巴什区" not in names_in(after, tmp_path)


def test_a_cache_of_zero_keeps_no_tile(ordos_engine: Engine, tmp_path: Path) -> None:
    url = ordos_engine.url.render_as_string(hide_password=False)
    with LiveServer(url, server_config(url, maps=MapSettings(tile_cache_mb=0))) as uncached:
        path = tile_path(*KANGBASHI, 9)
        assert "康巴什区" in names_in(uncached.get(path), tmp_path)
        rename_unseen(ordos_engine, "150603000000", "暗改区")
        assert "暗改区" in names_in(uncached.get(path), tmp_path)
