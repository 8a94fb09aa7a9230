"""OGC items pages on the lean path (issue 14): a page past the first is cut from the ids alone, and numberMatched
is kept per data version (a committed write counts afresh)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import Engine, text

from core.database import transaction
from tests.conftest import LiveServer

POLYGONS = "polygons-amap-2020"


def page(client: httpx.Client, **params: Any) -> dict[str, Any]:
    response = client.get(f"/ogc/collections/{POLYGONS}/items", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_page_past_the_first_is_the_slice_of_every_feature(ordos_api: httpx.Client) -> None:
    every = page(ordos_api, limit=1000)["features"]
    assert len(every) > 6
    for offset in (1, 3, len(every) - 2):
        features = page(ordos_api, limit=3, offset=offset)["features"]
        assert features == every[offset : offset + 3], offset  # ids, properties (unit names) and geometries


def test_number_matched_is_counted_again_after_a_write(ordos_engine: Engine) -> None:
    with LiveServer(ordos_engine.url.render_as_string(hide_password=False)) as client:
        before = page(client, limit=2)
        assert page(client, limit=2)["numberMatched"] == before["numberMatched"] > 2
        with transaction(ordos_engine) as conn:
            # Hand-made fixture (not real data): one more current polygon version of the source, a copy.
            conn.execute(
                text(
                    "INSERT INTO unit_polygon (unit_code, source, status, geom, valid_from) SELECT unit_code,"
                    " source, 'reference', geom, valid_from + 1 FROM unit_polygon WHERE source = 'amap-2020'"
                    " ORDER BY id LIMIT 1"
                )
            )
        after = page(client, limit=2)
        assert after["numberMatched"] == before["numberMatched"] + 1
        assert page(client, limit=2, offset=1)["numberMatched"] == after["numberMatched"]
