"""The inspection report as the office reads it (issue 13): marker statuses and classes in Chinese first, the
inspectors by name, times in Beijing time (Asia/Shanghai), the line named by its two units, and page numbers on
every printed page — read from the text of the PDF Chromium prints (poppler's pdftotext)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from core.database import transaction
from tests.boundaries.test_boundary_inspections import URL, marked_line  # noqa: F401  (fixture)
from tests.boundaries.test_inspection_report import inspected, server_settings  # noqa: F401  (fixtures)
from tests.maps.test_city_map_print import poppler

LATE_EVENING_UTC = "2026-05-12 23:30:00+00"  # 07:30 the next morning in Beijing: the day changes too


@pytest.fixture
def report_pdf(
    api: httpx.Client,
    ordos_engine: Engine,
    inspected: tuple[int, int],  # noqa: F811
    tmp_path: Path,
) -> Path:
    """The report of the inspected line as PDF, its observations sent late in the evening UTC."""
    campaign_id, line_id = inspected
    with transaction(ordos_engine) as conn:
        conn.execute(
            text("UPDATE inspection_observation SET submitted_at = :at WHERE campaign_id = :id"),
            {"at": LATE_EVENING_UTC, "id": campaign_id},
        )
    response = api.get(f"{URL}/{campaign_id}/report", params={"line": line_id, "format": "pdf"})
    assert response.status_code == 200, response.text[:500]
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.content)
    return pdf


def test_the_printed_report_reads_in_chinese_with_local_times_and_page_numbers(report_pdf: Path) -> None:
    words = poppler("pdftotext", report_pdf, "-")
    flat = re.sub(r"\s+", " ", words)
    assert "东胜区—康巴什区 界线联合检查报告" in flat, flat[:300]  # the line named by its two units
    assert "东胜区—康巴什区 界线 (" in flat
    assert "王工、乌兰" in flat  # the campaign's inspectors by name
    assert "完好 intact" in flat and "移位 moved" in flat  # statuses in words, Chinese first
    assert "超限移位 displaced" in flat and "在位 in place" in flat
    packed = re.sub(r"\s+", "", words)
    assert packed.count("intact") == packed.count("完好intact") and packed.count("moved") == packed.count("移位moved")
    assert packed.count("提交2026-05-1307:30") == 3  # the three observations sent, in Beijing time
    assert "北京时间UTC+8" in packed and not re.search(r"\d\s*UTC", words)  # no time left in UTC
    pages = int(re.search(r"Pages:\s+(\d+)", poppler("pdfinfo", report_pdf))[1])  # type: ignore[index]
    for page in range(1, pages + 1):
        text_of_page = poppler("pdftotext", "-f", str(page), "-l", str(page), report_pdf, "-")
        assert f"第{page}页/共{pages}页" in re.sub(r"\s+", "", text_of_page), (page, text_of_page[-200:])


def test_the_html_report_names_the_statuses_in_chinese(api: httpx.Client, inspected: tuple[int, int]) -> None:  # noqa: F811
    campaign_id, line_id = inspected
    page: Any = api.get(f"{URL}/{campaign_id}/report", params={"line": line_id}).text
    assert "<title>界线联合检查报告 东胜区—康巴什区 界线</title>" in page
    assert "counter(page)" in page and "counter(pages)" in page
