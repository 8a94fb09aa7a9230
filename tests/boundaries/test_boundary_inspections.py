"""Joint inspections: campaigns over lines, marker observations with GNSS fixes in several CRSs (displacement and
bearing checked against pyproj), duplicate submissions, a fix far from the line, roles and bad input."""

from __future__ import annotations

import math
from pathlib import Path

import httpx
import pytest
import shapely
from pyproj import Geod
from sqlalchemy import Engine, text

from boundaries.lines import service as lines
from core.crs import transform_point
from core.database import transaction
from core.gauss_kruger import gauss_kruger_zone_for
from tests.factories import role_key

GRS80 = Geod(ellps="GRS80")
URL = "/api/v1/boundaries/inspections"


@pytest.fixture
def marked_line(ordos_engine: Engine, tmp_path: Path) -> tuple[int, list[dict]]:
    """The 东胜区–康巴什区 line with two markers at 30 % and 70 % of its longest part (hand-placed, EPSG:4490)."""
    with transaction(ordos_engine) as conn:
        lines.derive_lines(conn, parent="150600", level="county", actor="test")
        (line,) = [
            li for li in lines.list_lines(conn, unit="150603") if li["units"] == ["150602000000", "150603000000"]
        ]
        part = max(shapely.get_parts(shapely.geometry.shape(line["geometry"])), key=lambda g: g.length)
        rows = ["number,unit_a,unit_b,type,x,y,crs,description"]
        for n, fraction in enumerate((0.3, 0.7), start=1):
            p = part.interpolate(fraction, normalized=True)
            rows.append(f"DK-{n:03d},150602,150603,single,{p.x:.9f},{p.y:.9f},EPSG:4490,")
        path = tmp_path / "markers.csv"
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        lines.import_markers(conn, path, actor="test")
        return line["id"], lines.list_markers(conn, line_id=line["id"])


def campaign_body(line_id: int, **change: object) -> dict:
    return {
        "title": "2026 东胜—康巴什 联合检查",
        "line_ids": [line_id],
        "period_start": "2026-05-01",
        "period_end": "2026-06-30",
        "inspectors": ["王工", "乌兰"],
        "tolerance_m": 5.0,
        **change,
    }


def moved(marker: dict, bearing: float, distance: float, crs: str) -> dict:
    """The marker's agreed position moved on the ellipsoid, given in ``crs``."""
    lon, lat, _ = GRS80.fwd(marker["lon"], marker["lat"], bearing, distance)
    x, y = transform_point(lon, lat, "EPSG:4490", crs)
    return {"x": x, "y": y, "crs": crs}


def test_observations_measure_displacement_and_bearing(
    api: httpx.Client, ordos_engine: Engine, marked_line: tuple[int, list[dict]]
) -> None:
    line_id, (first, second) = marked_line
    created = api.post(URL, headers=role_key(ordos_engine, "editor"), json=campaign_body(line_id))
    assert created.status_code == 201, created.text
    campaign = created.json()
    assert campaign["parties"] == ["150602000000", "150603000000"]
    inspector = role_key(ordos_engine, "inspector")
    url = f"{URL}/{campaign['id']}/observations"
    in_place = {
        "submission_id": "phone-7f3a-0001",
        "observed_on": "2026-05-12",
        "marker_id": first["id"],
        "status": "intact",
        "fix": moved(first, 0.0, 3.0, "GCJ-02"),
    }
    response = api.post(url, headers=inspector, json=in_place)
    assert response.status_code == 201, response.text
    observed = response.json()
    assert observed["displacement_m"] == pytest.approx(3.0, abs=0.01)
    assert min(observed["bearing_deg"], 360 - observed["bearing_deg"]) < 0.5
    assert observed["classification"] == "in_place" and observed["fix_crs"] == "GCJ-02"
    # The same report sent again (the network dropped before the answer): the stored one, nothing new.
    again = api.post(url, headers=inspector, json=in_place)
    assert again.status_code == 200 and again.json()["id"] == observed["id"]
    clash = api.post(url, headers=inspector, json={**in_place, "status": "damaged"})
    assert clash.status_code == 409
    displaced = api.post(
        url,
        headers=inspector,
        json={
            "submission_id": "phone-7f3a-0002",
            "observed_on": "2026-05-12",
            "marker_id": second["id"],
            "status": "moved",
            "fix": moved(second, 90.0, 12.0, "BD-09"),
            "notes": "修路时被推土机推移",
        },
    ).json()
    assert displaced["displacement_m"] == pytest.approx(12.0, abs=0.01)
    assert displaced["bearing_deg"] == pytest.approx(90.0, abs=0.5)
    assert displaced["classification"] == "displaced"
    hazard = api.post(
        url,
        headers=inspector,
        json={"submission_id": "phone-7f3a-0003", "observed_on": "2026-05-13", "line_id": line_id, "notes": "施工跨线"},
    )
    assert hazard.status_code == 201 and hazard.json()["marker_id"] is None
    missing = api.post(
        url,
        headers=inspector,
        json={
            "submission_id": "phone-7f3a-0004",
            "observed_on": "2026-05-13",
            "marker_id": first["id"],
            "status": "missing",
        },
    ).json()
    assert missing["classification"] == "no_fix" and missing["displacement_m"] is None
    stored = api.get(f"{URL}/{campaign['id']}").json()["observations"]
    assert [o["submission_id"] for o in stored] == [f"phone-7f3a-000{i}" for i in range(1, 5)]


def test_bearings_true_and_grid_none_at_zero_and_vendor_offsets_named(
    api: httpx.Client, ordos_engine: Engine, marked_line: tuple[int, list[dict]]
) -> None:
    """True bearing (geodesic azimuth) and grid bearing (the marker's 3-degree GK zone, computed here from the
    projected coordinates), no bearing for a fix on the agreed position, and a fix whose displacement is the
    GCJ-02 offset at the place, declared WGS84, named as such."""
    line_id, (first, second) = marked_line
    campaign = api.post(URL, headers=role_key(ordos_engine, "editor"), json=campaign_body(line_id)).json()
    inspector = role_key(ordos_engine, "inspector")
    url = f"{URL}/{campaign['id']}/observations"

    def send(number: int, marker: dict, fix: dict) -> dict:
        body = {"submission_id": f"bearing-000{number}", "observed_on": "2026-05-12", "marker_id": marker["id"]}
        response = api.post(url, headers=inspector, json={**body, "status": "intact", "fix": fix})
        assert response.status_code == 201, response.text
        return response.json()

    east = send(1, first, moved(first, 90.0, 12.0, "EPSG:4490"))
    zone = gauss_kruger_zone_for(first["lon"])
    (e0, n0), (e1, n1) = (transform_point(lon, lat, "EPSG:4490", zone) for lon, lat in
                          ((first["lon"], first["lat"]), (east["lon"], east["lat"])))  # fmt: skip
    assert east["bearing_deg"] == pytest.approx(90.0, abs=0.1) and east["grid_crs"] == zone
    assert east["grid_bearing_deg"] == pytest.approx(math.degrees(math.atan2(e1 - e0, n1 - n0)) % 360, abs=0.05)
    assert 0.05 < abs(east["grid_bearing_deg"] - east["bearing_deg"]) < 2  # the meridian convergence
    assert east["crs_warning"] is None
    on_spot = send(2, second, {"x": second["lon"], "y": second["lat"], "crs": "EPSG:4490"})
    assert on_spot["displacement_m"] == 0 and on_spot["bearing_deg"] is None and on_spot["grid_bearing_deg"] is None
    gx, gy = transform_point(first["lon"], first["lat"], "EPSG:4490", "GCJ-02")
    vendor = send(3, first, {"x": gx, "y": gy, "crs": "EPSG:4326"})
    assert vendor["displacement_m"] > 100 and "GCJ-02" in vendor["crs_warning"]
    stored = {o["submission_id"]: o for o in api.get(f"{URL}/{campaign['id']}").json()["observations"]}
    assert stored["bearing-0003"]["crs_warning"] == vendor["crs_warning"]
    assert stored["bearing-0001"]["grid_bearing_deg"] == east["grid_bearing_deg"]


def test_a_fix_far_from_the_line_is_refused_not_classified(
    api: httpx.Client, ordos_engine: Engine, marked_line: tuple[int, list[dict]]
) -> None:
    line_id, (first, _) = marked_line
    campaign = api.post(URL, headers=role_key(ordos_engine, "editor"), json=campaign_body(line_id)).json()
    body = {
        "submission_id": "phone-far-0001",
        "observed_on": "2026-05-12",
        "marker_id": first["id"],
        "status": "moved",
        "fix": moved(first, 45.0, 300_000.0, "EPSG:4326"),
    }
    response = api.post(f"{URL}/{campaign['id']}/observations", headers=role_key(ordos_engine, "inspector"), json=body)
    assert response.status_code == 422
    assert "km from line" in response.json()["detail"] and "not a displacement" in response.json()["detail"]
    with ordos_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM inspection_observation")).scalar_one() == 0


def test_bad_campaigns_and_observations(
    api: httpx.Client, ordos_engine: Engine, marked_line: tuple[int, list[dict]]
) -> None:
    line_id, (first, _) = marked_line
    editor, inspector = role_key(ordos_engine, "editor"), role_key(ordos_engine, "inspector")
    campaign_cases: list[tuple[dict[str, object], int, str]] = [
        ({"line_ids": [987654]}, 404, "987654"),
        ({"line_ids": []}, 422, "line_ids"),
        ({"period_end": "2026-04-01"}, 422, "before it starts"),
        ({"tolerance_m": 0}, 422, "tolerance_m"),
        ({"inspectors": ["  "]}, 422, "inspectors"),
    ]
    for change, status, needle in campaign_cases:
        response = api.post(URL, headers=editor, json=campaign_body(line_id, **change))
        assert response.status_code == status, (change, response.text)
        assert needle in response.json()["detail"]
    assert api.post(URL, headers=inspector, json=campaign_body(line_id)).status_code == 403
    other = [li for li in api.get("/api/v1/boundaries/lines", params={"geometry": False}).json() if li["id"] != line_id]
    campaign = api.post(URL, headers=editor, json=campaign_body(other[0]["id"])).json()
    url = f"{URL}/{campaign['id']}/observations"
    good = {
        "submission_id": "phone-bad-0001",
        "observed_on": "2026-05-12",
        "marker_id": first["id"],
        "status": "intact",
    }
    observation_cases: list[tuple[dict[str, object], int, str]] = [
        ({}, 422, "not inspected by this campaign"),
        ({"submission_id": "short"}, 422, "submission_id"),
        ({"observed_on": "2026-07-01"}, 422, "outside the campaign"),
        ({"marker_id": 777777}, 404, "777777"),
        ({"marker_id": None, "line_id": other[0]["id"]}, 422, "line (line_id and notes)"),
    ]
    for change, status, needle in observation_cases:
        response = api.post(url, headers=inspector, json={**good, **change})
        assert response.status_code == status, (change, response.text)
        assert needle in response.json()["detail"]
    assert api.post(url, headers=editor, json=good).status_code == 403
    assert api.post(f"{URL}/999999/observations", headers=inspector, json=good).status_code == 404
    assert api.get(f"{URL}/999999").status_code == 404
    with ordos_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM inspection_observation")).scalar_one() == 0
