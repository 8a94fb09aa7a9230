"""The mobile web form inspectors use in the field (one self-contained HTML page: no CDN, no framework).

What is typed is queued in the phone's storage under a client-made ``submission_id`` (the observation in
localStorage, photos in IndexedDB) and sent until the server answers, so a dropped network loses nothing and a
retry after a lost answer stores nothing twice (the server keeps one observation per submission_id).

The inspector's key is kept in sessionStorage, not localStorage. localStorage is shared by every page of the
origin: a script planted on any of them (a map page, say) could read the key at any time. sessionStorage
belongs to this browser tab alone and is gone when the tab closes: a script on another page, in another tab,
cannot reach it, and no page can frame the form (``frame-ancestors 'none'``). Same-origin storage is never a
wall against a script already running on the origin — one could open the form in a new window and read what is
typed there — so the first defence is the Content-Security-Policy that keeps planted scripts from running at
all (core.security_headers; the form's own script carries the response's nonce). An HttpOnly cookie would keep
the key from scripts but needs cookie authentication (and CSRF defences) on the API, and a planted script could
still send requests that carry it. The cost: the key is typed again in a new tab; the queue (no secret) stays
in localStorage and is sent once the key is typed."""

from __future__ import annotations

import html
import json
from typing import Any

from sqlalchemy.engine import Connection

from boundaries.inspections import service as inspections
from boundaries.inspections.models import MARKER_STATUSES
from boundaries.lines import service as lines
from core.security_headers import SCRIPT_OPEN
from core.settings import PhotoSettings

STATUS_LABELS = {
    "intact": "完好 intact",
    "damaged": "损坏 damaged",
    "moved": "移位 moved",
    "missing": "丢失 missing",
    "rebuilt": "重建 rebuilt",
}
CRS_CHOICES = [
    ("EPSG:4326", "WGS84 — 手机/浏览器定位 GPS, browser position"),
    ("GCJ-02", "GCJ-02 — 高德/腾讯地图 AMap, Tencent"),
    ("BD-09", "BD-09 — 百度地图 Baidu"),
    ("EPSG:4490", "CGCS2000 经纬度 lon/lat"),
    ("EPSG:4545", "CGCS2000 3° GK 108°E (m)"),
    ("EPSG:4546", "CGCS2000 3° GK 111°E (m)"),
]
RETRY_MS = 3000


def _json_for_script(value: Any) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, ensure_ascii=False, default=str).replace("<", "\\u003c").replace(">", "\\u003e")


def field_form_page(conn: Connection, campaign_id: int, photos: PhotoSettings) -> str:
    """The form for one campaign: its markers, statuses, a GNSS fix (browser or typed, with CRS), notes, photos."""
    campaign = inspections.get_campaign(conn, campaign_id)
    markers = [m for line_id in campaign["line_ids"] for m in lines.list_markers(conn, line_id=line_id)]
    config = {
        "campaign": campaign_id,
        "api": f"/api/v1/boundaries/inspections/{campaign_id}",
        "photoMaxBytes": photos.photo_max_bytes,
        "retryMs": RETRY_MS,
    }
    marker_options = "".join(
        f'<option value="{m["id"]}">{html.escape(m["number"])} — {html.escape(m["line_key"])}</option>' for m in markers
    )
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
        markers=marker_options,
        statuses=status_options,
        crs_options=crs_options,
        max_mb=f"{photos.photo_max_bytes / 1024 / 1024:g}",
        config=_json_for_script(config),
        script_open=SCRIPT_OPEN,
        script=SCRIPT,
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
label.choice {{ display: inline-block; margin: 4px 12px 4px 0; }}
input, select, textarea, button {{ font-size: 1em; box-sizing: border-box; }}
input[type=text], input[type=password], input[type=date], select, textarea {{ width: 100%; padding: 6px; }}
button {{ padding: 10px 14px; margin: 6px 0; }}
#submit {{ width: 100%; background: #1565c0; color: #fff; border: 0; border-radius: 6px; }}
.hint {{ color: #555; font-size: .85em; }}
#state {{ padding: 8px; border-radius: 6px; background: #eee; margin: 8px 0; }}
#state[data-state=saved] {{ background: #dff0d8; }}
#state[data-state=queued] {{ background: #fff3cd; }}
#state[data-state=refused] {{ background: #f8d7da; }}
#queue li {{ margin: 4px 0; }}
</style></head>
<body>
<h1>界桩联合检查 Boundary-marker inspection</h1>
<div>{title}<br><span class="hint">{period}</span></div>
<fieldset><legend>巡查员密钥 Inspector key</legend>
<input type="password" id="key" autocomplete="off" placeholder="X-API-Key">
<div class="hint">本标签页内只需输入一次, 关闭即清除 — typed once, kept in this tab until it is closed.</div>
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
<button type="submit" id="submit">提交 Submit</button>
</form>
<div id="state" data-state="idle" role="status">—</div>
<ul id="queue"></ul>
<script type="application/json" id="config">{config}</script>
{script_open}{script}</script>
</body></html>
"""

SCRIPT = r"""
"use strict";
const CONFIG = JSON.parse(document.getElementById("config").textContent);
const QUEUE = "gaz-field-queue";
const KEY = "gaz-field-key";  // in sessionStorage: this tab only (see the module's docstring)
const $ = (id) => document.getElementById(id);
let flushing = false;

function loadQueue() { return JSON.parse(localStorage.getItem(QUEUE) || "[]"); }
function saveQueue(queue) { localStorage.setItem(QUEUE, JSON.stringify(queue)); render(queue); }
function setState(state, text) { const el = $("state"); el.dataset.state = state; el.textContent = text; }
function newSubmissionId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "f-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
function today() {
  const d = new Date();
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
}

function photoStore(mode, work) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open("gaz-field", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("photos");
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction("photos", mode);
      const request = work(tx.objectStore("photos"));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
    };
  });
}

function render(queue) {
  const list = $("queue");
  list.textContent = "";
  for (const item of queue) {
    const li = document.createElement("li");
    const marker = $("marker").querySelector(`option[value="${item.body.marker_id}"]`);
    li.textContent = `${marker ? marker.textContent : item.body.marker_id} · ${item.body.status} · ` +
      (item.error ? `被拒 refused: ${item.error}` : item.sent ? `照片待传 photos pending` : "待发送 waiting");
    if (item.error) {
      const drop = document.createElement("button");
      drop.textContent = "删除 discard";
      drop.onclick = () => saveQueue(loadQueue().filter((i) => i.id !== item.id));
      li.append(" ", drop);
    }
    list.append(li);
  }
  list.dataset.count = String(queue.length);
}

async function send(method, url, body, type) {
  const response = await fetch(url, {
    method, body, headers: { "Content-Type": type, "X-API-Key": sessionStorage.getItem(KEY) || "" },
  });
  let detail = "";
  if (!response.ok) {
    try { detail = (await response.json()).detail; } catch (e) { detail = String(response.status); }
  }
  return { status: response.status, detail };
}

function retriable(status) { return status >= 500 || status === 408 || status === 429; }

async function flushItem(queue, item) {
  if (!item.sent) {
    const answer = await send("POST", CONFIG.api + "/observations", JSON.stringify(item.body), "application/json");
    if (answer.status === 401 || answer.status === 403) throw new Error("密钥无效 key refused: " + answer.detail);
    if (retriable(answer.status)) throw new Error("服务器 server " + answer.status);
    if (answer.status >= 400) { item.error = answer.detail; saveQueue(queue); return; }
    item.sent = true;
    saveQueue(queue);
  }
  for (let seq = 1; seq <= item.photos; seq++) {
    if (item.uploaded.includes(seq)) continue;
    const key = `${item.id}/${seq}`;
    const photo = await photoStore("readonly", (store) => store.get(key));
    const url = `${CONFIG.api}/observations/${item.id}/photos/${seq}?name=${encodeURIComponent(photo.name)}`;
    const answer = await send("PUT", url, photo.blob, photo.type);
    if (retriable(answer.status) || answer.status === 401 || answer.status === 403) {
      throw new Error("照片 photo " + answer.status);
    }
    if (answer.status >= 400) { item.error = `photo ${seq}: ${answer.detail}`; saveQueue(queue); return; }
    item.uploaded.push(seq);
    saveQueue(queue);
    await photoStore("readwrite", (store) => store.delete(key));
  }
  queue.splice(queue.indexOf(item), 1);
  saveQueue(queue);
}

async function flush() {
  if (flushing) return;
  flushing = true;
  const queue = loadQueue();
  try {
    if (!queue.length) return;
    for (const item of [...queue]) { if (!item.error) await flushItem(queue, item); }
    const refused = queue.filter((i) => i.error).length;
    if (refused) setState("refused", `${refused} 条被拒, 请检查 refused — see below`);
    else setState("saved", "已保存 saved");
  } catch (error) {
    setState("queued", `已存本机, 自动重试 kept on this phone, retrying (${queue.length}): ${error.message}`);
  } finally {
    flushing = false;
  }
}

async function submit(event) {
  event.preventDefault();
  const key = $("key").value.trim();
  if (!key) { setState("refused", "请输入密钥 type your key first"); return; }
  sessionStorage.setItem(KEY, key);
  const status = document.querySelector("input[name=status]:checked");
  const body = {
    submission_id: newSubmissionId(), observed_on: $("observed").value,
    marker_id: Number($("marker").value), status: status ? status.value : null, notes: $("notes").value,
  };
  const x = $("x").value.trim(), y = $("y").value.trim();
  if (x || y) {
    if (!Number.isFinite(Number(x)) || !Number.isFinite(Number(y)) || !x || !y) {
      setState("refused", "坐标须为数字 coordinates must be two numbers"); return;
    }
    body.fix = { x: Number(x), y: Number(y), crs: $("crs").value };
  }
  const files = Array.from($("photos").files);
  for (const file of files) {
    if (!["image/jpeg", "image/png"].includes(file.type) || file.size > CONFIG.photoMaxBytes) {
      setState("refused", `${file.name}: JPEG/PNG ≤ ${CONFIG.photoMaxBytes} bytes only`); return;
    }
  }
  const item = { id: body.submission_id, body, photos: files.length, uploaded: [], sent: false, error: null };
  for (const [index, file] of files.entries()) {
    const photo = { blob: file, type: file.type, name: file.name };
    await photoStore("readwrite", (store) => store.put(photo, `${item.id}/${index + 1}`));
  }
  const queue = loadQueue();
  queue.push(item);
  saveQueue(queue);
  $("form").reset();
  $("observed").value = today();
  await flush();
}

function locate() {
  if (!navigator.geolocation) { $("locate-note").textContent = "本浏览器不提供定位 no geolocation here"; return; }
  navigator.geolocation.getCurrentPosition(
    (position) => {
      $("x").value = position.coords.longitude.toFixed(8);
      $("y").value = position.coords.latitude.toFixed(8);
      $("crs").value = "EPSG:4326";
      $("locate-note").textContent = `WGS84 (EPSG:4326), ±${Math.round(position.coords.accuracy)} m`;
    },
    (error) => { $("locate-note").textContent = "定位失败 no position: " + error.message +
      (window.isSecureContext ? "" : " (需要 HTTPS — needs HTTPS)"); },
    { enableHighAccuracy: true, timeout: 30000, maximumAge: 0 },
  );
}

localStorage.removeItem(KEY);  // where earlier versions of the form kept it
$("key").value = sessionStorage.getItem(KEY) || "";
$("observed").value = today();
$("form").addEventListener("submit", submit);
$("locate").addEventListener("click", locate);
window.addEventListener("online", flush);
setInterval(flush, CONFIG.retryMs);
render(loadQueue());
flush();
"""
