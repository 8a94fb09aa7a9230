"""The mobile web form inspectors use in the field, an offline web app (no CDN, no framework): the page, its script
``static/form.js`` and its service worker ``static/sw.js``, all from this origin.

The service worker (scope ``/field/``: the form's pages only) keeps the last copy of each form page and of the
script, so a form opened once opens again without a network. What is typed is queued in the phone's IndexedDB
under a client-made ``submission_id`` (the observation and its photos) and sent by the page while it is open,
one report at a time, until the server answers; the server keeps one observation per ``submission_id`` and one
photo per number, so a retry after a lost answer stores nothing twice. A report the server refuses (4xx) stays
in the queue with the server's reason until it is corrected or discarded; a refused key (401/403) stops sending
and asks for the key again, the queue kept.

The inspector's key is kept in sessionStorage, not localStorage or IndexedDB. Those are shared by every page of
the origin: a script planted on any of them (a map page, say) could read the key at any time. sessionStorage
belongs to this browser tab alone and is gone when the tab closes: a script on another page, in another tab,
cannot reach it, and no page can frame the form (``frame-ancestors 'none'``). Same-origin storage is never a
wall against a script already running on the origin — one could open the form in a new window and read what is
typed there — so the first defence is the Content-Security-Policy that keeps planted scripts from running at
all (core.security_headers; the form's script is a file of this origin, no inline script). An HttpOnly cookie
would keep the key from scripts but needs cookie authentication (and CSRF defences) on the API, and a planted
script could still send requests that carry it. The cost: the key is typed again in a new tab; the queue (no
secret) stays in IndexedDB and is sent once the key is typed."""

from __future__ import annotations

import hashlib
import html
import json
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from boundaries.inspections import service as inspections
from boundaries.inspections.models import CLASS_LABELS, MARKER_STATUSES, STATUS_LABELS
from boundaries.lines import service as lines
from boundaries.units import service as units
from core.settings import PhotoSettings

STATIC = Path(__file__).resolve().parent / "static"
CRS_CHOICES = [
    ("EPSG:4326", "WGS84 — 手机/浏览器定位 GPS, browser position"),
    ("GCJ-02", "GCJ-02 — 高德/腾讯地图 AMap, Tencent"),
    ("BD-09", "BD-09 — 百度地图 Baidu"),
    ("EPSG:4490", "CGCS2000 经纬度 lon/lat"),
    ("EPSG:4545", "CGCS2000 3° GK 108°E (m)"),
    ("EPSG:4546", "CGCS2000 3° GK 111°E (m)"),
]
RETRY_MS = 3000  # first retry after a network failure; doubled at each failure up to MAX_RETRY_MS
MAX_RETRY_MS = 60000


def _json_for_script(value: Any) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, ensure_ascii=False, default=str).replace("<", "\\u003c").replace(">", "\\u003e")


@cache
def asset(name: str) -> bytes:
    """The form's script (``form.js``) or its service worker (``sw.js``, which names its cache after a digest of
    both files, so a new version of either replaces the phone's copy)."""
    if name == "sw.js":
        digest = hashlib.sha256((STATIC / "form.js").read_bytes() + (STATIC / "sw.js").read_bytes()).hexdigest()
        return (STATIC / "sw.js").read_bytes().replace(b"__VERSION__", digest[:16].encode())
    return (STATIC / name).read_bytes()


def _marker_options(conn: Connection, line_ids: list[int]) -> str:
    """The campaign's markers by number, description and line (named by its units), not by codes."""
    options = []
    for line_id in line_ids:
        line = lines.get_line(conn, line_id)
        found = units.find_units(conn, line["units"])
        line_name = "–".join(found[code]["name"] if code in found else code for code in line["units"])
        for m in line["markers"]:
            label = " · ".join(part for part in (m["number"], m["description"] or "", line_name) if part)
            options.append(f'<option value="{m["id"]}">{html.escape(label)}</option>')
    return "".join(options)


def field_form_page(conn: Connection, campaign_id: int, photos: PhotoSettings) -> str:
    """The form for one campaign: its markers, statuses, a GNSS fix (browser or typed, with CRS), notes, photos."""
    campaign = inspections.get_campaign(conn, campaign_id)
    config = {
        "campaign": campaign_id,
        "api": f"/api/v1/boundaries/inspections/{campaign_id}",
        "photoMaxBytes": photos.photo_max_bytes,
        "retryMs": RETRY_MS,
        "maxRetryMs": MAX_RETRY_MS,
        "statusLabels": STATUS_LABELS,
        "classLabels": CLASS_LABELS,
    }
    status_options = "".join(
        f'<label class="choice"><input type="radio" name="status" value="{s}" required> {STATUS_LABELS[s]}</label>'
        for s in MARKER_STATUSES
    )
    crs_options = "".join(f'<option value="{c}">{html.escape(label)}</option>' for c, label in CRS_CHOICES)
    title = html.escape(campaign["title"])
    period = f"{campaign['period_start']} – {campaign['period_end']}"
    return PAGE.format(
        title=title,
        period=period,
        markers=_marker_options(conn, campaign["line_ids"]),
        statuses=status_options,
        crs_options=crs_options,
        max_mb=f"{photos.photo_max_bytes / 1024 / 1024:g}",
        config=_json_for_script(config),
    )


PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>界桩巡查 {title}</title>
<style>
body {{ font-family: sans-serif; margin: 0; padding: 12px; max-width: 640px; font-size: 17px; }}
h1 {{ font-size: 1.2em; margin: 0 0 4px; }}
fieldset {{ border: 1px solid #bbb; border-radius: 6px; margin: 10px 0; padding: 8px 10px; }}
label {{ display: block; margin: 6px 0 2px; }}
label.choice {{ display: inline-flex; align-items: center; min-height: 44px; margin: 0 12px 0 0; }}
label.choice input {{ width: 24px; height: 24px; margin: 0 6px 0 0; }}
input, select, textarea, button {{ font-size: 1em; box-sizing: border-box; }}
input[type=text], input[type=password], input[type=date], select, textarea {{ width: 100%; padding: 6px; }}
input[type=text], input[type=password], input[type=date], select {{ min-height: 44px; }}
button {{ min-height: 44px; min-width: 44px; padding: 8px 14px; margin: 6px 6px 6px 0; border-radius: 6px; }}
input[type=file]::file-selector-button {{ min-height: 44px; padding: 8px 12px; font-size: 1em; }}
#submit {{ width: 100%; background: #1565c0; color: #fff; border: 0; }}
.hint {{ color: #555; font-size: .85em; }}
#key-row {{ display: flex; gap: 6px; }}
#key-row input {{ flex: 1; min-width: 0; }}
#key-row button {{ flex: none; margin: 0; white-space: nowrap; }}
#key-note[data-state=refused] {{ color: #a31515; font-weight: bold; }}
#state {{ padding: 8px; border-radius: 6px; background: #eee; margin: 8px 0; }}
#state[data-state=saved] {{ background: #dff0d8; }}
#state[data-state=queued] {{ background: #fff3cd; }}
#state[data-state=refused], #state[data-state=key] {{ background: #f8d7da; }}
#queue {{ list-style: none; padding: 0; }}
#queue li {{ border: 1px solid #ccc; border-left: 6px solid #999; border-radius: 6px; margin: 6px 0; padding: 6px; }}
#queue li[data-state=waiting] {{ border-left-color: #e0a800; }}
#queue li[data-state=sent] {{ border-left-color: #2e7d32; }}
#queue li[data-state=refused] {{ border-left-color: #c62828; }}
#queue .why {{ color: #a31515; }}
</style></head>
<body>
<h1>界桩联合检查 Boundary-marker inspection</h1>
<div>{title}<br><span class="hint">{period}</span></div>
<fieldset><legend>巡查员密钥 Inspector key</legend>
<div id="key-row"><input type="password" id="key" autocomplete="off" placeholder="X-API-Key">
<button type="button" id="key-use">使用 Use</button></div>
<div class="hint" id="key-note" data-state="idle">本标签页内只需输入一次, 关闭即清除 —
typed once, kept in this tab until it is closed.</div>
</fieldset>
<form id="form">
<fieldset><legend>界桩 Marker</legend>
<select id="marker" required><option value="">—</option>{markers}</select>
<label>状态 Status</label>{statuses}
</fieldset>
<fieldset><legend>定位 GNSS fix</legend>
<button type="button" id="locate">使用本机定位 Use my position</button>
<div class="hint" id="locate-note">浏览器定位为 WGS84 (EPSG:4326), 仅在 HTTPS 下可用 — the browser's position is WGS84
(EPSG:4326) and is offered over HTTPS only. 从手机地图读取的坐标请选择其坐标系: 高德/腾讯 GCJ-02, 百度 BD-09.</div>
<label for="x">经度 / 东坐标 Longitude or easting</label><input type="text" id="x" inputmode="decimal">
<label for="y">纬度 / 北坐标 Latitude or northing</label><input type="text" id="y" inputmode="decimal">
<label for="crs">坐标系 CRS</label><select id="crs">{crs_options}</select>
</fieldset>
<fieldset><legend>记录 Notes and photos</legend>
<label for="observed">日期 Date</label><input type="date" id="observed" required>
<label for="notes">说明 Notes</label><textarea id="notes" rows="3" maxlength="4000"></textarea>
<label for="photos">照片 Photos (JPEG/PNG, ≤ {max_mb} MB each)</label>
<input type="file" id="photos" accept="image/jpeg,image/png" capture="environment" multiple>
</fieldset>
<div class="hint" id="editing" hidden></div>
<button type="submit" id="submit">提交 Submit</button>
<div class="hint">没有信号也可提交: 报告和照片存在本机, 有网络且本页打开时自动发送, 每份只存一次; 本页离线也能打开 —
with no signal, reports and photos stay on this phone and are sent once the network is back while this page is open
(each stored once); the page opens offline too.</div>
</form>
<div id="state" data-state="idle" role="status">—</div>
<div>待发送 Queued: <strong id="count">0</strong></div>
<ul id="queue"></ul>
<script type="application/json" id="config">{config}</script>
<script src="/field/form.js" defer></script>
</body></html>
"""
