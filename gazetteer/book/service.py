"""The printable gazetteer draft (地名志) of one banner: an A4 HTML page (print CSS, page numbers) with a title page,
contents, and the banner's current standard names grouped by GB/T 18521 category in code order, each with its
romanization, township, coordinates (generalised for non-public records), meaning, origin and history (no web
framework here)."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core.errors import InvalidInput, NotFound
from core.printing import PRINT_FONTS
from core.values import code_length, normalize_code, significant_code
from gazetteer.book import queries as book_queries
from gazetteer.places import names
from gazetteer.search import queries as search_queries

BANNER_LEVEL = "county"
EMPTY = "—"


def _banner(conn: Connection, banner_code: str) -> dict[str, Any]:
    code = normalize_code(banner_code)
    unit = boundaries.find_unit(conn, code)
    if unit is None:
        raise NotFound(f"no current unit with code {banner_code!r}")
    if unit["level"] != BANNER_LEVEL:
        raise InvalidInput(
            f"{banner_code} is {unit['name']}, a {unit['level']}-level unit, not a banner (旗), district or county: "
            "the gazetteer is drafted per banner"
        )
    return unit


def _dms(value: float) -> str:
    """Degrees, minutes and whole seconds (about 30 m: the points are approximate seats, not surveyed marks)."""
    seconds = round(abs(value) * 3600)
    return f"{seconds // 3600}°{seconds % 3600 // 60:02d}′{seconds % 60:02d}″"


def _location(row: Any) -> str:
    if row["lon"] is None:
        return EMPTY
    if row["secrecy"] != "public":
        return f"概略位置 东经{row['lon']:.1f}°，北纬{row['lat']:.1f}°（非公开地名，位置已概略化 generalised）"
    return f"东经{_dms(row['lon'])}，北纬{_dms(row['lat'])}"


def _township_code(row: Any) -> str | None:
    """The township-level unit a name lies in (for a township itself: none)."""
    code = row["admin_code"] if row["admin_code"] and code_length(row["admin_code"]) == 12 else row["unit_code"]
    if row["admin_code"] and code_length(row["admin_code"]) == 9:
        return None
    return code[:9].ljust(12, "0") if code and code_length(code) >= 9 else None


def banner_book(conn: Connection, banner_code: str) -> dict[str, Any]:
    """The gazetteer of a banner as data: the banner, its path, and its categories (code order) with their names."""
    unit = _banner(conn, banner_code)
    rows = book_queries.banner_names(conn, significant_code(unit["code"]))
    townships = {c for c in (_township_code(r) for r in rows) if c}
    path_codes = [unit["code"][:n].ljust(12, "0") for n in (2, 4)]
    found = search_queries.unit_names(conn, sorted(townships | set(path_codes) | {unit["code"]}), None)
    categories: dict[str, dict[str, Any]] = {}
    for row in rows:
        township = _township_code(row)
        category = categories.setdefault(
            row["category"],
            {"code": row["category"], "name": names.CATEGORIES.get(row["category"], row["category"]), "entries": []},
        )
        category["entries"].append(
            {
                "id": row["id"],
                "name": row["name"],
                "romanization": row["romanization"],
                "romanization_toned": row["romanization_toned"],
                "romanization_origin": row["romanization_origin"],
                "township": found.get(township) if township else None,
                "location": _location(row),
                "generalised": row["secrecy"] != "public",
                "meaning": row["meaning"],
                "origin": row["origin"],
                "history": row["history"],
                "approval": ", ".join(
                    str(v) for v in (row["approving_body"], row["document_number"], row["approval_date"]) if v
                ),
            }
        )
    return {
        "banner": {
            "code": unit["code"],
            "name": found.get(unit["code"], unit["name"]),
            "romanization": next((r["romanization"] for r in rows if r["admin_code"] == unit["code"]), None),
        },
        "path": [found[c] for c in path_codes if c in found],
        "generated": date.today(),
        "count": len(rows),
        "categories": [categories[code] for code in sorted(categories)],
    }


def _entry(entry: dict[str, Any]) -> str:
    roman = html.escape(entry["romanization"] or EMPTY)
    if entry["romanization_origin"] == "official":
        roman += ' <span class="note">（官方拼写 official form）</span>'
    rows = [
        (
            "罗马字母拼写",
            roman
            + (f"<br><small>{html.escape(entry['romanization_toned'])}</small>" if entry["romanization_toned"] else ""),
        ),
        ("所在乡镇", html.escape(entry["township"] or EMPTY)),
        ("位置", html.escape(entry["location"])),
        ("含义", html.escape(entry["meaning"] or EMPTY)),
        ("来历", html.escape(entry["origin"] or EMPTY)),
        ("历史沿革", html.escape(entry["history"] or EMPTY)),
    ]
    if entry["approval"]:
        rows.append(("批准", html.escape(entry["approval"])))
    cells = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows)
    return (
        f'<article class="entry" id="place-{entry["id"]}"><h3>{html.escape(entry["name"])}'
        f' <span class="roman">{html.escape(entry["romanization"] or "")}</span></h3><dl>{cells}</dl></article>'
    )


def book_html(conn: Connection, banner_code: str) -> str:
    """The A4 print page of the banner's gazetteer draft."""
    book = banner_book(conn, banner_code)
    banner = html.escape(book["banner"]["name"])
    contents = "".join(
        f'<li><a href="#category-{c["code"]}">{html.escape(c["code"])} {html.escape(c["name"])}</a>'
        f' <span class="count">{len(c["entries"])} 条</span></li>'
        for c in book["categories"]
    )
    sections = "".join(
        f'<section class="category" id="category-{c["code"]}" data-category="{html.escape(c["code"])}">'
        f"<h2>{html.escape(c['code'])} {html.escape(c['name'])}</h2>"
        + "".join(_entry(e) for e in c["entries"])
        + "</section>"
        for c in book["categories"]
    )
    return PAGE.format(
        banner=banner,
        banner_latin=html.escape(book["banner"]["romanization"] or book["banner"]["name"]),
        code=book["banner"]["code"],
        path=html.escape(" ".join(book["path"])),
        generated=book["generated"].isoformat(),
        count=book["count"],
        contents=contents or "<li>— 无 none —</li>",
        sections=sections,
    )


PAGE = (
    """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{banner}地名志（草稿）</title>
<style>
@page {{ size: A4; margin: 18mm 16mm 20mm;
  @bottom-center {{ content: counter(page) " / " counter(pages); font-size: 9pt; }} }}
@page :first {{ @bottom-center {{ content: none; }} }}
body {{ font-family: """
    + PRINT_FONTS
    + """; font-size: 10.5pt; color: #000;
  max-width: 178mm; margin: 0 auto; line-height: 1.45; }}
.title-page {{ height: 240mm; display: flex; flex-direction: column; justify-content: center; text-align: center;
  break-after: page; }}
.title-page h1 {{ font-size: 28pt; letter-spacing: 0.2em; margin: 0 0 6mm; }}
.title-page .sub {{ font-size: 14pt; }}
.title-page .draft {{ margin-top: 30mm; font-size: 10pt; color: #444; }}
.contents {{ break-after: page; }}
.contents h2 {{ font-size: 16pt; }}
.contents ol {{ list-style: none; padding: 0; }}
.contents li {{ display: flex; justify-content: space-between; border-bottom: 1px dotted #777; padding: 1.5mm 0; }}
.contents a {{ color: #000; text-decoration: none; }}
section.category {{ break-before: page; }}
section.category h2 {{ font-size: 15pt; border-bottom: 2px solid #000; padding-bottom: 1mm; }}
article.entry {{ break-inside: avoid; margin: 0 0 4mm; padding-bottom: 2mm; border-bottom: 1px solid #ccc; }}
article.entry h3 {{ font-size: 12pt; margin: 0 0 1mm; }}
article.entry h3 .roman {{ font-weight: normal; font-style: italic; margin-left: 3mm; }}
dl {{ display: grid; grid-template-columns: 24mm 1fr; margin: 0; gap: 0.5mm 2mm; }}
dt {{ color: #444; }}
dd {{ margin: 0; }}
.note {{ font-size: 8.5pt; color: #444; }}
@media screen {{ body {{ padding: 8mm; }} .title-page {{ height: auto; min-height: 120mm; }} }}
</style></head>
<body>
<div class="title-page">
<p class="sub">{path}</p>
<h1>{banner}地名志</h1>
<p class="sub">Gazetteer of {banner_latin} ({code}) — 草稿 draft</p>
<p class="draft">据地名信息库生成 generated from the place-name registry on {generated} · 标准地名 {count} 条<br>
罗马字母拼写依 GB/T 16159-2012 及少数民族语地名的官方拼写；类别依 GB/T 18521 · 供审校 for review</p>
</div>
<nav class="contents"><h2>目录 Contents</h2><ol>{contents}</ol></nav>
{sections}
</body></html>
"""
)
