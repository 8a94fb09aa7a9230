"""The per-line inspection report the office files: A4 printable HTML (print CSS) with a map of the line and its
markers drawn as SVG by this module (displaced ones in red), the observation table, photo thumbnails and the
signature block of both parties; the same page printed to PDF by headless Chromium (no web framework here)."""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import shapely
import shapely.geometry
from pyproj import Geod
from sqlalchemy.engine import Connection

from boundaries.inspections import photos as field_photos
from boundaries.inspections import service as inspections
from boundaries.inspections.models import CLASS_LABELS, STATUS_LABELS
from boundaries.lines import service as lines
from boundaries.units import service
from core.errors import InvalidInput
from core.printing import PRINT_FONTS, html_to_pdf
from core.settings import PhotoSettings

GRS80 = Geod(ellps="GRS80")
MAP_W, MAP_H, MARGIN = 680.0, 420.0, 36.0
COLOURS = {"displaced": "#d32f2f", "in_place": "#2e7d32", "no_fix": "#616161", None: "#1565c0"}
# Times are printed in the office's local time: China Standard Time, UTC+8 (tz database name Asia/Shanghai).
LOCAL_TIME = ZoneInfo("Asia/Shanghai")


def local_time(moment: datetime) -> str:
    """A moment as the office reads it: date and minute in Beijing time."""
    return f"{moment.astimezone(LOCAL_TIME):%Y-%m-%d %H:%M}"


def _line_of(campaign: dict[str, Any], line_id: int | None) -> int:
    if line_id is None:
        if len(campaign["line_ids"]) == 1:
            return int(campaign["line_ids"][0])
        raise InvalidInput(f"choose a line: campaign {campaign['id']} inspects lines {campaign['line_ids']}")
    if line_id not in campaign["line_ids"]:
        raise InvalidInput(f"line {line_id} is not inspected by campaign {campaign['id']} ({campaign['line_ids']})")
    return line_id


def _unit_name(conn: Connection, code: str) -> str:
    unit = service.find_unit(conn, code)
    return str(unit["name"]) if unit else code


def report_html(
    conn: Connection, campaign_id: int, line_id: int | None = None, photo_src: Callable[[int], str] | None = None
) -> str:
    """The report of one line of a campaign; ``photo_src`` gives each photo's image address (the API's URL
    by default; a file URI when printing)."""
    campaign = inspections.get_campaign(conn, campaign_id)
    line = lines.get_line(conn, _line_of(campaign, line_id))
    observations = [o for o in campaign["observations"] if o["line_id"] == line["id"]]
    markers = {m["id"]: m for m in line["markers"]}
    latest = {o["marker_id"]: o for o in observations if o["marker_id"] is not None}  # in submission order
    photos = [(o, p) for o in observations for p in o["photos"]]
    source = photo_src or (lambda photo_id: f"/api/v1/boundaries/inspections/{campaign_id}/photos/{photo_id}")
    names = [_unit_name(conn, code) for code in line["units"]]
    parties = [f"{name} ({code})" for name, code in zip(names, line["units"], strict=True)]
    return PAGE.format(
        title=html.escape(campaign["title"]),
        line_name=html.escape("—".join(names) + " 界线"),
        line_key=html.escape(line["line_key"]),
        produced=local_time(datetime.now(LOCAL_TIME)),
        length=f"{line['length_km']:.3f}",
        agreement=html.escape(line["agreement_ref"] or "—"),
        parties=" / ".join(html.escape(p) for p in parties),
        period=f"{campaign['period_start']} – {campaign['period_end']}",
        tolerance=f"{campaign['tolerance_m']:g}",
        inspectors="、".join(html.escape(i) for i in campaign["inspectors"]),
        summary=_summary(markers, latest),
        svg=_map_svg(line, markers, latest),
        rows=_observation_rows(observations, markers) or '<tr><td colspan="9">— 无记录 none —</td></tr>',
        photos="".join(_photo_figure(o, p, markers, source(p["id"])) for o, p in photos) or "<p>— 无照片 none —</p>",
        signatures="".join(_signature(html.escape(p)) for p in parties),
    )


def _summary(markers: dict[int, Any], latest: dict[int, Any]) -> str:
    counts: dict[str, int] = {}
    for marker_id in markers:
        observation = latest.get(marker_id)
        label = observation["classification"] if observation else "not_observed"
        counts[label] = counts.get(label, 0) + 1
    names = {**CLASS_LABELS, "not_observed": "未检查 not observed"}
    return "; ".join(f"{names[k]}: {v}" for k, v in sorted(counts.items())) + f" (界桩 markers: {len(markers)})"


def _map_svg(line: dict[str, Any], markers: dict[int, Any], latest: dict[int, Any]) -> str:
    """The line and its markers in a local equirectangular projection (true scale at the centre), with a scale
    bar and north arrow; displaced markers red with their observed position and the offset."""
    geometry = shapely.geometry.shape(line["geometry"])
    west, south, east, north = geometry.bounds
    lat0 = math.radians((south + north) / 2)
    x_scale = math.cos(lat0)
    span_x = max((east - west) * x_scale, 1e-9)
    span_y = max(north - south, 1e-9)
    k = min((MAP_W - 2 * MARGIN) / span_x, (MAP_H - 2 * MARGIN) / span_y)
    off_x = (MAP_W - span_x * k) / 2
    off_y = (MAP_H - span_y * k) / 2

    def xy(lon: float, lat: float) -> str:
        return f"{off_x + (lon - west) * x_scale * k:.1f},{MAP_H - off_y - (lat - south) * k:.1f}"

    parts = [
        f'<polyline points="{" ".join(xy(x, y) for x, y in part.coords)}" class="line"/>'
        for part in shapely.get_parts(geometry)
    ]
    for marker_id, marker in markers.items():
        observation = latest.get(marker_id)
        kind = observation["classification"] if observation else None
        centre = xy(marker["lon"], marker["lat"])
        cx, cy = centre.split(",")
        displaced = observation is not None and kind == "displaced"
        if observation is not None and displaced and observation["lon"] is not None:
            fx, fy = xy(observation["lon"], observation["lat"]).split(",")
            parts.append(f'<line x1="{cx}" y1="{cy}" x2="{fx}" y2="{fy}" class="offset"/>')
            parts.append(f'<rect x="{float(fx) - 4:.1f}" y="{float(fy) - 4:.1f}" width="8" height="8" class="fix"/>')
        label = html.escape(marker["number"])
        parts.append(
            f'<circle cx="{cx}" cy="{cy}" r="{7 if displaced else 5}" fill="{COLOURS[kind]}" data-marker="{label}"'
            f' data-class="{kind or "not_observed"}"/>'
        )
        if observation is not None and displaced:
            label += f" ({observation['displacement_m']:.1f} m)"
        parts.append(f'<text x="{float(cx) + 9:.1f}" y="{float(cy) - 6:.1f}" fill="{COLOURS[kind]}">{label}</text>')
    parts.append(_scale_bar(west, (south + north) / 2, k, x_scale))
    parts.append(
        f'<g transform="translate({MAP_W - 22},{28})"><path d="M0,-16 L6,4 L0,0 L-6,4 Z" fill="#000"/>'
        '<text x="-4" y="18">N</text></g>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {MAP_W:g} {MAP_H:g}" class="map" role="img"'
        f' aria-label="line map">{"".join(parts)}</svg>'
    )


def _scale_bar(west: float, lat: float, k: float, x_scale: float) -> str:
    """A bar of a round length near a fifth of the map width (length measured on the ellipsoid)."""
    degrees_per_px = 1 / (k * x_scale)
    metres_per_px = GRS80.inv(west, lat, west + degrees_per_px * 100, lat)[2] / 100
    target = metres_per_px * MAP_W / 5
    step = 10 ** math.floor(math.log10(target))
    length_m = max(s * step for s in (1, 2, 5) if s * step <= target)
    width = length_m / metres_per_px
    label = f"{length_m / 1000:g} km" if length_m >= 1000 else f"{length_m:g} m"
    y = MAP_H - 14
    return (
        f'<g class="scale"><line x1="12" y1="{y}" x2="{12 + width:.1f}" y2="{y}" stroke="#000" stroke-width="3"/>'
        f'<text x="12" y="{y - 6}">{label}</text></g>'
    )


def _bearings(o: dict[str, Any]) -> str:
    """True and grid bearing of a displacement (none for a fix on the agreed position)."""
    if o["bearing_deg"] is None:
        return "—"
    grid = (
        ""
        if o["grid_bearing_deg"] is None
        else f"<br>坐标 grid {o['grid_bearing_deg']:.1f}° <small>({o['grid_crs']})</small>"
    )
    return f'<span class="small">真 true {o["bearing_deg"]:.1f}°{grid}</span>'


def _coordinates(o: dict[str, Any], marker: Any) -> str:
    """The agreed and the observed position in CGCS2000, and the fix as given in its CRS."""
    if o["lon"] is None:
        return "—"
    agreed = f"约定 agreed {marker['lon']:.6f}, {marker['lat']:.6f}<br>" if marker else ""
    given = f"<br><small>{html.escape(o['fix_crs'])}: {o['fix_x']:.6f}, {o['fix_y']:.6f}</small>"
    return f'<span class="small">{agreed}实测 observed {o["lon"]:.6f}, {o["lat"]:.6f}{given}</span>'


def _observation_rows(observations: list[dict[str, Any]], markers: dict[int, Any]) -> str:
    rows = []
    for o in observations:
        marker = markers.get(o["marker_id"]) if o["marker_id"] is not None else None
        displaced = o["classification"] == "displaced"
        cells = [
            html.escape(marker["number"]) if marker else "线 line",
            html.escape(STATUS_LABELS.get(o["marker_status"], "—")),
            "—" if o["displacement_m"] is None else f"{o['displacement_m']:.2f}",
            _bearings(o),
            html.escape(CLASS_LABELS.get(o["classification"], "—")),
            _coordinates(o, marker),
            html.escape(o["submitted_by"]),
            f'<span class="small when">{o["observed_on"]}<br>提交 {local_time(o["submitted_at"])}</span>',
            html.escape(o["notes"])
            + (f"<br><strong>{html.escape(o['crs_warning'])}</strong>" if o["crs_warning"] else ""),
        ]
        row_class = ' class="displaced"' if displaced else ""
        rows.append(f"<tr{row_class}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return "".join(rows)


def _photo_figure(observation: dict[str, Any], photo: dict[str, Any], markers: dict[int, Any], src: str) -> str:
    marker = markers.get(observation["marker_id"]) if observation["marker_id"] is not None else None
    caption = f"{marker['number'] if marker else '线 line'} #{photo['seq']} · {observation['observed_on']}"
    return (
        f'<figure><img src="{html.escape(src)}" alt="{html.escape(caption)}">'
        f"<figcaption>{html.escape(caption)}<br><small>SHA-256 {photo['sha256'][:16]}…</small></figcaption></figure>"
    )


def _signature(party: str) -> str:
    return (
        f'<div class="party"><h3>{party}</h3><p>代表签字 Representative: ____________________</p>'
        "<p>日期 Date: ____________________</p><p>盖章 Seal:</p></div>"
    )


def report_pdf(conn: Connection, campaign_id: int, line_id: int | None, photos: PhotoSettings) -> bytes:
    """The report printed to A4 PDF (photos read from the photo folder)."""

    def file_uri(photo_id: int) -> str:
        return field_photos.photo_file(conn, campaign_id, photo_id, photos)[0].resolve().as_uri()

    return html_to_pdf(report_html(conn, campaign_id, line_id, photo_src=file_uri), what="the report")


PAGE = (
    """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>界线联合检查报告 {line_name}</title>
<style>
@page {{ size: A4; margin: 14mm 12mm 16mm;
  @bottom-center {{ content: "第 " counter(page) " 页 / 共 " counter(pages) " 页"; font-size: 8pt; }} }}
body {{ font-family: """
    + PRINT_FONTS
    + """; font-size: 10pt; color: #000;
  max-width: 186mm; margin: 0 auto; }}
h1 {{ font-size: 15pt; margin: 0 0 2mm; }}
h2 {{ font-size: 11.5pt; margin: 5mm 0 2mm; border-bottom: 1px solid #000; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #777; padding: 1mm 1.5mm; vertical-align: top; text-align: left; }}
thead {{ display: table-header-group; }}
tr {{ page-break-inside: avoid; }}
tr.displaced td {{ background: #fde0e0; }}
.small {{ font-size: 7.5pt; }}
.when {{ white-space: nowrap; }}
.meta td:first-child {{ width: 32mm; font-weight: bold; }}
svg.map {{ width: 100%; height: auto; border: 1px solid #777; }}
svg .line {{ fill: none; stroke: #333; stroke-width: 2.5; }}
svg .offset {{ stroke: #d32f2f; stroke-width: 1.5; stroke-dasharray: 4 3; }}
svg .fix {{ fill: none; stroke: #d32f2f; stroke-width: 2; }}
svg text {{ font-size: 11px; }}
.legend span {{ margin-right: 5mm; }}
.photos {{ display: flex; flex-wrap: wrap; gap: 3mm; }}
figure {{ margin: 0; width: 42mm; page-break-inside: avoid; }}
figure img {{ width: 42mm; height: 32mm; object-fit: cover; border: 1px solid #777; }}
figcaption {{ font-size: 8pt; }}
.signatures {{ display: flex; gap: 8mm; page-break-inside: avoid; }}
.party {{ flex: 1; border: 1px solid #777; padding: 2mm 4mm; min-height: 40mm; }}
.party h3 {{ font-size: 11pt; margin: 0 0 3mm; }}
@media screen {{ body {{ padding: 8mm; background: #fff; }} }}
</style></head>
<body>
<h1>{line_name}联合检查报告 Joint boundary inspection report</h1>
<table class="meta">
<tr><td>检查 Campaign</td><td>{title}</td></tr>
<tr><td>界线 Line</td><td>{line_name} ({line_key}) · {length} km · 协议书 agreement: {agreement}</td></tr>
<tr><td>双方 Parties</td><td>{parties}</td></tr>
<tr><td>期间 Period</td><td>{period} · 限差 tolerance {tolerance} m</td></tr>
<tr><td>检查人员 Inspectors</td><td>{inspectors}</td></tr>
<tr><td>结果 Result</td><td>{summary}</td></tr>
<tr><td>生成 Produced</td><td>{produced} 北京时间 (UTC+8)</td></tr>
</table>
<h2>界线及界桩 Line and markers</h2>
{svg}
<div class="legend"><span style="color:#d32f2f">● 超限移位 displaced (□ 实测 observed)</span>
<span style="color:#2e7d32">● 在位 in place</span><span style="color:#616161">● 无定位 no fix</span>
<span style="color:#1565c0">● 未检查 not observed</span></div>
<h2>检查记录 Observations</h2>
<table class="observations"><thead><tr><th>界桩 Marker</th><th>状态 Status</th><th>位移 m</th><th>方位 Bearing</th>
<th>判定 Class</th><th>坐标 CGCS2000 (lon, lat)</th><th>提交账号 Sent by (account)</th>
<th>时间 Time<br><small>北京时间 UTC+8</small></th>
<th>说明 Notes</th></tr></thead>
<tbody>{rows}</tbody></table>
<h2>照片 Photos</h2>
<div class="photos">{photos}</div>
<h2>双方签字 Signatures of both parties</h2>
<div class="signatures">{signatures}</div>
</body></html>
"""
)
