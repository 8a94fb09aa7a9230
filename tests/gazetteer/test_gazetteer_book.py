"""The printable gazetteer draft (地名志) per banner: real content of the Ordos data grouped by category in code
order, generalised locations of non-public records, the print layout, and bad banner codes."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from sqlalchemy import Engine, text

from core.database import transaction
from core.values import GeoPoint
from gazetteer.places import service

URL = "/api/v1/gazetteer-book"


def sections(page: str) -> dict[str, str]:
    """The HTML of each category section, by category code, in page order."""
    found = re.findall(r'<section class="category" id="category-(\d+)" data-category="\d+">(.*?)</section>', page, re.S)
    return dict(found)


def entry(section: str, name: str) -> str:
    """The HTML of the entry of ``name`` in a section."""
    match = re.search(rf"<article class=\"entry\" id=\"place-\d+\"><h3>{re.escape(name)} .*?</article>", section, re.S)
    assert match, f"{name} not in the section"
    return match.group(0)


def dms(value: float) -> str:
    seconds = round(value * 3600)
    return f"{seconds // 3600}°{seconds % 3600 // 60:02d}′{seconds % 60:02d}″"


def test_book_of_hanggin_banner(ordos_api: httpx.Client, shared_ordos_engine: Engine) -> None:
    response = ordos_api.get(f"{URL}/150625")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "@page" in page and "size: A4" in page and "counter(page)" in page  # print layout with page numbers
    assert (
        "<h1>杭锦旗地名志</h1>" in page
        and "Gazetteer of Hanggin Qi (150625000000)" in page
        and '<p class="sub">鄂尔多斯市</p>' in page
    )  # the loaded path
    with shared_ordos_engine.connect() as conn:
        expected = conn.execute(
            text(
                "SELECT count(*) FROM place_name WHERE status = 'standard' AND valid_to IS NULL"
                " AND (unit_code LIKE '150625%' OR admin_code LIKE '150625%')"
            )
        ).scalar_one()
        xini = conn.execute(
            text("SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat FROM place_name WHERE admin_code = '150625100000'")
        ).one()
        village = conn.execute(
            text(
                "SELECT name, romanization FROM place_name WHERE admin_code LIKE '150625100%' AND category = '32'"
                " AND status = 'standard' ORDER BY admin_code LIMIT 1"
            )
        ).one()
    by_category = sections(page)
    assert list(by_category) == sorted(by_category) and {"23", "24", "32"} <= set(by_category)  # GB/T 18521 order
    assert sum(s.count('<article class="entry"') for s in by_category.values()) == expected
    contents = page[page.index('<nav class="contents">') : page.index("</nav>")]
    assert re.findall(r'href="#category-(\d+)"', contents) == list(by_category)
    assert "24 乡级行政区域" in contents and "32 村（村委会、嘎查）" in contents
    banner = entry(by_category["23"], "杭锦旗")
    assert "Hanggin Qi" in banner and "官方拼写" in banner
    town = entry(by_category["24"], "锡尼镇")
    assert '<span class="roman">Xini Zhen</span>' in town and "Xīní Zhèn" in town
    assert f"东经{dms(xini.lon)}，北纬{dms(xini.lat)}" in town
    row = entry(by_category["32"], village.name)
    assert village.romanization in row and "<dt>所在乡镇</dt><dd>锡尼镇</dd>" in row
    same = ordos_api.get(f"{URL}/150625000000")
    assert same.status_code == 200 and sections(same.text) == by_category


def test_book_texts_and_secret_records(api: httpx.Client, ordos_engine: Engine) -> None:
    """Hand-made places (not real records): a public monument with its texts, a secret water source."""
    exact = (108.712345, 39.834567)
    with transaction(ordos_engine) as conn:
        service.create_place(
            conn,
            name="试验纪念碑",
            category="9",
            unit="150625100",
            point=GeoPoint.from_input(108.75, 39.85, "EPSG:4490"),
            texts={"meaning": "纪念<牧区>建设", "origin": "1958年立碑", "history": "2001年重修"},
            actor="test",
        )
        service.create_place(
            conn,
            name="试验水源地",
            category="8",
            unit="150625100",
            point=GeoPoint.from_input(*exact, "EPSG:4490"),
            secrecy="secret",
            actor="test",
        )
    page = api.get(f"{URL}/150625").text
    by_category = sections(page)
    monument = entry(by_category["9"], "试验纪念碑")
    assert (
        f"<dd>{html.escape('纪念<牧区>建设')}</dd>" in monument
        and "1958年立碑" in monument
        and "2001年重修" in monument
    )
    assert "<dt>所在乡镇</dt><dd>锡尼镇</dd>" in monument
    secret = entry(by_category["8"], "试验水源地")
    assert "概略位置 东经108.7°，北纬39.8°" in secret
    for exact_text in ("108.7123", "39.8345", dms(exact[0]), dms(exact[1])):
        assert exact_text not in page


@pytest.mark.parametrize(
    ("code", "status", "needle"),
    [
        ("150699", 404, "150699"),
        ("150625100", 422, "township"),
        ("150625100001", 422, "village"),
        ("150600", 422, "city"),
        ("15", 404, "15"),  # the province is not loaded with the Ordos data
        ("abc", 422, "abc"),
        ("1506251", 422, "1506251"),
    ],
)
def test_book_refuses_what_is_not_a_banner(ordos_api: httpx.Client, code: str, status: int, needle: str) -> None:
    response = ordos_api.get(f"{URL}/{code}")
    assert response.status_code == status, response.text
    assert needle in response.json()["detail"]


def test_book_printed_to_pdf(ordos_api: httpx.Client) -> None:
    """The same page printed by the one printer (core.printing): an A4 PDF of several pages (title, contents,
    entries); an unknown format is refused."""
    response = ordos_api.get(f"{URL}/150603", params={"format": "pdf"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    sizes = {tuple(round(float(v)) for v in box) for box in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)}
    assert sizes == {(595, 842)}  # A4 in points
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 2
    refused = ordos_api.get(f"{URL}/150603", params={"format": "docx"})
    assert refused.status_code == 422 and "docx" in refused.text
