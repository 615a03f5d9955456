/* Campo's service worker: the app works offline after one online visit.
 * - The app's own files: served from the cache at once and refreshed in the background, so an
 *   enumerator in the field never waits on the network to open the app.
 * - Plugins (/api/v1/plugins/{sha256}): immutable, cached forever.
 * - Studies, form versions and the enumerator's work (cases, responses sent back): network
 *   first, the cached copy when offline. Server pages (/studies/…/dashboard) the same way.
 * Submissions are never cached or replayed here: the page's outbox (IndexedDB) owns them. */
const SHELL_CACHE = 'campo-shell-v1';
const DATA_CACHE = 'campo-data-v1';
const SHELL = ['./', 'index.html', 'app.css', 'app.js', 'form.js', 'campo-plugin.js', 'manifest.webmanifest', 'icon.svg'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== SHELL_CACHE && name !== DATA_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/v1/plugins/')) event.respondWith(cacheFirst(request));
  else if (url.pathname.startsWith('/api/v1/studies')) event.respondWith(networkFirst(request));
  // Server pages (the dashboard): the network first, the last copy offline; never the app shell.
  else if (url.pathname.startsWith('/studies/')) event.respondWith(networkFirst(request));
  else if (!url.pathname.startsWith('/api/') && url.pathname !== '/healthz') event.respondWith(shell(request, event));
});

async function cacheFirst(request) {
  const cached = await caches.match(request.url);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(DATA_CACHE)).put(request.url, response.clone());
  return response;
}

async function networkFirst(request) {
  try {
    const response = await fetch(request);
    if (response.ok) (await caches.open(DATA_CACHE)).put(request.url, response.clone());
    else if (response.status >= 500) return (await caches.match(request.url)) || response;
    return response;
  } catch (e) {
    const cached = await caches.match(request.url);
    if (cached) return cached;
    throw e;
  }
}

async function shell(request, event) {
  const key = request.mode === 'navigate' ? './' : request.url;
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(key, { ignoreSearch: true });
  const refresh = fetch(request).then((response) => {
    if (response.ok && response.type === 'basic') cache.put(key, response.clone());
    return response;
  });
  if (cached) {
    event.waitUntil(refresh.catch(() => {}));
    return cached;
  }
  return refresh;
}

/* Background Sync: wake an open page to send its outbox. */
self.addEventListener('sync', (event) => {
  if (event.tag !== 'campo-outbox') return;
  event.waitUntil(self.clients.matchAll({ type: 'window' }).then((clients) => {
    for (const client of clients) client.postMessage({ type: 'sync' });
  }));
});
