"""The year-end facility figures as an A4 print page in Chinese (print CSS, page numbers): the figures of the city
or banner with the reported ones and their differences, a table per banner, and every figure's definition."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from core.printing import PRINT_FONTS
from facilities.report import FIGURES, SHARES

EMPTY = "—"
BANNER_COLUMNS = (
    ("institutions", "养老机构"),
    ("institutions_public", "公办"),
    ("beds", "床位"),
    ("beds_per_1000_aged", "每千名老人床位"),
    ("nursing_bed_share", "护理型占比"),
    ("medical_care_integration_rate", "医养结合率"),
    ("community_sites", "社区养老设施"),
    ("community_sites_opened_in_year", "当年新建"),
    ("community_site_coverage", "社区覆盖率"),
    ("funeral_homes", "殡仪馆"),
    ("cemeteries_public_welfare", "公益性公墓"),
    ("township_public_welfare_coverage", "苏木乡镇覆盖"),
    ("graves_in_prohibited_zones", "禁葬区坟墓"),
)


def _number(key: str, value: float | None) -> str:
    if value is None:
        return EMPTY
    if key in SHARES:
        return f"{value * 100:.1f}%"
    if key == "beds_per_1000_aged":
        return f"{value:.2f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _difference(key: str, figure: dict[str, Any]) -> str:
    if figure["difference"] is None:
        return EMPTY
    text = _number(key, figure["difference"])
    if figure["difference"] > 0:
        text = "+" + text
    if figure["flagged"]:
        return f'<span class="flag">{text} ⚠ 超出容差 {_number(key, figure["tolerance"])}</span>'
    return text


def _fraction(key: str, figure: dict[str, Any]) -> str:
    if figure["denominator"] is None:
        return ""
    return f'<span class="frac">{figure["numerator"]:,} / {figure["denominator"]:,}</span>'


def report_html(report: dict[str, Any]) -> str:
    """The A4 print page of a facility report (``facilities.report.facility_report``)."""
    main = report["scopes"][0]
    rows = "".join(
        f'<tr data-key="{f.key}"><th>{html.escape(f.label)}</th>'
        f'<td class="num">{_number(f.key, main["figures"][f.key]["value"])}{_fraction(f.key, main["figures"][f.key])}'
        f'</td><td class="num">{_number(f.key, main["figures"][f.key]["reported"])}</td>'
        f'<td class="num">{_difference(f.key, main["figures"][f.key])}</td></tr>'
        for f in FIGURES
    )
    banner_rows = "".join(
        f"<tr><th>{html.escape(s['name'])}</th>"
        + "".join(f'<td class="num">{_number(k, s["figures"][k]["value"])}</td>' for k, _ in BANNER_COLUMNS)
        + "</tr>"
        for s in report["scopes"]
    )
    definitions = "".join(f"<dt>{html.escape(f.label)}</dt><dd>{html.escape(f.definition)}</dd>" for f in FIGURES)
    method = report["method"]
    notes = "".join(
        f"<li>{html.escape(text)}</li>"
        for text in (
            f"统计日 {report['as_of']}：{method['dates']}",
            f"区划 units: {method['units']}",
            f"人口 population: {method['population']}",
            f"社区覆盖 community coverage ({method['walk_m']:g} m): {method['community_site_coverage']}",
            f"苏木乡镇公益性公墓 burial: {method['township_public_welfare_coverage']}",
            f"禁葬区 prohibited zones: {method['graves_in_prohibited_zones']}",
        )
    )
    sources = sorted({f["reported_source"] for f in main["figures"].values() if f["reported_source"]})
    reported = (
        f'<p class="note">报告值 reported: {html.escape("; ".join(sources))}；差值超出容差时标 ⚠。</p>'
        if sources
        else '<p class="note">无该统计日和范围的报告值 (no reported figures for this day and area)。</p>'
    )
    warning = (
        f'<p class="illustrative" role="alert">示意数据 ILLUSTRATIVE — {html.escape(report["illustrative_note"])}。'
        "本页数字不反映真实登记，仅演示计算口径。</p>"
        if report["illustrative_note"]
        else ""
    )
    return PAGE.format(
        title=html.escape(report["title"]),
        unit=html.escape(report["unit"]["name"]),
        as_of=report["as_of"],
        generated=date.today().isoformat(),
        warning=warning,
        rows=rows,
        reported=reported,
        banner_head="".join(f"<th>{html.escape(label)}</th>" for _, label in BANNER_COLUMNS),
        banner_rows=banner_rows,
        definitions=definitions,
        notes=notes,
    )


PAGE = (
    """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}（{as_of}）</title>
<style>
@page {{ size: A4; margin: 14mm 12mm 16mm;
  @bottom-center {{ content: counter(page) " / " counter(pages); font-size: 8pt; }} }}
body {{ font-family: """
    + PRINT_FONTS
    + """; font-size: 9.5pt; color: #000;
  max-width: 186mm; margin: 0 auto; line-height: 1.35; }}
h1 {{ font-size: 17pt; margin: 0 0 1mm; text-align: center; letter-spacing: 0.05em; }}
h2 {{ font-size: 11.5pt; margin: 4mm 0 1.5mm; border-bottom: 1.5px solid #000; break-after: avoid; }}
.sub {{ text-align: center; margin: 0 0 3mm; color: #333; }}
.illustrative {{ border: 2px solid #b00; color: #b00; padding: 1.5mm 3mm; font-weight: bold; margin: 2mm 0; }}
table {{ border-collapse: collapse; width: 100%; break-inside: avoid; }}
th, td {{ border: 0.6px solid #777; padding: 0.8mm 1.5mm; vertical-align: top; }}
thead th {{ background: #eee; }}
tbody th {{ text-align: left; font-weight: normal; }}
td.num {{ text-align: right; white-space: nowrap; }}
.frac {{ display: block; font-size: 7.5pt; color: #555; }}
.flag {{ color: #b00; font-weight: bold; }}
table.banners {{ font-size: 7.5pt; }}
table.banners th, table.banners td {{ padding: 0.6mm 0.8mm; }}
dl {{ display: grid; grid-template-columns: 36mm 1fr; gap: 0.6mm 2mm; margin: 0; font-size: 8pt; }}
dt {{ font-weight: bold; }}
dd {{ margin: 0; }}
p.note {{ font-size: 8pt; color: #333; margin: 1mm 0 0; }}
ul.notes {{ font-size: 7.5pt; color: #333; padding-left: 4mm; margin: 1mm 0; }}
@media screen {{ body {{ padding: 8mm; }} }}
</style></head>
<body>
<h1>{title}</h1>
<p class="sub">统计日 {as_of} · 范围 {unit} · 据民政设施登记库计算（{generated} 生成）</p>
{warning}
<h2>主要指标</h2>
<table class="figures"><thead><tr><th>指标</th><th>计算值</th><th>报告值</th><th>差值（计算−报告）</th></tr></thead>
<tbody>{rows}</tbody></table>
{reported}
<h2>分旗区</h2>
<table class="banners"><thead><tr><th>旗区</th>{banner_head}</tr></thead><tbody>{banner_rows}</tbody></table>
<h2>指标定义与口径</h2>
<dl>{definitions}</dl>
<ul class="notes">{notes}</ul>
</body></html>
"""
)
