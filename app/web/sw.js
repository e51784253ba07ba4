// Keeps the inspector page loading without a network. The server fills in the version (a hash of
// every page and static file) and the file list, so each release gets a fresh cache.
const VERSION = "__SHELL_VERSION__";
const CACHE = `cg-shell-${VERSION}`;
const SHELL = __SHELL_FILES__;
const NAVIGATION_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("cg-shell-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// Pages: the network when it answers in time (fresh code), else the cached shell.
async function page(request) {
  const cache = await caches.open(CACHE);
  const network = fetch(request).then((res) => {
    if (res.ok) cache.put(request, res.clone());
    return res;
  });
  const timeout = new Promise((resolve) => setTimeout(resolve, NAVIGATION_TIMEOUT_MS));
  try {
    const res = await Promise.race([network, timeout]);
    if (res) return res;
  } catch {
    // offline: fall through to the cache
  }
  const cached = await cache.match(request, { ignoreSearch: true });
  return cached || network;
}

// Static files: the versioned cache first; it only changes with a new service worker.
async function asset(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreSearch: true });
  if (cached) return cached;
  const res = await fetch(request);
  if (res.ok) cache.put(request, res.clone());
  return res;
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (event.request.mode === "navigate" && SHELL.includes(url.pathname)) {
    event.respondWith(page(event.request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(asset(event.request));
  }
  // Everything else (the API above all) goes to the network untouched.
});
