/* Hisab service worker: the app shell for when the box is unreachable (rebooting after a
   power cut). Static assets: network first, cache on failure. Pages: network first; the
   last copy of a page seen (the upload page above all) is shown when the box does not
   answer, so a photo can still be taken; app.js keeps it in IndexedDB until the box is
   back. The API is never cached or answered from here, and nothing is fetched from
   anywhere but the box. Bump VERSION when the shell changes: old caches are dropped. */
const VERSION = "v2";
const CACHE = `hisab-shell-${VERSION}`;
const ASSETS = ["/static/app.css", "/static/app.js", "/static/htmx.min.js", "/static/icon-192.png",
                "/static/icon-512.png", "/manifest.webmanifest"];
const PAGES = ["/", "/upload", "/reports"];  // pages worth keeping a copy of for offline start-up

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("hisab-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

function networkFirst(request, key, fallbackKey) {
  return fetch(request)
    .then((response) => {
      if (response.ok && !response.redirected && response.type === "basic") {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(key, copy));
      }
      return response;
    })
    .catch(() => caches.match(key).then((hit) => hit || (fallbackKey ? caches.match(fallbackKey) : undefined))
      .then((hit) => hit || new Response("The box cannot be reached. Check the Wi-Fi; the box may be restarting.",
        { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } })));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) {
    return;
  }
  if (url.pathname.startsWith("/static/") || url.pathname === "/manifest.webmanifest") {
    event.respondWith(networkFirst(request, url.pathname));
  } else if (request.mode === "navigate" && PAGES.includes(url.pathname) && !url.search) {
    event.respondWith(networkFirst(request, url.pathname, "/upload"));
  } else if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match("/upload").then((hit) => hit ||
      new Response("The box cannot be reached. Check the Wi-Fi; the box may be restarting.",
        { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } }))));
  }
});
