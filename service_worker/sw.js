// giamsat service worker. VERSION and PRECACHE_URLS are prepended by the server (backend/shell/controllers.py),
// so every change to a shell file makes a new worker version.
//
// - The app shell (CSS, JS, icons, the offline page, the manifest) is precached under a versioned cache and
//   served cache-first. The vendored files (htmx, the 1.1 MB barcode reader) carry their version in their names
//   (static/vendor/): they are kept in one unversioned cache, keyed by their content's hash (PINNED_URLS), and a
//   new worker fetches only those it has not got, so a deploy does not download them again on every device.
// - Pages are network-first; a copy of each page the officer opened is kept so it still opens offline;
//   a page never opened falls back to the offline page.
// - A new version installs and then WAITS: the page offers "update ready" and the worker takes over only
//   when the officer accepts (message SKIP_WAITING), never in the middle of work, and never while the device
//   queue holds commands or a replay runs (the new version may read the queue differently): it then waits for
//   the queue to drain (see SKIP_WAITING below).
// - The device queue (queue.js) is replayed when the worker starts, on a Background Sync `sync` event
//   (tag "giamsat-queue", where the browser has it) and on a {type: "SYNC"} message from a page.

/* global VERSION, PRECACHE_URLS, PINNED_URLS, MODULE_URLS, giamsatQueue, giamsatStore */
// The modules shared with pages: store.js (IndexedDB), serialize.js, queue.js. MODULE_URLS is prepended by the
// server with the same version as this file, so a change to a module is a new worker version too.
importScripts(...MODULE_URLS);

const SHELL_CACHE = "giamsat-shell-" + VERSION;
const PINNED_CACHE = "giamsat-pinned";
const PAGES_CACHE = "giamsat-pages";
// A vendored file's key in PINNED_CACHE: its URL and its content's hash (a file changed under the same name, by
// mistake, is fetched again all the same). PINNED_URLS maps the URL to the hash.
function pinnedKey(path) {
  return path + "?sha256=" + PINNED_URLS[path];
}
// Set when the officer accepted an update but this (old) worker has not been replaced yet: see RETIRE below.
let retiring = false;

self.addEventListener("install", (event) => {
  // cache: "reload" bypasses the browser's HTTP cache: static files carry Last-Modified and no max-age, so a
  // heuristically "fresh" copy of the previous version would otherwise be precached under the new version.
  const requests = PRECACHE_URLS.map((url) => new Request(url, { cache: "reload", credentials: "same-origin" }));
  event.waitUntil(Promise.all([
    caches.open(SHELL_CACHE).then((cache) => cache.addAll(requests)),
    caches.open(PINNED_CACHE).then(async (cache) => {
      const missing = [];
      for (const path of Object.keys(PINNED_URLS)) {
        if (!(await cache.match(pinnedKey(path)))) missing.push(path);
      }
      // Fetched by their plain URL, kept under their key; an old worker still in control keeps finding its own.
      await Promise.all(missing.map(async (path) => {
        const response = await fetch(new Request(path, { cache: "reload", credentials: "same-origin" }));
        if (!response.ok) throw new Error("could not precache " + path);
        await cache.put(pinnedKey(path), response);
      }));
    }),
  ]));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((name) => name.startsWith("giamsat-shell-") && name !== SHELL_CACHE).map((name) => caches.delete(name))
      ))
      .then(() => dropOldPinned())
      .then(() => self.clients.claim())
      // Not awaited: a replay can take a while, and fetches wait for the activation to finish. This covers a
      // worker the browser activated by itself (every tab closed) with entries still queued.
      .then(() => { replayIfActive(); })
  );
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "SKIP_WAITING") {
    event.waitUntil(skipWaitingWhenIdle(event.ports && event.ports[0]));
  } else if (data.type === "SYNC") {
    event.waitUntil(replayIfActive({ force: Boolean(data.force) }));
  } else if (data.type === "RETIRE") {
    // The new version waits for this worker to go idle before it activates, and Chromium can leave this worker
    // half-stopped meanwhile, its own fetches never answered. The page then reloads: while online, let the
    // browser load it straight from the network, so the reload cannot hang on this worker.
    retiring = true;
  } else if (data.type === "CLAIM") {
    // A page whose navigation started before this worker was active stays uncontrolled even after the
    // activate handler's claim(); it asks here. Never a takeover: only pages with no worker at all ask.
    event.waitUntil(self.clients.claim());
  } else if (data.type === "CLEAR_PAGES") {
    event.waitUntil(caches.delete(PAGES_CACHE));
  } else if (data.type === "CACHE_PAGE" && typeof data.url === "string") {
    // The page that registered the worker was loaded before the worker controlled it: keep a copy now.
    const url = new URL(data.url, self.location.origin);
    if (url.origin === self.location.origin) {
      event.waitUntil(fetch(url.pathname + url.search, { credentials: "same-origin" }).then((response) => keepPage(url.pathname + url.search, response)).catch(() => {}));
    }
  }
});

// The vendored files no version of the app in control needs any more (an upgraded library's old name).
async function dropOldPinned() {
  const cache = await caches.open(PINNED_CACHE);
  const wanted = new Set(Object.keys(PINNED_URLS).map((path) => new URL(pinnedKey(path), self.location.origin).href));
  const keys = await cache.keys();
  await Promise.all(keys.filter((request) => !wanted.has(request.url)).map((request) => cache.delete(request)));
}

function keepPage(key, response) {
  // Only real pages: not redirects (e.g. to sign-in), not errors.
  if (!response || !response.ok || response.redirected || response.type !== "basic") return Promise.resolve();
  return caches.open(PAGES_CACHE).then((cache) => cache.put(key, response));
}

// A whole page: a navigation, or an hx-boost request (answered with the full page). A plain hx-get of a
// fragment is not a page: kept under the page's URL it would later open offline without the shell.
function isPageRequest(request) {
  return request.mode === "navigate" || request.headers.get("HX-Boosted") === "true";
}

async function pageNetworkFirst(request) {
  const url = new URL(request.url);
  const key = url.pathname + url.search;
  try {
    const response = await fetch(request);
    keepPage(key, response.clone());
    return response;
  } catch (error) {
    const cached = await caches.match(key, { cacheName: PAGES_CACHE });
    if (cached) return cached;
    const offline = await caches.match("/offline", { cacheName: SHELL_CACHE });
    return offline || Response.error();
  }
}

async function shellCacheFirst(request) {
  const path = new URL(request.url).pathname;
  const cached = Object.prototype.hasOwnProperty.call(PINNED_URLS, path)
    ? await caches.match(pinnedKey(path), { cacheName: PINNED_CACHE })
    : await caches.match(request, { cacheName: SHELL_CACHE, ignoreSearch: true });
  return cached || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname === "/sw.js") return;
  if (retiring && self.navigator.onLine) return;
  if (url.pathname.startsWith("/static/") || url.pathname.startsWith("/sw/") || url.pathname === "/manifest.webmanifest") {
    event.respondWith(shellCacheFirst(request));
  } else if (isPageRequest(request) && !url.pathname.startsWith("/api/") && !url.pathname.startsWith("/auth/")) {
    event.respondWith(pageNetworkFirst(request));
  }
});

// --- the device queue ------------------------------------------------------------------------------------------

// Only the active worker replays: a new version waiting (or installing) must not send commands while the old
// version still controls the pages. (self.serviceWorker is the worker's own object; older browsers lack it.)
function isActive() {
  return !self.serviceWorker || self.serviceWorker.state === "activated" || self.serviceWorker.state === "activating";
}

function replayIfActive(options) {
  if (!isActive()) return Promise.resolve({ skipped: true });
  return giamsatQueue.replay(options).catch((error) => {
    console.warn("giamsat: replay failed", error);
    return { error: "internal" };
  });
}

// Every start of the worker (the browser starts it for a page load, a message, a sync event...). iPhones have no
// Background Sync: this and the pages' own triggers are what send the queue there.
replayIfActive();

self.addEventListener("sync", (event) => {
  if (event.tag !== "giamsat-queue") return;
  // A rejected promise asks the browser to try again later (with its own back-off).
  event.waitUntil(replayIfActive().then((summary) => {
    if (summary.error) throw new Error("giamsat: queue not sent (" + summary.error + "), retrying later");
  }));
});

// A new version takes over only when the device queue is empty and no replay runs. Otherwise it tells the page
// (which says "will update after sync") and waits: it takes over by itself if it hears the queue drain while it
// is still running, and the page asks again whenever a replay ends with an empty queue (a waiting worker may be
// stopped by the browser meanwhile).
let skipWhenDrained = false;
let drainListener = null;

// Asked by the waiting worker: it reads the queue without upgrading the database (see store.js).
async function queueBusy() {
  return (await giamsatStore.countWithoutUpgrade("queue")) > 0 || (await giamsatQueue.syncing());
}

async function skipWaitingWhenIdle(port) {
  const answer = (type) => { if (port) port.postMessage({ type }); };
  if (await queueBusy()) {
    skipWhenDrained = true;
    listenForDrain();
    answer("UPDATE_DEFERRED");
    return;
  }
  answer("UPDATE_ACCEPTED");
  await self.skipWaiting();
}

function listenForDrain() {
  if (drainListener || typeof BroadcastChannel === "undefined") return;
  drainListener = new BroadcastChannel(giamsatQueue.CHANNEL);
  drainListener.onmessage = (event) => {
    const message = event.data || {};
    if (!skipWhenDrained || message.kind !== "idle" || message.queued !== 0) return;
    queueBusy().then((busy) => {
      if (busy || !skipWhenDrained) return;
      skipWhenDrained = false;
      drainListener.close();
      drainListener = null;
      self.skipWaiting();
    });
  };
}

// --- notifications (backend/push) ------------------------------------------------------------------------------

// The payload carries kinds and counts only (never an item's contents); without one (a push service may drop it)
// the notification still says that something waits.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = {};
  }
  const title = data.title || "giamsat";
  const body = data.body || "Có việc chờ quyết định · Something waits for a decision";
  event.waitUntil(self.registration.showNotification(title, {
    body,
    tag: data.tag || "giamsat-inbox",
    renotify: true,
    data: { url: data.url || "/inbox" },
    icon: "/static/icons/icon-192.png",
  }));
});

// A tap opens the inbox: in a window of the app already open when there is one, else a new one. Same-origin only.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/inbox", self.location.origin);
  if (target.origin !== self.location.origin) return;
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
    const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
    // navigate() is refused for a window this worker does not control: a new window then.
    if (open) return open.focus().then((client) => (client || open).navigate(target.href)).catch(() => self.clients.openWindow(target.href));
    return self.clients.openWindow(target.href);
  }));
});
