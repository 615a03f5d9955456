/* Campo's service worker keeps the app's files (the page keeps the API's data: api.js).
 * - Each file travels once: the first install takes it from the HTTP cache the page just filled
 *   (`force-cache`); afterwards it is served from here.
 * - Opening the app revalidates the files in the background, at most every REVALIDATE_MS, with
 *   conditional requests (ETag or Last-Modified); changed files replace the cached ones together.
 * - Server pages (/studies/…) and the guide (/docs/…): the network first, the last copy offline.
 *   Submissions: never here. */
const SHELL_CACHE = 'campo-shell-v2';
const PAGES_CACHE = 'campo-data-v1'; // the page's data cache: signing out deletes it
const KEEP = [SHELL_CACHE, PAGES_CACHE];
const REVALIDATE_MS = 10 * 60 * 1000;
const CHECKED = '/__campo-shell-checked';
// Every file of the app (a browser test checks that none is missing).
const SHELL = ['./', 'app.css', 'campo-plugin.js', 'manifest.webmanifest', 'icon.svg',
  'app.js', 'words.js', 'state.js', 'storage.js', 'api.js', 'outbox.js', 'dom.js', 'dialog.js',
  'pointer.js', 'relevance.js', 'numbers.js', 'schema.js', 'form-session.js', 'form-view.js',
  'screens/sign-in.js', 'screens/home.js', 'screens/form.js'];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const first = !(await caches.keys()).some((name) => name.startsWith('campo-shell-'));
    const cache = await caches.open(SHELL_CACHE);
    await Promise.all(SHELL.map(async (path) => {
      const response = await fetch(new Request(path, { cache: first ? 'force-cache' : 'no-cache' }));
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
      await cache.put(path, response);
    }));
    await cache.put(CHECKED, new Response(String(Date.now())));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (!KEEP.includes(name)) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/studies/') || url.pathname.startsWith('/docs/')) event.respondWith(networkFirst(request));
  else if (url.pathname.startsWith('/api/') || url.pathname === '/healthz') return;
  else if (request.mode === 'navigate') event.respondWith(app(event));
  else event.respondWith(shellFile(request));
});

/** The app's page from the cache (the network when there is none), then a background check. */
async function app(event) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match('./', { ignoreVary: true });
  event.waitUntil(revalidate(cache).catch(() => {}));
  return cached || fetch(event.request);
}

async function shellFile(request) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(request, { ignoreSearch: true, ignoreVary: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && response.type === 'basic') cache.put(request, response.clone());
  return response;
}

const validator = (r) => (r && (r.headers.get('ETag') || r.headers.get('Last-Modified'))) || null;

/** Asks the server whether any file changed (conditionally); replaces them all or none. */
async function revalidate(cache) {
  const checked = await cache.match(CHECKED);
  if (checked && Date.now() - Number(await checked.text()) < REVALIDATE_MS) return;
  await cache.put(CHECKED, new Response(String(Date.now())));
  const fresh = await Promise.all(SHELL.map(async (path) => {
    const response = await fetch(new Request(path, { cache: 'no-cache' }));
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    const old = await cache.match(path, { ignoreVary: true });
    const same = old && validator(old) !== null && validator(old) === validator(response);
    return same ? null : [path, response];
  }));
  for (const entry of fresh) if (entry) await cache.put(entry[0], entry[1]);
}

async function networkFirst(request) {
  try {
    const response = await fetch(request);
    if (response.ok) (await caches.open(PAGES_CACHE)).put(request.url, response.clone());
    else if (response.status >= 500) return (await caches.match(request.url)) || response;
    return response;
  } catch (e) {
    const cached = await caches.match(request.url);
    if (cached) return cached;
    throw e;
  }
}

/* Background Sync: wake an open page to send its outbox. */
self.addEventListener('sync', (event) => {
  if (event.tag !== 'campo-outbox') return;
  event.waitUntil(self.clients.matchAll({ type: 'window' }).then((clients) => {
    for (const client of clients) client.postMessage({ type: 'sync' });
  }));
});
