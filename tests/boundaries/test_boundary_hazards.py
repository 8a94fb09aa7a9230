"""Boundary hazard screening: each factor moves the score of a section, bad input is refused naming the value,
JSON, CSV and GeoJSON agree. The lines are derived from the real Ordos banners; every dispute case, marker,
inspection, claim, facility and place below is a hand-made fixture placed on one section of the 东胜区–康巴什区
line (not real data)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, text

from core.database import transaction
from core.settings import HazardSettings, Settings
from gazetteer.service import import_points
from tests.conftest import LiveServer, server_config
from tests.factories import role_key

URL = "/api/v1/boundaries/hazards"
LINE = "150602000000|150603000000"
TARGET = 3  # the section of LINE the fixtures sit on
AS_OF = "2026-11-30"


def screen(api: httpx.Client, **params: str) -> dict:
    response = api.get(URL, params={"unit": "150603", "as_of": AS_OF, **params})
    assert response.status_code == 200, response.text
    return response.json()


def section(result: dict, number: int = TARGET, line: str = LINE) -> dict:
    return next(s for s in result["sections"] if s["line_key"] == line and s["section"] == number)


def square(lon: float, lat: float, half: float) -> dict:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


@pytest.fixture
def derived(api: httpx.Client, ordos_engine: Engine) -> dict[str, str]:
    """The county lines derived from the registered banners; an editor's key."""
    editor = role_key(ordos_engine, "editor")
    response = api.post("/api/v1/boundaries/lines/derive", headers=editor, json={"parent": "150600", "level": "county"})
    assert response.status_code == 201, response.text
    return editor


def test_each_factor_moves_the_score(
    api: httpx.Client, ordos_engine: Engine, derived: dict[str, str], tmp_path: Path
) -> None:
    editor, inspector = derived, role_key(ordos_engine, "inspector")
    baseline = screen(api)
    target = section(baseline)
    assert target["points"] == {"inspection_overdue": 15.0} and target["reasons"] == ["never jointly inspected"]
    assert baseline["data"]["dispute_cases"] == 0 and baseline["data"]["lines_inspected"] == 0
    lon, lat = target["middle"]
    line_id = target["line_id"]

    # A joint inspection within the five-year cycle clears the overdue factor; five years on it is due again.
    campaign = api.post(
        "/api/v1/boundaries/inspections",
        headers=editor,
        json={
            "title": "东胜—康巴什 联检 (fixture)",
            "line_ids": [line_id],
            "period_start": "2026-05-01",
            "period_end": "2026-06-30",
            "inspectors": ["手工测试"],
            "tolerance_m": 5,
        },
    ).json()
    assert section(screen(api))["points"] == {}
    later = section(screen(api, as_of="2031-07-01"))
    assert later["points"] == {"inspection_overdue": 15.0}
    assert later["reasons"] == ["last joint inspection ended 2026-06-30, over 5 years before 2031-07-01"]

    # Markers found missing, or displaced beyond the campaign's tolerance: 10 points each, full at two.
    markers = "\n".join(
        ["number,unit_a,unit_b,type,x,y,crs,description"]
        + [f"HZ-{n},150602,150603,paired,{lon},{lat},EPSG:4490,fixture" for n in (1, 2)]
    )
    imported = api.post(
        "/api/v1/boundaries/markers/import", headers=editor, params={"name": "hz.csv"}, content=markers.encode()
    )
    assert imported.status_code == 200, imported.text
    ids = {m["number"]: m["id"] for m in api.get("/api/v1/boundaries/markers", params={"line": line_id}).json()}

    def observe(submission: str, marker: str, **body: object) -> None:
        response = api.post(
            f"/api/v1/boundaries/inspections/{campaign['id']}/observations",
            headers=inspector,
            json={"submission_id": submission, "observed_on": "2026-06-01", "marker_id": ids[marker], **body},
        )
        assert response.status_code == 201, response.text

    observe("hz-fixture-1", "HZ-1", status="missing")
    one = section(screen(api))
    assert one["points"] == {"marker_problems": 10.0}
    assert one["reasons"] == [f"marker HZ-1 missing (observed 2026-06-01, campaign {campaign['id']})"]
    assert section(screen(api, as_of="2026-05-31"))["points"] == {}  # not yet observed then
    observe("hz-fixture-2", "HZ-2", status="intact", fix={"x": lon, "y": lat + 0.0002, "crs": "EPSG:4490"})
    two = section(screen(api))
    assert two["points"] == {"marker_problems": 20.0}
    assert "marker HZ-2 intact, displaced 22.2 m" in two["reasons"][1]

    # An open dispute case on the section: 30 points, fading with the distance to its ground.
    ground = square(lon, lat, 0.001)
    opened = api.post(
        "/api/v1/boundaries/disputes",
        headers=editor,
        json={
            "title": "草场界争议 (fixture)",
            "units": ["150602", "150603"],
            "opened_on": "2026-07-01",
            "geometry": ground,
            "crs": "EPSG:4490",
        },
    ).json()
    result = screen(api)
    assert section(result)["points"]["open_dispute"] == 30.0
    assert f"dispute case {opened['id']} 《草场界争议 (fixture)》 (open): on its ground" in section(result)["reasons"]
    further = section(result, TARGET + 3)["points"]["open_dispute"]
    assert 0 < further < 30
    assert "open_dispute" not in section(screen(api, as_of="2026-06-30"))["points"]  # opened the day after

    # A case resolved within three years adds 10 points on its ground; older than that it no longer counts.
    settled = api.post(
        "/api/v1/boundaries/disputes",
        headers=editor,
        json={
            "title": "林地界争议 (fixture)",
            "units": ["150602", "150603"],
            "opened_on": "2026-07-02",
            "geometry": ground,
            "crs": "EPSG:4490",
        },
    ).json()
    resolved = api.patch(
        f"/api/v1/boundaries/disputes/{settled['id']}",
        headers=editor,
        json={"version": 1, "on_date": "2026-08-01", "status": "resolved"},
    )
    assert resolved.status_code == 200, resolved.text
    assert section(screen(api))["points"]["recent_dispute"] == 10.0
    assert "recent_dispute" not in section(screen(api, as_of="2029-08-02"))["points"]
    assert section(screen(api, as_of="2026-07-31"))["points"]["open_dispute"] == 30.0  # not yet resolved then

    # A claim over the line: disputed ground within 500 m, and the versions lie apart beyond 100 m.
    with ordos_engine.connect() as conn:
        claim = conn.execute(
            text(
                "SELECT ST_AsGeoJSON(ST_Union(geom, ST_MakeEnvelope(:x1, :y1, :x2, :y2, 4490)))::json FROM unit_polygon"
                " WHERE unit_code = '150603000000' AND status = 'registered'"
            ),
            {"x1": lon - 0.003, "y1": lat - 0.003, "x2": lon + 0.003, "y2": lat + 0.003},
        ).scalar_one()
    compared = api.post(
        "/api/v1/boundaries/compare",
        headers=editor,
        json={"unit": "150603", "claim": claim, "crs": "EPSG:4490", "label": "hz-claim", "as_of": AS_OF},
    )
    assert compared.status_code == 201, compared.text
    result = screen(api)
    points = section(result)["points"]
    assert 0 < points["disputed_ground"] < 20 and points["source_offset"] == 10.0
    assert any("of disputed ground in" in r and "hz-claim:150603000000" in r for r in section(result)["reasons"])
    assert result["data"]["comparisons"] == 1 and result["data"]["disputed_pieces"] >= 1

    # People and assets within 500 m on either side: a place name, a facility, a grave.
    for name, kind in (("手工测试日间照料站", "community_eldercare_site"), ("手工测试坟墓", "grave")):
        created = api.post(
            "/api/v1/facilities",
            headers=editor,
            json={"name": name, "kind": kind, "lon": lon + 0.002, "lat": lat, "crs": "EPSG:4490", "illustrative": True},
        )
        assert created.status_code == 201, created.text
    places = tmp_path / "hz_places_fixture.csv"
    places.write_text(f"id,name,lon,lat\nhz-1,手工测试地名,{lon - 0.002},{lat}\n", encoding="utf-8")
    with transaction(ordos_engine) as conn:
        import_points(
            conn,
            places,
            source="hz-fixture",
            crs="EPSG:4490",
            lon_column="lon",
            lat_column="lat",
            name_column="name",
            id_column="id",
        )
    result = screen(api)
    points = section(result)["points"]
    assert (points["places"], points["facilities"], points["graves"]) == (1.0, 1.7, 3.3)
    assert "1 place name(s) within 500 m: 手工测试地名" in section(result)["reasons"]
    assert "1 grave(s) within 500 m: 手工测试坟墓" in section(result)["reasons"]

    # The section carries every factor now and heads the list.
    top = result["sections"][0]
    assert (top["line_key"], top["section"]) == (LINE, TARGET)
    assert top["score"] == pytest.approx(sum(top["points"].values()), abs=0.2)
    assert set(top["points"]) == {
        "open_dispute",
        "recent_dispute",
        "disputed_ground",
        "marker_problems",
        "places",
        "facilities",
        "graves",
        "source_offset",
    }


def test_formats_agree(api: httpx.Client, derived: dict[str, str]) -> None:
    as_json = screen(api)
    assert as_json["metric_crs"] == "CGCS2000 / 3-degree Gauss-Kruger CM 111E"  # the zone of 康巴什 (109.9°E)
    assert as_json["weights"]["inspection_overdue"] == 15.0 and as_json["section_m"] == 1000.0
    assert {tuple(sorted(s["units"])) for s in as_json["sections"]} >= {("150602000000", "150603000000")}
    assert all("150603000000" in s["units"] for s in as_json["sections"])
    lengths = sorted(s["to_km"] - s["from_km"] for s in as_json["sections"])
    assert 0.99 < lengths[len(lengths) // 2] < 1.01 and lengths[-1] < 1.5
    lines = api.get("/api/v1/boundaries/lines", params={"unit": "150603", "geometry": "false"}).json()
    for line in lines:  # the sections tile each line end to end
        own = sorted((s["from_km"], s["to_km"]) for s in as_json["sections"] if s["line_key"] == line["line_key"])
        assert own[0][0] == 0 and all(a[1] == b[0] for a, b in zip(own, own[1:], strict=False))
        assert own[-1][1] == pytest.approx(line["length_km"], rel=1e-3)

    response = api.get(URL, params={"unit": "150603", "as_of": AS_OF, "format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:8] == ["rank", "line_key", "units", "section", "of", "from_km", "to_km", "score"]
    assert len(rows) == len(as_json["sections"]) + 1
    top = as_json["sections"][0]
    assert rows[1][1] == top["line_key"] and rows[1][-3] == "; ".join(top["reasons"])

    response = api.get(URL, params={"unit": "150603", "as_of": AS_OF, "format": "geojson", "section_m": "5000"})
    assert response.headers["content-type"] == "application/geo+json"
    features = json.loads(response.content)["features"]
    assert features and all(f["geometry"]["type"] == "LineString" for f in features)
    assert [f["properties"]["rank"] for f in features] == list(range(1, len(features) + 1))
    assert len(features) < len(as_json["sections"]) / 3  # 5 km sections
    everything = api.get(URL, params={"as_of": AS_OF}).json()
    assert everything["unit"] is None and everything["data"]["lines"] == 23
    assert everything["metric_crs"] == "CGCS2000 / 3-degree Gauss-Kruger CM 108E"  # EPSG:4545, the city's zone


def test_the_weights_are_settings(api: httpx.Client, ordos_engine: Engine, derived: dict[str, str]) -> None:
    url = ordos_engine.url.render_as_string(hide_password=False)
    weights = HazardSettings(hazard_inspection_overdue=40, hazard_inspection_cycle_years=10)
    with LiveServer(url, server_config(url, hazards=weights)) as configured:
        result = screen(configured)
    assert result["weights"]["inspection_overdue"] == 40 and result["weights"]["inspection_cycle_years"] == 10
    assert section(result)["points"] == {"inspection_overdue": 40.0}
    assert screen(api)["weights"]["inspection_overdue"] == 15  # the default


@pytest.mark.parametrize(("name", "value"), [("GAZ_HAZARD_BUFFER_M", "0"), ("GAZ_HAZARD_GRAVES", "-1")])
def test_a_bad_weight_stops_the_service_at_start(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.removeprefix("GAZ_").lower()):
        Settings()


@pytest.mark.parametrize(
    ("params", "status", "named"),
    [
        ({"section_m": "50"}, 422, "section_m 50.0"),
        ({"section_m": "60000"}, 422, "section_m 60000.0"),
        ({"section_m": "nan"}, 422, "section_m nan"),
        ({"section_m": "abc"}, 422, "'abc'"),
        ({"unit": "999999"}, 404, "999999"),
        ({"unit": "15x6"}, 422, "15x6"),
        ({"as_of": "2026-02-30"}, 422, "2026-02-30"),
        ({"format": "xml"}, 422, "'xml'"),
    ],
)
def test_bad_input_is_refused_naming_the_value(
    ordos_api: httpx.Client, params: dict[str, str], status: int, named: str
) -> None:
    response = ordos_api.get(URL, params=params)
    assert response.status_code == status, response.text
    assert named in response.json()["detail"]


def test_no_lines_derived_answers_an_empty_list(ordos_api: httpx.Client) -> None:
    result = ordos_api.get(URL, params={"unit": "150600"}).json()
    assert result["sections"] == [] and result["data"] == {"lines": 0, "sections": 0}
