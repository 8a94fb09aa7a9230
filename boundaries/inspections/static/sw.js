// The field form's service worker, registered with scope /field/ (the form's pages and its script, nothing else:
// the API is not touched — reports wait in the page's IndexedDB queue). Network first, so a form opened with a
// signal is the current one (markers, campaign); the last copy when the network fails or is slower than
// NETWORK_WAIT_MS. The server writes the version (a digest of form.js and this file) into CACHE.
"use strict";
const CACHE = "gaz-field-__VERSION__";
const SCOPE = new URL("./", self.location.href).pathname;
const SCRIPT = SCOPE + "form.js";
const NETWORK_WAIT_MS = 5000;

function formPage(url) {
  return url.origin === self.location.origin && url.pathname.startsWith(SCOPE + "inspections/");
}

// The script, and the form pages already open or kept by the previous version, so the first visit is enough.
async function install() {
  const cache = await caches.open(CACHE);
  await cache.add(SCRIPT);
  const open = (await self.clients.matchAll({ includeUncontrolled: true, type: "window" }))
    .map((client) => new URL(client.url)).filter(formPage).map((url) => url.pathname);
  const kept = [];
  for (const name of await caches.keys()) {
    if (name.startsWith("gaz-field-") && name !== CACHE) {
      for (const request of await (await caches.open(name)).keys()) kept.push(new URL(request.url).pathname);
    }
  }
  await Promise.all([...new Set([...open, ...kept])].filter((path) => path !== SCRIPT)
    .map((path) => cache.add(path).catch(() => undefined)));  // a campaign gone from the server is not kept
  await self.skipWaiting();
}

async function activate() {
  for (const name of await caches.keys()) {
    if (name.startsWith("gaz-field-") && name !== CACHE) await caches.delete(name);
  }
  await self.clients.claim();
}

async function answer(event) {
  const cache = await caches.open(CACHE);
  const network = fetch(event.request).then(async (response) => {
    if (response.ok) await cache.put(event.request, response.clone());
    return response;
  });
  event.waitUntil(network.catch(() => undefined));
  const kept = await cache.match(event.request, { ignoreSearch: true, ignoreVary: true });
  if (!kept) return network;
  const wait = new Promise((resolve) => setTimeout(() => resolve(kept), NETWORK_WAIT_MS));
  return Promise.race([network.catch(() => kept), wait]);
}

self.addEventListener("install", (event) => event.waitUntil(install()));
self.addEventListener("activate", (event) => event.waitUntil(activate()));
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method === "GET" && (formPage(url) || url.pathname === SCRIPT)) {
    event.respondWith(answer(event));
  }
});
