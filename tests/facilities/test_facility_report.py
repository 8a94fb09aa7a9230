"""The year-end facility figures (issue 16): the report's attributes (medical care of eldercare institutions,
opening dates), every figure's definition on a small hand-made fixture registry with known answers, bad input, and
the illustrative registry at the city's scale. Every facility here is a fixture or the illustrative generator's."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from pyproj import Geod
from sqlalchemy import Engine, text

from core.settings import CoverageSettings
from tests.app.test_cli import gaz
from tests.conftest import LiveServer, server_config
from tests.facilities.test_facilities import count, editor

URL = "/api/v1/reports/facilities"
ARTIFACTS = Path(__file__).resolve().parents[2] / ".run" / "artifacts" / "reports"
HOMES_CSV = (
    "external_id,name,kind,ownership,beds,nursing_beds,infirmary,medical_contract,opened_on,lon,lat\n"
    "h1,养老院甲(fixture),eldercare_institution,public,100,60,true,,2015-03-01,109.98,39.81\n"
    "h2,养老院乙(fixture),eldercare_institution,private,300,140,false,yes,2019-06-01,109.98,39.81\n"
)


def import_csv(api: httpx.Client, headers: dict[str, str], content: str, **params: Any) -> httpx.Response:
    query = {"source": "fixture-report", "format": "csv", "crs": "EPSG:4490", "illustrative": "true", **params}
    return api.post("/api/v1/facilities/import", params=query, content=content.encode("utf-8"), headers=headers)


def test_medical_care_and_opening_date_are_imported(api: httpx.Client, ordos_engine: Engine) -> None:
    response = import_csv(api, editor(ordos_engine), HOMES_CSV)
    assert response.status_code == 200, response.text
    homes = {h["name"]: h for h in api.get("/api/v1/facilities?kind=eldercare_institution").json()}
    first, second = homes["养老院甲(fixture)"], homes["养老院乙(fixture)"]
    assert (first["infirmary"], first["medical_contract"], first["opened_on"]) == (True, None, "2015-03-01")
    assert (second["infirmary"], second["medical_contract"], second["ownership"]) == (False, True, "private")


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ("h3,x(fixture),eldercare_institution,public,10,,maybe,,,109.98,39.81", "infirmary"),
        ("h3,x(fixture),eldercare_institution,public,10,,,2,,109.98,39.81", "medical_contract"),
        ("h3,x(fixture),funeral_home,public,,,true,,,109.98,39.81", "eldercare institution only"),
        ("h3,x(fixture),eldercare_institution,state,10,,,,,109.98,39.81", "ownership"),
        ("h3,x(fixture),eldercare_institution,public,10,20,,,,109.98,39.81", "nursing_beds 20 exceeds beds 10"),
        ("h3,x(fixture),community_eldercare_site,,,,,,2021-13-01,109.98,39.81", "opened_on"),
    ],
)
def test_bad_report_attributes_write_nothing(api: httpx.Client, ordos_engine: Engine, row: str, needle: str) -> None:
    response = import_csv(api, editor(ordos_engine), HOMES_CSV + row + "\n")
    assert response.status_code == 422, response.text
    assert "row 3" in response.text and needle in response.text
    assert count(ordos_engine, "facility") == 0


def test_cli_names_a_bad_attribute_and_writes_nothing(ordos_engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "homes.csv"
    bad.write_text(HOMES_CSV.replace(",true,,2015", ",sometimes,,2015"), encoding="utf-8")
    done = gaz(ordos_engine, "facilities", "import", bad, "--source", "fixture", "--crs", "EPSG:4490")
    assert done.returncode == 2
    assert "row 1" in done.stderr and "infirmary" in done.stderr
    with ordos_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM facility")).scalar_one() == 0


# --- each figure's definition on a hand-made fixture registry (known answers) ---------------------------------
DONGSHENG = (109.98, 39.81)  # inside 东胜区 (150602)
KANGBASHI = (109.79, 39.61)  # inside 康巴什区 (150603)
RAILWAY = {  # a made-up line in 东胜区, buffer 100 m
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature", "properties": {"name": "示例铁路(fixture)"},
         "geometry": {"type": "LineString", "coordinates": [[109.90, 39.70], [109.95, 39.70]]}}
    ],
}  # fmt: skip


def units(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def fixture_registry(api: httpx.Client, engine: Engine) -> dict[str, Any]:
    """Made-up facilities with known answers on 2021-12-31 (and after); returns what the test needs to know."""
    headers = editor(engine)
    town = units(
        engine,
        "SELECT code FROM admin_unit WHERE code LIKE '150602%' AND level = 'township' AND kind = '镇'"
        " AND upper_inf(period) ORDER BY code LIMIT 1",
    )[0][0]
    community = units(
        engine,
        "SELECT r.unit_code, ST_X(r.geom), ST_Y(r.geom) FROM reference_point r JOIN admin_unit a ON a.code ="
        " r.unit_code AND upper_inf(a.period) WHERE a.kind = '社区' AND r.unit_code LIKE '150602%'"
        " ORDER BY r.unit_code LIMIT 1",
    )[0]
    site_2021 = (round(community[1] + 0.003, 6), round(community[2], 6))  # about 260 m east of a community's point
    site_2019 = (109.62, 39.95)  # far from every community's point
    site_2022 = (round(community[1], 6), round(community[2] + 0.003, 6))
    d, k = DONGSHENG, KANGBASHI
    rows = [
        "external_id,name,kind,cemetery_type,ownership,beds,nursing_beds,infirmary,medical_contract,status,"
        "opened_on,unit_code,lon,lat",
        f"h1,公办甲(fixture),eldercare_institution,,public,100,60,true,,operating,2015-03-01,,{d[0]},{d[1]}",
        f"h2,民办乙(fixture),eldercare_institution,,private,300,140,false,true,operating,2019-06-01,,{d[0]},{d[1]}",
        f"h3,民办丙(fixture),eldercare_institution,,private,50,50,,,operating,2022-05-01,,{d[0]},{d[1]}",
        f"h4,民办丁(fixture),eldercare_institution,,private,150,,true,true,operating,,,{k[0]},{k[1]}",
        f"h5,公办戊(fixture),eldercare_institution,,public,40,,,,operating,2010-01-01,,{k[0]},{k[1]}",
        f"h6,关闭(fixture),eldercare_institution,,public,500,500,true,,closed,2010-01-01,,{k[0]},{k[1]}",
        f"s1,站一(fixture),community_eldercare_site,,,,,,,operating,2021-06-01,,{site_2021[0]},{site_2021[1]}",
        f"s2,站二(fixture),community_eldercare_site,,,,,,,operating,2019-01-01,,{site_2019[0]},{site_2019[1]}",
        f"s3,站三(fixture),community_eldercare_site,,,,,,,operating,2022-01-01,,{site_2022[0]},{site_2022[1]}",
        f"f1,殡仪馆(fixture),funeral_home,,,,,,,operating,,,{d[0]},{d[1]}",
        f"c1,公益甲(fixture),cemetery,public_welfare,,,,,,operating,,{town},109.93,39.78",
        f"c2,公益乙(fixture),cemetery,public_welfare,,,,,,planned,,{town},109.93,39.78",
        f"c3,经营丙(fixture),cemetery,commercial,,,,,,operating,2000-01-01,,{k[0]},{k[1]}",
        "g1,坟一(fixture),grave,,,,,,,operating,,,109.92,39.7003",  # ~33 m north of the line
        "g2,坟二(fixture),grave,,,,,,,operating,,,109.93,39.6996",  # ~44 m south
        "g3,坟三(fixture),grave,,,,,,,operating,,,109.93,39.705",  # ~555 m north
    ]
    imported = import_csv(api, headers, "\n".join(rows) + "\n")
    assert imported.status_code == 200, imported.text
    figures = "unit_code,year,total,aged_60_plus\n150602,2020,90000,7000\n150602,2021,100000,8000\n"
    assert api.post(
        "/api/v1/population/import", params={"source": "fixture"}, content=figures, headers=headers
    ).is_success
    params: dict[str, Any] = {
        "layer": "示例铁路(fixture)",
        "layer_kind": "railway",
        "buffer_m": 100,
        "crs": "EPSG:4490",
    }
    layer = api.post("/api/v1/prohibited-layers/import", params=params, content=json.dumps(RAILWAY), headers=headers)
    assert layer.status_code == 200, layer.text
    return {"town": town, "sites": {"2021": site_2021, "2019": site_2019, "2022": site_2022}}


def located_communities_near(engine: Engine, prefix: str, sites: list[tuple[float, float]]) -> tuple[int, int]:
    """(covered, located) communities under ``prefix`` straight from the tables: a point within 1000 m of a site."""
    located = units(
        engine,
        "SELECT DISTINCT ON (r.unit_code) r.unit_code, ST_X(r.geom), ST_Y(r.geom) FROM reference_point r"
        " JOIN admin_unit a ON a.code = r.unit_code AND upper_inf(a.period) WHERE a.kind = '社区'"
        " AND r.unit_code LIKE :prefix || '%' ORDER BY r.unit_code, r.id",
        prefix=prefix,
    )
    geod = Geod(ellps="GRS80")
    covered = sum(1 for _, lon, lat in located if any(geod.inv(lon, lat, *s)[2] <= 1000 for s in sites))
    return covered, len(located)


def values(scope: dict[str, Any]) -> dict[str, Any]:
    return {key: figure["value"] for key, figure in scope["figures"].items()}


def test_each_figure_on_a_hand_made_registry(api: httpx.Client, ordos_engine: Engine) -> None:
    known = fixture_registry(api, ordos_engine)
    report = api.get(URL, params={"as_of": "2021-12-31"}).json()
    assert report["as_of"] == "2021-12-31" and report["illustrative_records"] == 12
    scopes = {s["code"]: s for s in report["scopes"]}
    city, dongsheng, kangbashi = (values(scopes[c]) for c in ("150600000000", "150602000000", "150603000000"))
    # institutions: operating, opened by the day (h3 opens in 2022, h6 is closed); h4 has no opening date
    assert (city["institutions"], city["institutions_public"], city["institutions_private"]) == (4, 2, 2)
    assert (city["beds"], city["beds_public"], city["beds_private"]) == (590, 140, 450)
    assert (dongsheng["institutions"], kangbashi["institutions"]) == (2, 2)
    # beds per 1,000 aged 60+: only banners with a figure (东胜区 2021: 8,000) -> 400 / 8,000
    assert city["beds_per_1000_aged"] == 50.0 and dongsheng["beds_per_1000_aged"] == 50.0
    assert kangbashi["beds_per_1000_aged"] is None
    assert scopes["150600000000"]["figures"]["beds_per_1000_aged"]["denominator"] == 8000
    # nursing-type beds (blank counts 0): (60 + 140) / 590
    assert city["nursing_bed_share"] == round(200 / 590, 4)
    # infirmary h1, h4; contract only without an infirmary: h2 (h4 has both: counted once)
    assert (city["institutions_with_infirmary"], city["institutions_with_medical_contract"]) == (2, 1)
    assert city["medical_care_integration_rate"] == 0.75 and kangbashi["medical_care_integration_rate"] == 0.5
    # community sites: s1 (2021) and s2 (2019); s3 opens in 2022
    assert (city["community_sites"], city["community_sites_opened_in_year"]) == (2, 1)
    covered, located = located_communities_near(ordos_engine, "1506", [known["sites"]["2021"], known["sites"]["2019"]])
    assert covered >= 1
    assert scopes["150600000000"]["figures"]["community_site_coverage"]["numerator"] == covered
    assert scopes["150600000000"]["figures"]["community_site_coverage"]["denominator"] == located
    communities = units(ordos_engine, "SELECT count(*) FROM admin_unit WHERE kind = '社区' AND upper_inf(period)")
    assert city["communities"] == communities[0][0]
    # burial: c2 is only planned; one of the 苏木/乡/镇 has an operating public-welfare cemetery
    towns = units(
        ordos_engine,
        "SELECT count(*) FILTER (WHERE code LIKE '150602%'), count(*) FROM admin_unit WHERE level = 'township'"
        " AND kind IN ('镇', '乡', '苏木', '民族乡', '民族苏木') AND upper_inf(period)",
    )[0]
    assert (city["cemeteries"], city["cemeteries_public_welfare"], city["cemeteries_commercial"]) == (2, 1, 1)
    assert city["township_public_welfare_coverage"] == round(1 / towns[1], 4)
    assert dongsheng["township_public_welfare_coverage"] == round(1 / towns[0], 4)
    assert city["funeral_homes"] == 1
    # graves within the 100 m buffer of the railway: g1 and g2, not g3
    assert (city["graves_in_prohibited_zones"], dongsheng["graves_in_prohibited_zones"]) == (2, 2)
    # the work report's figures are compared for the city on 2021-12-31: far off here, so flagged
    institutions = scopes["150600000000"]["figures"]["institutions"]
    assert (institutions["reported"], institutions["difference"], institutions["flagged"]) == (71, -67, True)
    assert scopes["150602000000"]["figures"]["institutions"]["reported"] is None


def test_the_day_moves_the_figures(api: httpx.Client, ordos_engine: Engine) -> None:
    fixture_registry(api, ordos_engine)
    before = values(api.get(URL, params={"as_of": "2020-12-31"}).json()["scopes"][0])
    assert (before["institutions"], before["community_sites"], before["community_sites_opened_in_year"]) == (4, 1, 0)
    assert before["beds_per_1000_aged"] == round(400 * 1000 / 7000, 2)  # the 2020 figure
    today = api.get(URL).json()
    assert values(today["scopes"][0])["institutions"] == 5
    assert all(f["reported"] is None for f in today["scopes"][0]["figures"].values())  # reported for 2021-12-31 only
    banner = api.get(URL, params={"unit": "150603", "as_of": "2021-12-31"}).json()
    assert [s["code"] for s in banner["scopes"]] == ["150603000000"]


def test_csv_and_html(api: httpx.Client, ordos_engine: Engine) -> None:
    fixture_registry(api, ordos_engine)
    response = api.get(URL, params={"as_of": "2021-12-31", "format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 10 * 22  # the city and 9 banners, 22 figures each
    beds = next(r for r in rows if r["scope_code"] == "150600000000" and r["key"] == "beds")
    assert (beds["value"], beds["reported"], beds["flagged"]) == ("590", "11290.0", "True")
    assert all(r["definition"] for r in rows)
    page = api.get(URL, params={"as_of": "2021-12-31", "format": "html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "鄂尔多斯市民政设施年度数据" in page.text and "示意数据 ILLUSTRATIVE" in page.text
    assert "size: A4" in page.text and "超出容差" in page.text


@pytest.mark.parametrize(
    ("params", "status", "needle"),
    [
        ({"as_of": "2021-13-01"}, 422, "as_of"),
        ({"as_of": "2999-01-01"}, 422, "today"),
        ({"as_of": "1900-01-01"}, 422, "1949"),
        ({"unit": "150602001"}, 422, "township"),
        ({"unit": "150699"}, 404, "150699"),
        ({"unit": "15x"}, 422, "division code"),
        ({"format": "xls"}, 422, "format"),
        ({"walk_m": "10"}, 422, "walk_m"),
        ({"walk_m": "nan"}, 422, "walk_m"),
    ],
)
def test_bad_parameters_are_refused(ordos_api: httpx.Client, params: dict[str, str], status: int, needle: str) -> None:
    response = ordos_api.get(URL, params=params)
    assert response.status_code == status, response.text
    assert needle in response.text


# --- the illustrative registry at the city's scale --------------------------------------------------------------
WORK_REPORT_2021 = {
    "institutions": 71,
    "institutions_public": 26,
    "institutions_private": 45,
    "beds": 11_290,
    "beds_public": 2_708,
    "beds_private": 8_582,
    "beds_per_1000_aged": 53.0,
    "institutions_with_infirmary": 40,
    "institutions_with_medical_contract": 24,
    "community_sites": 87,
    "community_sites_opened_in_year": 51,
    "funeral_homes": 6,
    "cemeteries": 27,
    "cemeteries_commercial": 15,
    "cemeteries_public_welfare": 12,
}


def load_illustrative(engine: Engine, folder: Path) -> None:
    """What `make demo` runs: generate the files, import them (facilities, population, the railway layer)."""
    done = gaz(engine, "facilities", "illustrative", folder)
    assert done.returncode == 0, done.stderr
    steps = [
        ("import", "illustrative_facilities.csv", "--source", "demo-illustrative", "--crs", "EPSG:4490",
         "--illustrative"),
        ("import", "illustrative_changes.csv", "--source", "demo-illustrative", "--crs", "EPSG:4490",
         "--illustrative"),
        ("population", "illustrative_population.csv", "--source", "demo-illustrative"),
        ("layer", "illustrative_railway.geojson", "--layer", "示意铁路(示意)", "--kind", "railway", "--buffer-m",
         "200", "--crs", "EPSG:4490"),
    ]  # fmt: skip
    for command, name, *options in steps:
        done = gaz(engine, "facilities", command, folder / name, *options)
        assert done.returncode == 0, done.stderr


def test_the_illustrative_registry_has_the_work_reports_figures(
    api: httpx.Client, ordos_engine: Engine, tmp_path: Path
) -> None:
    load_illustrative(ordos_engine, tmp_path / "demo")
    report = api.get(URL, params={"as_of": "2021-12-31"}).json()
    city = report["scopes"][0]
    assert {k: city["figures"][k]["value"] for k in WORK_REPORT_2021} == WORK_REPORT_2021
    assert not any(f["flagged"] for f in city["figures"].values())
    assert 0.5 < city["figures"]["nursing_bed_share"]["value"] < 0.51  # just over half
    assert city["figures"]["medical_care_integration_rate"]["value"] == round(64 / 71, 4)
    assert city["figures"]["graves_in_prohibited_zones"]["value"] == 40
    assert report["illustrative_records"] == 491 and "illustrative" in report["illustrative_note"]
    before = api.get(URL, params={"as_of": "2020-12-31"}).json()["scopes"][0]["figures"]
    assert before["community_sites"]["value"] == 36
    coverage_2020, coverage_2021 = (
        before["community_site_coverage"]["value"],
        city["figures"]["community_site_coverage"]["value"],
    )
    assert 0.2 < coverage_2020 < coverage_2021 < 1  # non-trivial, and the 2021 sites raise it
    facilities = api.get("/api/v1/facilities").json()
    assert len(facilities) == 491
    assert all(f["illustrative"] and f["name"].endswith("(示意)") for f in facilities)
    kinds = {k: sum(1 for f in facilities if f["kind"] == k) for k in ("grave", "community_eldercare_site")}
    assert kinds == {"grave": 300, "community_eldercare_site": 87}
    again = tmp_path / "again"
    assert gaz(ordos_engine, "facilities", "illustrative", again).returncode == 0
    later = values(api.get(URL).json()["scopes"][0])  # today: the illustrative closings and bed changes since 2021
    assert (later["institutions"], later["community_sites"]) == (70, 84) and later["beds"] != 11_290
    for name in ("illustrative_facilities.csv", "illustrative_changes.csv"):  # make demo again: nothing changes
        done = gaz(ordos_engine, "facilities", "import", tmp_path / "demo" / name, "--source", "demo-illustrative",
                   "--crs", "EPSG:4490", "--illustrative")  # fmt: skip
        assert done.returncode == 0 and "written 0" in done.stdout + done.stderr, done.stdout + done.stderr
    names = ("illustrative_facilities.csv", "illustrative_changes.csv", "illustrative_population.csv")
    for name in (*names, "illustrative_railway.geojson"):
        assert (again / name).read_bytes() == (tmp_path / "demo" / name).read_bytes()  # seeded: the same files


def test_the_generator_needs_the_loaded_units(engine: Engine, tmp_path: Path) -> None:
    done = gaz(engine, "facilities", "illustrative", tmp_path)
    assert done.returncode == 2 and "load the Ordos dataset first" in done.stderr


def test_report_page_printed_to_pdf(api: httpx.Client, ordos_engine: Engine, tmp_path: Path) -> None:
    """The A4 page printed by the one printer (core.printing): one or two A4 pages, kept for a look."""
    load_illustrative(ordos_engine, tmp_path / "demo")
    response = api.get(URL, params={"as_of": "2021-12-31", "format": "pdf"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.content
    sizes = {tuple(round(float(v)) for v in box) for box in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)}
    assert sizes == {(595, 842)}  # A4 in points
    assert 1 <= len(re.findall(rb"/Type\s*/Page\b", pdf)) <= 2
    assert b"WenQuanYi" in pdf or b"Noto" in pdf  # a CJK font is embedded: the Chinese renders
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "facilities-2021.pdf").write_bytes(pdf)


def test_reported_figures_come_from_the_setting(ordos_engine: Engine, tmp_path: Path) -> None:
    """The office's figures for 东胜区 on 2021-12-31 (a fixture file): each difference is computed - reported and
    flagged only beyond its tolerance; no file, no comparison; a broken file is a clear 503 naming it."""
    url = ordos_engine.url.render_as_string(hide_password=False)
    figures = tmp_path / "reported.csv"
    figures.write_text(
        "as_of,unit_code,key,value,tolerance,source\n"
        "2021-12-31,150602,institutions,2,0,fixture\n"
        "2021-12-31,150602,beds,390,5,fixture\n"
        "2021-12-31,150602,beds_per_1000_aged,50.4,0.5,fixture\n",
        encoding="utf-8",
    )
    with LiveServer(url, server_config(url, coverage=CoverageSettings(reported_figures=figures))) as api:
        fixture_registry(api, ordos_engine)
        report = api.get(URL, params={"as_of": "2021-12-31"}).json()
        dongsheng = {s["code"]: s for s in report["scopes"]}["150602000000"]["figures"]
        compared = {k: (f["reported"], f["difference"], f["flagged"]) for k, f in dongsheng.items() if f["reported"]}
        assert compared == {
            "institutions": (2, 0, False),
            "beds": (390, 10, True),
            "beds_per_1000_aged": (50.4, -0.4, False),
        }
        assert all(f["reported"] is None for f in report["scopes"][0]["figures"].values())  # none for the city
    with LiveServer(url, server_config(url, coverage=CoverageSettings(reported_figures=None))) as api:
        city = api.get(URL, params={"as_of": "2021-12-31"}).json()["scopes"][0]["figures"]
        assert all(f["reported"] is None for f in city.values())
    figures.write_text("as_of,unit_code,key,value,tolerance,source\n2021-12-31,150602,happiness,2,0,x\n")
    with LiveServer(url, server_config(url, coverage=CoverageSettings(reported_figures=figures))) as api:
        broken = api.get(URL)
        assert broken.status_code == 503, broken.text
        assert "reported.csv, line 2" in broken.json()["detail"] and "happiness" in broken.json()["detail"]
