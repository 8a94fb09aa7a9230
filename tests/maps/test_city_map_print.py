"""The printed city map (issue 17, point 3): ``gaz maps print`` run as a subprocess and GET /maps/print.pdf on the
Ordos data (banner lines derived, one line given an agreement and one a dispute case through the API), printed by
real headless Chromium and read back with poppler (pdfinfo, pdffonts, pdftotext, pdfimages)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, create_engine

from core.database import transaction
from core.settings import MapSettings
from maps.print_data import gather
from maps.print_labels import Box, overlapping_pairs
from maps.print_map import city_map
from tests.conftest import LiveServer, create_database, drop_database, server_config
from tests.factories import api_key, gaz

ARTIFACTS = Path(__file__).resolve().parents[2] / ".run" / "artifacts" / "print"
CITY, DALAD = "150600000000", "150621000000"
NOTE = "示意图，不作为权属争议依据"
PT_PER_MM = 72 / 25.4
SIZES_PT = {"A1": (2383.9, 1683.8), "A3": (1190.6, 841.9), "A4": (841.9, 595.3)}  # ISO 216, landscape


@pytest.fixture(scope="module")
def printed_db(ordos_template_db: str) -> Iterator[Engine]:
    """The Ordos data with the banners' lines derived (gaz lines derive), the Dalad|Jungar line agreed and an
    open dispute case between 鄂托克旗 and 杭锦旗 (through the API, as the office records them)."""
    name = f"gaz_print_{os.getpid()}"
    engine = create_engine(create_database(name, ordos_template_db))
    done = gaz(engine, "lines", "derive", "--parent", CITY, "--level", "county")
    assert done.returncode == 0, done.stderr
    url = engine.url.render_as_string(hide_password=False)
    with LiveServer(url) as client:
        key = api_key(engine)
        lines = client.get("/api/v1/boundaries/lines", params={"unit": DALAD}).json()
        agreed = next(line for line in lines if line["line_key"] == "150621000000|150622000000")
        answer = client.put(
            f"/api/v1/boundaries/lines/{agreed['id']}/agreement",
            json={"agreement_ref": "测试协议 fixture"},
            headers=key,
        )
        assert answer.status_code == 200, answer.text
        case = {"title": "测试争议 fixture case", "units": ["150624000000", "150625000000"], "opened_on": "2026-01-05"}
        answer = client.post("/api/v1/boundaries/disputes", json=case, headers=key)
        assert answer.status_code == 201, answer.text
    yield engine
    engine.dispose()
    drop_database(name)


@pytest.fixture(scope="module")
def server(printed_db: Engine) -> Iterator[httpx.Client]:
    """A live server on the printed database."""
    with LiveServer(printed_db.url.render_as_string(hide_password=False)) as client:
        client.timeout = httpx.Timeout(180)
        yield client


@pytest.fixture(scope="module")
def city_pdf(printed_db: Engine) -> tuple[Path, str]:
    """The city on A1 by the CLI (kept for a look), and what the CLI said."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / "ordos-A1.pdf"
    done = gaz(printed_db, "maps", "print", "-o", out)
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def poppler(tool: str, *args: str | Path) -> str:
    """The output of a poppler tool (pdfinfo, pdffonts, pdftotext, pdfimages)."""
    return subprocess.run([tool, *map(str, args)], capture_output=True, text=True, check=True, timeout=120).stdout


def page_size_pt(pdf: Path) -> tuple[float, float]:
    found = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", poppler("pdfinfo", pdf))
    assert found is not None
    return float(found.group(1)), float(found.group(2))


def test_city_on_a1_by_the_cli(city_pdf: tuple[Path, str]) -> None:
    """One A1 page, every font embedded as a CID TrueType subset (no Type 3), no raster image, and the sheet's
    text extractable: title, romanization, names, legend with the four line statuses, graticule degrees, scale,
    sources and the 审图号 placeholder marked as such."""
    pdf, said = city_pdf
    assert "on A1 at 1:" in said and re.search(r"labels: \d+ placed, \d+ dropped", said)
    assert "Pages:           1" in poppler("pdfinfo", pdf)
    assert page_size_pt(pdf) == pytest.approx(SIZES_PT["A1"], abs=1)
    fonts = poppler("pdffonts", pdf).splitlines()[2:]
    assert fonts and all(" yes yes " in row and "Type 3" not in row for row in fonts), fonts
    assert any("WenQuanYi" in row or "Noto" in row for row in fonts)  # the Hanzi have a CJK face
    assert poppler("pdfimages", "-list", pdf).splitlines()[2:] == []  # vector: no image at all
    text = poppler("pdftotext", pdf, "-")
    for expected in (
        "鄂尔多斯市地图",
        "Map of Ordos Shi",
        "达拉特旗",
        "Dalad Qi",
        "Ejin Horo Qi",
        "图例 Legend",
        "市界（旗区外缘线）",
        "旗区界·已签界线协议",
        "旗区界·未签协议",
        "旗区界·有争议",
        "109°E",
        "39°N",
        "比例尺 Scale 1:",
        "放大图 Inset 1:",
        "EPSG:4545",
        "amap-2020",
        "审图号",
        "占位 PLACEHOLDER",
        NOTE,
    ):
        assert expected in text, expected
    assert "\ufffd" not in text  # no replacement boxes


def _words(pdf: Path) -> list[tuple[str, Box]]:
    """The words ``pdftotext -bbox`` finds, with their boxes in page millimetres."""
    out = poppler("pdftotext", "-bbox", pdf, "-")
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    return [(word, Box(*(float(v) / PT_PER_MM for v in box))) for *box, word in re.findall(pattern, out)]


def _check_labels(report: dict[str, object], pdf: Path) -> None:
    """No two label boxes overlap and all lie in the map frame or the inset (placement output); in the PDF each
    label's words lie inside its own box, so the drawn names cannot overlap either."""
    boxes = [Box(*label["box"]) for label in report["label_boxes"]]  # type: ignore[attr-defined]
    frames = [Box(*report["frame_mm"])]  # type: ignore[misc]
    if report["inset"] is not None:
        frames.append(Box(*report["inset"]["box_mm"]))  # type: ignore[index]
    assert overlapping_pairs(boxes) == []
    assert all(any(box.inside(frame) for frame in frames) for box in boxes)
    words = _words(pdf)
    tolerance = 0.5  # mm
    for label, box in zip(report["label_boxes"], boxes, strict=True):  # type: ignore[call-overload]
        grown = Box(box.x0 - tolerance, box.y0 - tolerance, box.x1 + tolerance, box.y1 + tolerance)
        mine = [w for w, b in words if box.x0 < (b.x0 + b.x1) / 2 < box.x1 and box.y0 < (b.y0 + b.y1) / 2 < box.y1]
        assert label["text"] in "".join(mine), (label, mine)
        for word, word_box in words:
            centre_in = (
                box.x0 < (word_box.x0 + word_box.x1) / 2 < box.x1 and box.y0 < (word_box.y0 + word_box.y1) / 2 < box.y1
            )
            if centre_in:
                assert word_box.inside(grown), (label["text"], word, word_box, box)


@pytest.mark.parametrize(("unit", "least", "in_inset"), [(CITY, 60, 5), (DALAD, 12, 0)])
def test_labels_do_not_overlap_at_a1(
    printed_db: Engine, server: httpx.Client, unit: str, least: int, in_inset: int
) -> None:
    """The city and one banner on A1: the placement's boxes are disjoint and the PDF's words stay in them. On the
    city's sheet the streets of 东胜区 the map has no room for are named in the inset."""
    with transaction(printed_db) as conn:
        _, report = city_map(conn, unit=unit, paper="A1", maps=MapSettings(compliance_note=NOTE))
    labels = report["labels"]
    assert labels["placed"] == len(report["label_boxes"]) >= least
    assert labels["in_inset"] >= in_inset and (report["inset"] is not None) == (in_inset > 0)
    assert labels["dropped"] == len(labels["dropped_names"]) < 5
    assert report["panel_overflow_mm"] == 0
    response = server.get("/maps/print.pdf", params={"unit": unit})
    assert response.status_code == 200, response.text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / f"map-{unit}-A1.pdf"
    pdf.write_bytes(response.content)
    _check_labels(report, pdf)


@pytest.mark.parametrize(("unit", "paper"), [(DALAD, "A3"), (CITY, "A4")])
def test_papers_a3_and_a4_by_the_route(server: httpx.Client, unit: str, paper: str, tmp_path: Path) -> None:
    """The other sheets: one page of the size asked for, its fonts embedded, no image."""
    response = server.get("/maps/print.pdf", params={"unit": unit, "paper": paper, "as_of": "2024-01-01"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert f"map-{unit}-{paper}-2024-01-01.pdf" in response.headers["content-disposition"]
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(response.content)
    assert page_size_pt(pdf) == pytest.approx(SIZES_PT[paper], abs=1)
    assert "Type 3" not in poppler("pdffonts", pdf)
    assert poppler("pdfimages", "-list", pdf).splitlines()[2:] == []
    assert "数据日期 Data as of 2024-01-01" in poppler("pdftotext", pdf, "-")


def test_a_chosen_scale(server: httpx.Client, tmp_path: Path) -> None:
    """A scale smaller than the fitting one is printed as asked."""
    response = server.get("/maps/print.pdf", params={"unit": DALAD, "paper": "A3", "scale": 1_000_000})
    assert response.status_code == 200, response.text
    pdf = tmp_path / "dalad.pdf"
    pdf.write_bytes(response.content)
    assert "比例尺 Scale 1:1 000 000" in poppler("pdftotext", pdf, "-")


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"unit": "159999000000"}, 404, "159999"),
        ({"unit": "abc"}, 422, "abc"),
        ({"unit": "150621001000"}, 422, "print the city or one banner"),
        ({"paper": "A0"}, 422, "paper"),
        ({"paper": "a1"}, 422, "paper"),  # the same choices, spelled the same, as the command's
        ({"scale": "0"}, 422, "scale"),
        ({"scale": "abc"}, 422, "scale"),
        ({"scale": "10000"}, 422, "the largest scale that fits"),
        ({"as_of": "2023-13-01"}, 422, "as_of"),
        ({"as_of": "1990-01-01"}, 404, "1990-01-01"),
    ],
)
def test_bad_input_by_the_route(server: httpx.Client, params: dict[str, str], status: int, says: str) -> None:
    response = server.get("/maps/print.pdf", params=params)
    assert response.status_code == status, response.text
    assert says in response.text


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--unit", "159999000000"], "159999"),
        (["--paper", "A0"], "invalid choice"),
        (["--paper", "a1"], "invalid choice"),
        (["--scale", "0"], "scale 1:0"),
        (["--scale", "x"], "invalid int value"),
        (["--as-of", "2023-02-30"], "--as-of"),
    ],
)
def test_bad_input_by_the_cli(printed_db: Engine, tmp_path: Path, args: list[str], says: str) -> None:
    """A clear message and exit status 2, nothing written."""
    out = tmp_path / "map.pdf"
    done = gaz(printed_db, "maps", "print", *args, "-o", out)
    assert done.returncode == 2 and says in done.stderr, done.stderr
    assert not out.exists()


def test_the_approval_number_once_set_replaces_the_placeholder(printed_db: Engine, tmp_path: Path) -> None:
    """GAZ_MAP_APPROVAL_NUMBER (the 审图号 the map was given) is printed in the panel's foot instead of the marked
    placeholder (the same setting as the viewer's print)."""
    url = printed_db.url.render_as_string(hide_password=False)
    settings = server_config(url, maps=MapSettings(map_approval_number="蒙S（2026）018号"))
    with LiveServer(url, settings) as client:
        client.timeout = httpx.Timeout(180)
        response = client.get("/maps/print.pdf", params={"unit": DALAD, "paper": "A4"})
    assert response.status_code == 200, response.text
    pdf = tmp_path / "approved.pdf"
    pdf.write_bytes(response.content)
    text = poppler("pdftotext", pdf, "-")
    assert "审图号：蒙S（2026）018号" in text
    assert "PLACEHOLDER" not in text and "____" not in text


def test_a_line_is_disputed_only_on_the_days_its_case_is_open(printed_db: Engine) -> None:
    """The fixture's case between 鄂托克旗 and 杭锦旗 was opened on 2026-01-05: a sheet of the day before shows no
    disputed line, a sheet of that day shows their line disputed."""
    with transaction(printed_db) as conn:
        before, _ = gather(conn, CITY, date(2026, 1, 4))
        opened, _ = gather(conn, CITY, date(2026, 1, 5))
    assert [line for line in before.lines if line["status"] == "disputed"] == []
    assert len([line for line in opened.lines if line["status"] == "disputed"]) >= 1
