// The field form's script (boundaries/inspections/form.py says how the offline form works). Text from the
// server or the phone is shown through textContent only.
"use strict";
const CONFIG = JSON.parse(document.getElementById("config").textContent);
const KEY = "gaz-field-key";  // in sessionStorage: this tab only (see form.py)
const KEEP_SENT = 20;  // sent reports listed with the server's answer (displacement), newest first
const $ = (id) => document.getElementById(id);
let database = null;
let flushing = false;
let timer = null;
let retryMs = CONFIG.retryMs;
let keyRefused = "";  // the server's reason while the key is refused: nothing is sent until another key is used
let sendingId = null;  // the report being sent (not discarded meanwhile)
let confirmingId = null;  // the report whose discard waits for a confirmation
let editing = null;  // the refused report being corrected

class Retry extends Error {  // the network or the server failed: try again later
  constructor(message, afterMs) { super(message); this.afterMs = afterMs; }
}
class KeyRefused extends Error {}

function db() {
  database = database || new Promise((resolve, reject) => {
    const open = indexedDB.open("gaz-field", 2);
    open.onupgradeneeded = () => {
      const names = open.result.objectStoreNames;
      if (!names.contains("photos")) open.result.createObjectStore("photos");
      if (!names.contains("queue")) open.result.createObjectStore("queue", { keyPath: "id" });
    };
    open.onsuccess = () => {
      open.result.onversionchange = () => { open.result.close(); database = null; };  // a newer form upgrades it
      resolve(open.result);
    };
    open.onerror = () => reject(open.error);
  });
  return database;
}

// One IndexedDB transaction over `names`; `work(tx)` queues its requests and may return one whose result is wanted.
async function transact(names, mode, work) {
  const tx = (await db()).transaction(names, mode);
  const request = work(tx);
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve(request ? request.result : undefined);
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
}
const allItems = async () =>
  (await transact(["queue"], "readonly", (tx) => tx.objectStore("queue").getAll())).sort((a, b) => a.created - b.created);
const getItem = (id) => transact(["queue"], "readonly", (tx) => tx.objectStore("queue").get(id));
const putItem = (item) => transact(["queue"], "readwrite", (tx) => { tx.objectStore("queue").put(item); });
const getPhoto = (key) => transact(["photos"], "readonly", (tx) => tx.objectStore("photos").get(key));

function dropItem(item) {
  return transact(["queue", "photos"], "readwrite", (tx) => {
    for (let seq = 1; seq <= item.photos; seq++) tx.objectStore("photos").delete(`${item.id}/${seq}`);
    tx.objectStore("queue").delete(item.id);
  });
}

function setState(state, text) { const el = $("state"); el.dataset.state = state; el.textContent = text; }
function newSubmissionId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "f-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
function today() {
  const d = new Date();
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
}
function markerLabel(id) {
  const option = Array.from($("marker").options).find((o) => o.value === String(id));
  return option ? option.textContent : `#${id}`;
}
function button(text, action) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.addEventListener("click", action);
  return b;
}
function line(text, className) {
  const div = document.createElement("div");
  if (className) div.className = className;
  div.textContent = text;
  return div;
}

const STATE_TEXT = {
  waiting: "待发送 waiting",
  sending: "发送中 sending…",
  sent: "已送达 sent",
  refused: "被服务器拒收 refused by the server",
};

function outcome(result) {
  if (!result) return "";
  const parts = [];
  if (result.displacement_m !== null && result.displacement_m !== undefined) {
    parts.push(`位移 displacement ${Number(result.displacement_m).toFixed(1)} m`);
    if (result.bearing_deg !== null && result.bearing_deg !== undefined) parts.push(`方位 bearing ${result.bearing_deg}°`);
  }
  if (result.classification) parts.push(CONFIG.classLabels[result.classification] || result.classification);
  if (result.crs_warning) parts.push(result.crs_warning);
  return parts.join(" · ");
}

function row(item) {
  const li = document.createElement("li");
  const state = item.id === sendingId ? "sending" : item.state;
  li.dataset.state = state;
  li.dataset.id = item.id;
  const body = item.body;
  const photos = item.photos ? ` · 照片 photos ${item.photos}` : "";
  li.append(line(`${markerLabel(body.marker_id)} · ${CONFIG.statusLabels[body.status] || body.status} · ` +
    `${body.observed_on}${photos}`));
  li.append(line(STATE_TEXT[state] + (state === "sent" ? " · " + outcome(item.result) : ""), "what"));
  if (state === "refused") li.append(line(item.error, "why"));
  if (state === "waiting" || state === "refused") {
    if (confirmingId === item.id) {
      li.append(line(item.sent ? "观测已存服务器, 将不再上传其余照片 — the observation is stored; its remaining " +
        "photos will not be sent." : "删除后此报告不会发送, 也不能恢复 — this report will not be sent and cannot be " +
        "brought back."));
      li.append(button("确定删除 Discard", () => discard(item)), button("保留 Keep", () => askDiscard(null)));
    } else {
      li.append(button("删除 Discard…", () => askDiscard(item.id)));
      if (state === "refused" && !item.sent) li.append(button("修改 Correct", () => correct(item)));
    }
  }
  return li;
}

async function render() {
  const items = await allItems();
  const list = $("queue");
  list.textContent = "";
  for (const item of items.reverse()) list.append(row(item));
  const queued = String(items.filter((i) => i.state !== "sent").length);
  $("count").textContent = queued;
  list.dataset.count = queued;
}

function askDiscard(id) { confirmingId = id; render(); }

async function discard(item) {
  confirmingId = null;
  if (item.id === sendingId) { setState("queued", "正在发送, 不能删除 being sent: it cannot be discarded now"); }
  else {
    await dropItem(item);
    setState("discarded", "已删除 discarded");
  }
  await render();
}

function correct(item) {
  editing = item;
  const body = item.body;
  $("marker").value = String(body.marker_id);
  for (const input of document.querySelectorAll("input[name=status]")) input.checked = input.value === body.status;
  $("x").value = body.fix ? String(body.fix.x) : "";
  $("y").value = body.fix ? String(body.fix.y) : "";
  if (body.fix) $("crs").value = body.fix.crs;
  $("observed").value = body.observed_on;
  $("notes").value = body.notes;
  $("editing").hidden = false;
  $("editing").textContent = `修改被拒报告, 再次提交即替换它 (已有照片 ${item.photos} 张保留) — correcting the refused ` +
    `report: submitting replaces it (its ${item.photos} photos kept).`;
  $("form").scrollIntoView();
}

async function send(method, url, body, type) {
  let response;
  try {
    response = await fetch(url, {
      method, body, headers: { "Content-Type": type, "X-API-Key": sessionStorage.getItem(KEY) || "" },
    });
  } catch (error) {
    throw new Retry("无网络连接 no network");
  }
  let answer = null;
  try { answer = await response.json(); } catch (error) { answer = null; }
  const reason = answer && typeof answer.detail === "string" ? answer.detail : `HTTP ${response.status}`;
  if (response.status === 401 || response.status === 403) throw new KeyRefused(reason);
  if (response.status === 429) {
    const after = Number(response.headers.get("Retry-After"));
    throw new Retry(`服务器繁忙 server busy (429): ${reason}`, Number.isFinite(after) && after > 0 ? after * 1000 : 0);
  }
  if (response.status >= 500 || response.status === 408) throw new Retry(`服务器暂时出错 server error: ${reason}`);
  if (!response.ok) return { refused: `${reason} (HTTP ${response.status})` };
  return { answer };
}

async function refuse(item, reason) {
  item.state = "refused";
  item.error = reason;
  await putItem(item);
}

async function sendItem(item) {
  if (!item.sent) {
    const { refused, answer } = await send("POST", `${item.api}/observations`, JSON.stringify(item.body),
      "application/json");
    if (refused) { await refuse(item, refused); return; }
    item.sent = true;
    item.result = answer;
    await putItem(item);
  }
  for (let seq = 1; seq <= item.photos; seq++) {
    if (item.uploaded.includes(seq)) continue;
    const key = `${item.id}/${seq}`;
    const photo = await getPhoto(key);
    if (!photo) { await refuse(item, `照片 ${seq} 已不在本机 photo ${seq} is no longer on this phone`); return; }
    const url = `${item.api}/observations/${item.id}/photos/${seq}?name=${encodeURIComponent(photo.name)}`;
    const { refused } = await send("PUT", url, photo.blob, photo.type);
    if (refused) { await refuse(item, `照片 photo ${seq} (${photo.name}): ${refused}`); return; }
    item.uploaded.push(seq);
    await transact(["queue", "photos"], "readwrite", (tx) => {
      tx.objectStore("queue").put(item);
      tx.objectStore("photos").delete(key);
    });
  }
  item.state = "sent";
  item.sentAt = Date.now();
  await putItem(item);
  const sent = (await allItems()).filter((i) => i.state === "sent").sort((a, b) => b.sentAt - a.sentAt);
  for (const old of sent.slice(KEEP_SENT)) await dropItem(old);
}

function later(ms) {
  clearTimeout(timer);
  timer = setTimeout(flush, ms);
}

function showKeyProblem(count) {
  const note = $("key-note");
  note.dataset.state = "refused";
  note.textContent = `密钥被拒 (错误、过期或已停用): ${keyRefused}。${count} 份报告仍存本机, 未发送; 请输入有效密钥并点"使用" — ` +
    `the key was refused (wrong, expired or revoked); the ${count} reports stay on this phone, unsent, until a ` +
    "valid key is used.";
  setState("key", `密钥被拒, 暂停发送 key refused: sending stopped (${count} queued)`);
}

async function sendWaiting() {
  const waiting = (await allItems()).filter((i) => i.state === "waiting");
  if (!waiting.length) return;
  if (keyRefused) { showKeyProblem(waiting.length); return; }
  if (!sessionStorage.getItem(KEY)) {
    setState("key", `请输入密钥, ${waiting.length} 份报告待发送 — type your key to send the ${waiting.length} queued reports`);
    return;
  }
  try {
    for (const { id } of waiting) {
      sendingId = id;  // before reading it again: a discard from now on is refused
      const item = await getItem(id);
      if (!item || item.state !== "waiting") continue;
      render();
      await sendItem(item);
    }
    retryMs = CONFIG.retryMs;
    const refused = (await allItems()).filter((i) => i.state === "refused").length;
    if (refused) setState("refused", `${refused} 份被拒, 见下 — ${refused} refused, see below`);
    else setState("saved", "全部已送达 all sent");
  } catch (error) {
    if (error instanceof KeyRefused) {
      keyRefused = error.message;
      showKeyProblem(waiting.length);
      $("key").focus();
    } else if (error instanceof Retry) {
      const count = (await allItems()).filter((i) => i.state === "waiting").length;
      setState("queued", `已存本机, ${Math.round((error.afterMs || retryMs) / 1000)} 秒后重试 — kept on this phone ` +
        `(${count}), retrying: ${error.message}`);
      later(error.afterMs || retryMs);
      retryMs = Math.min(retryMs * 2, CONFIG.maxRetryMs);
    } else {
      throw error;
    }
  } finally {
    sendingId = null;
  }
}

// Sends the waiting reports in order, one tab of the phone at a time (Web Locks); the server keeps one
// observation per submission_id anyway.
async function flush() {
  clearTimeout(timer);
  if (flushing) return;
  flushing = true;
  try {
    if (navigator.locks) await navigator.locks.request("gaz-field-send", sendWaiting);
    else await sendWaiting();
  } finally {
    flushing = false;
    await render();
  }
}

// The typed key from now on; `again`: the refused key too (the button "Use": say, the office has restored it).
function useKey(again) {
  const key = $("key").value.trim();
  if (!key) return false;
  if (key !== sessionStorage.getItem(KEY) || again) {
    sessionStorage.setItem(KEY, key);
    keyRefused = "";
    retryMs = CONFIG.retryMs;
    const note = $("key-note");
    note.dataset.state = "idle";
    note.textContent = "已使用此密钥 key in use (this tab only)";
  }
  return true;
}

async function submit(event) {
  event.preventDefault();
  useKey(false);
  const status = document.querySelector("input[name=status]:checked");
  const body = {
    submission_id: newSubmissionId(), observed_on: $("observed").value,
    marker_id: Number($("marker").value), status: status ? status.value : null, notes: $("notes").value,
  };
  const x = $("x").value.trim(), y = $("y").value.trim();
  if (x || y) {
    if (!Number.isFinite(Number(x)) || !Number.isFinite(Number(y)) || !x || !y) {
      setState("refused", "坐标须为两个数字 coordinates must be two numbers"); return;
    }
    body.fix = { x: Number(x), y: Number(y), crs: $("crs").value };
  }
  const files = Array.from($("photos").files);
  for (const file of files) {
    if (!["image/jpeg", "image/png"].includes(file.type) || file.size > CONFIG.photoMaxBytes) {
      setState("refused", `${file.name}: 仅限 JPEG/PNG, ≤ ${CONFIG.photoMaxBytes} 字节 bytes`); return;
    }
  }
  const old = editing && (await getItem(editing.id));
  const kept = [];
  for (let seq = 1; old && seq <= old.photos; seq++) kept.push(await getPhoto(`${old.id}/${seq}`));
  const photos = [...kept.filter(Boolean), ...files.map((file) => ({ blob: file, type: file.type, name: file.name }))];
  const item = {
    id: body.submission_id, api: CONFIG.api, body, photos: photos.length, uploaded: [], sent: false,
    state: "waiting", error: null, result: null, created: Date.now(),
  };
  await transact(["queue", "photos"], "readwrite", (tx) => {
    if (old) {
      for (let seq = 1; seq <= old.photos; seq++) tx.objectStore("photos").delete(`${old.id}/${seq}`);
      tx.objectStore("queue").delete(old.id);
    }
    photos.forEach((photo, index) => tx.objectStore("photos").put(photo, `${item.id}/${index + 1}`));
    tx.objectStore("queue").put(item);
  });
  editing = null;
  $("editing").hidden = true;
  $("form").reset();
  $("observed").value = today();
  setState("queued", "已存本机 kept on this phone");
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
$("key-use").addEventListener("click", () => { if (useKey(true)) flush(); });
$("key").addEventListener("keydown", (event) => {
  if (event.key === "Enter") { event.preventDefault(); if (useKey(true)) flush(); }
});
window.addEventListener("online", flush);
if ("serviceWorker" in navigator) {
  // Scope /field/: the service worker answers for the form's pages and script only (static/sw.js).
  navigator.serviceWorker.register("/field/sw.js", { scope: "/field/" }).catch((error) => {
    setState("idle", "本页暂不能离线打开 this page cannot open offline yet: " + error.message);
  });
}
flush();
