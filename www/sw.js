// Offline after the first visit: every asset of the tutorial is served from this cache first, and refreshed
// from the network when it can be (so a new build replaces the old one on the next visit).
const CACHE = 'franz-tutorial';
// Every file of the built site (scripts/build-site.sh fills the list in: the wasm module's snippets have hashed
// paths). The page itself is './'.
const ASSETS = ['./', ...(/*ASSETS*/[])];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(ASSETS)).then(() => self.skipWaiting()));
});
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (e) => {
  if (e.request.method !== 'GET' || new URL(e.request.url).origin !== location.origin) return;
  e.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const cached = await cache.match(e.request, { ignoreSearch: true });
      const fresh = fetch(e.request)
        .then((r) => {
          if (r.ok) cache.put(e.request, r.clone());
          return r;
        })
        .catch(() => cached);
      return cached ?? fresh;
    }),
  );
});
