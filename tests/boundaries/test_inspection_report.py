"""The per-line inspection report: A4 HTML with the SVG map (displaced markers highlighted), the observation table,
photo thumbnails and both parties' signature blocks; the same page as PDF printed by headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from core.settings import PhotoSettings
from tests.boundaries.test_boundary_inspections import URL, campaign_body, marked_line, moved  # noqa: F401  (fixture)
from tests.boundaries.test_field_form_browser import ARTIFACTS
from tests.boundaries.test_field_photos import tiny_png
from tests.factories import role_key
from tests.maps.test_browser import chromium


@pytest.fixture
def server_settings(tmp_path: Path) -> dict[str, Any]:
    """The test server keeps photos in this test's folder."""
    return {"photos": PhotoSettings(photo_dir=tmp_path / "photos")}


@pytest.fixture
def inspected(
    api: httpx.Client,
    ordos_engine: Engine,
    marked_line: tuple[int, list[dict]],  # noqa: F811
) -> tuple[int, int]:
    """A campaign on the marked line: one marker in place, one displaced 12 m (with a photo), a hazard note."""
    line_id, (first, second) = marked_line
    campaign = api.post(URL, headers=role_key(ordos_engine, "editor"), json=campaign_body(line_id)).json()
    inspector = role_key(ordos_engine, "inspector")
    url = f"{URL}/{campaign['id']}/observations"
    bodies = [
        {"marker_id": first["id"], "status": "intact", "fix": moved(first, 180.0, 2.0, "EPSG:4326")},
        {"marker_id": second["id"], "status": "moved", "fix": moved(second, 90.0, 12.0, "BD-09"), "notes": "被推移"},
        {"line_id": line_id, "notes": "施工跨线 construction across the line"},
    ]
    for n, body in enumerate(bodies, start=1):
        response = api.post(
            url, headers=inspector, json={"submission_id": f"report-000{n}", "observed_on": "2026-05-12", **body}
        )
        assert response.status_code == 201, response.text
    photo = api.put(
        f"{url}/report-0002/photos/1", content=tiny_png(220, 48), headers={**inspector, "Content-Type": "image/png"}
    )
    assert photo.status_code == 201
    return campaign["id"], line_id


def test_html_report_of_a_line(api: httpx.Client, inspected: tuple[int, int]) -> None:
    campaign_id, line_id = inspected
    response = api.get(f"{URL}/{campaign_id}/report", params={"line": line_id})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "@page { size: A4" in page
    markers = dict(re.findall(r'data-marker="([^"]+)" data-class="([a-z_]+)"', page))
    assert markers == {"DK-001": "in_place", "DK-002": "displaced"}
    assert re.search(r"DK-002 \(12\.0 m\)</text>", page) and page.count('class="fix"') == 1
    rows = re.findall(r"<tr( class=\"displaced\")?><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>", page)
    assert [(r[0] != "", r[1], r[2], r[3]) for r in rows] == [
        (False, "DK-001", "完好 intact", "2.00"),
        (True, "DK-002", "移位 moved", "12.00"),
        (False, "线 line", "—", "—"),
    ]
    assert "90.0°" in page and "BD-09" in page and "施工跨线" in page
    grid = re.search(r"真 true 90\.0°<br>坐标 grid (\d+\.\d)° <small>\((EPSG:454[56])\)</small>", page)
    assert grid and 0.05 < abs(float(grid[1]) - 90.0) < 2  # grid bearing differs by the meridian convergence
    assert page.count("约定 agreed ") == 2 and page.count("实测 observed ") == 2  # both fixes, CGCS2000 and as given
    assert "提交账号 Sent by (account)" in page and "检查人 Inspector<" not in page  # the inspectors are the campaign's
    parties = re.findall(r'<div class="party"><h3>([^<]+)</h3>', page)
    assert len(parties) == 2 and "东胜区" in parties[0] and "康巴什区" in parties[1]
    (src,) = re.findall(r'<img src="([^"]+)"', page)
    assert api.get(src).content == tiny_png(220, 48)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "inspection-report.png"
    chromium(
        f"{api.base_url}{URL}/{campaign_id}/report?line={line_id}", f"--screenshot={shot}", "--window-size=900,1300"
    )
    assert shot.stat().st_size > 20_000


def test_pdf_report_is_printed_by_chromium(api: httpx.Client, inspected: tuple[int, int]) -> None:
    campaign_id, line_id = inspected
    response = api.get(f"{URL}/{campaign_id}/report", params={"line": line_id, "format": "pdf"})
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    sizes = {tuple(round(float(v)) for v in box) for box in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)}
    assert sizes == {(595, 842)}  # A4 in points
    assert b"/Subtype /Image" in pdf  # the photo thumbnail is in the PDF
    (ARTIFACTS / "inspection-report.pdf").write_bytes(pdf)


def test_bad_report_requests(api: httpx.Client, ordos_engine: Engine, inspected: tuple[int, int]) -> None:
    campaign_id, line_id = inspected
    lines = [li["id"] for li in api.get("/api/v1/boundaries/lines", params={"geometry": False}).json()]
    other = next(li for li in lines if li != line_id)
    two = api.post(
        URL, headers=role_key(ordos_engine, "editor"), json=campaign_body(line_id, line_ids=[line_id, other])
    )
    cases: list[tuple[str, dict[str, str | int], int, str]] = [
        (f"{URL}/{campaign_id}/report", {"line": other}, 422, f"line {other} is not inspected"),
        (f"{URL}/{two.json()['id']}/report", {}, 422, "choose a line"),
        (f"{URL}/999999/report", {}, 404, "999999"),
        (f"{URL}/{campaign_id}/report", {"format": "docx"}, 422, "format"),
    ]
    for url, params, status, needle in cases:
        response = api.get(url, params=params)
        assert response.status_code == status, (url, params, response.text)
        assert needle in response.json()["detail"], response.text
    assert api.get(f"{URL}/{campaign_id}/report").status_code == 200  # one line: no need to name it
