/* The server's API, with the Cache API as the offline copy. The page keeps its own copies
 * (DATA_CACHE); the service worker keeps only the app's files.
 * - What changes (studies, the caller's work and roles): the network first, the copy offline.
 * - What never changes under its address (a form version, a plugin by its sha256): the copy
 *   first, so each is fetched once per phone. */
import { state, rememberMe } from './state.js';

export const DATA_CACHE = 'campo-data-v1';

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export const auth = () => ({ Authorization: 'Bearer ' + state.token });

export const studyPath = (study) => `/api/v1/studies/${encodeURIComponent(study)}`;
export const formPath = (study, form) => `${studyPath(study)}/forms/${encodeURIComponent(form)}`;
export const versionPath = (study, form, version) => `${formPath(study, form)}/versions/${encodeURIComponent(version)}`;
export const pluginPath = (hash) => `/api/v1/plugins/${hash}`;

const inFlight = new Map();

async function keep(path, response) {
  try {
    await (await caches.open(DATA_CACHE)).put(path, response);
  } catch (_) { /* no Cache API (private mode): online only */ }
}

async function read(response, as) {
  return as === 'bytes' ? new Uint8Array(await response.arrayBuffer()) : response.json();
}

/** GET with the network first and the kept copy when offline (or when the server fails);
 * concurrent calls for one path share one request. */
export function get(path, as = 'json') {
  const key = `${as} ${path}`;
  if (!inFlight.has(key)) {
    inFlight.set(key, (async () => {
      let response;
      try {
        response = await fetch(path, { headers: auth() });
      } catch (e) {
        response = await caches.match(path, { ignoreVary: true });
        if (!response) throw e;
        return read(response, as);
      }
      if (!response.ok) {
        const cached = response.status >= 500 ? await caches.match(path, { ignoreVary: true }) : null;
        if (!cached) throw new ApiError(response.status, await response.json().catch(() => null));
        return read(cached, as);
      }
      await keep(path, response.clone());
      return read(response, as);
    })().finally(() => inFlight.delete(key)));
  }
  return inFlight.get(key);
}

/** GET of something immutable: the kept copy, else the network (once). */
export async function getImmutable(path, as = 'json') {
  const cached = await caches.match(path, { ignoreVary: true }).catch(() => null);
  if (cached) return read(cached, as);
  return get(path, as);
}

/** Keeps `value` as the copy of `path` (a document fetched under another address). */
export async function keepJson(path, value) {
  await keep(path, new Response(JSON.stringify(value), { headers: { 'Content-Type': 'application/json' } }));
}

export async function loadStudies() {
  const { studies } = await get('/api/v1/studies');
  return Promise.all(studies.map((s) => get(studyPath(s.id))));
}

let meAt = 0;

/** The caller's roles (GET /api/v1/me), kept for offline use; asked again after `maxAge` ms. */
export async function loadMe({ maxAge = 0 } = {}) {
  if (state.me && Date.now() - meAt < maxAge) return state.me;
  const me = await get('/api/v1/me');
  rememberMe(me);
  meAt = Date.now();
  return me;
}

/** The enumerator's cases and returned responses in a study; null for callers without work there. */
export const loadWork = (study) => get(`${studyPath(study)}/work`).catch(() => null);

/** A form version (immutable). */
export const loadVersion = (study, form, version) => getImmutable(versionPath(study, form, version));

/** A plugin's module (immutable, named by its sha256). */
export const loadPlugin = (hash) => getImmutable(pluginPath(hash), 'bytes');

/** Everything a form needs offline: its latest version and that version's logic plugin, each
 * fetched at most once per phone. */
export async function warmForms(studies) {
  await Promise.all(studies.flatMap((study) => study.forms.map(async (form) => {
    const version = await loadVersion(study.id, form.id, form.latest_version);
    if (version.logic_plugin) await loadPlugin(version.logic_plugin);
  })));
}

export async function forgetData() {
  await caches.delete(DATA_CACHE).catch(() => {});
}
