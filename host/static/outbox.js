/* The outbox: finalized responses (status "queued") sent with retries and backoff, each under its
 * client UUID (a retry is stored once). A refusal is never a dead end: the response goes back,
 * editable, with the server's reason in Spanish and English, and can be saved to a file. */
import { state } from './state.js';
import { responses } from './storage.js';
import { auth, formPath, loadMe } from './api.js';
import { t, both } from './words.js';

const BACKOFF_MS = [2000, 5000, 15000, 30000, 60000, 120000, 300000];
let timer = null;

/** Tells the screens; `changed`: a response changed state (sent, refused, removed). */
const announce = (changed = false) => window.dispatchEvent(new CustomEvent('campo:outbox', { detail: { changed } }));

/** Sends every finalized response that is due (`now`: all of them, backoff or not). */
export async function sync({ now = false } = {}) {
  if (state.syncing || !state.token) return;
  state.syncing = true;
  announce();
  let tried = 0;
  try {
    const queued = (await responses.all()).filter((r) => r.status === 'queued');
    for (const r of queued) {
      if (!now && (r.nextAttemptAt || 0) > Date.now()) continue;
      tried++;
      await send(r);
      if (state.authProblem) break;
    }
  } finally {
    state.syncing = false;
    schedule();
    announce(tried > 0);
  }
}

/** A refusal's reason, in both languages, from the server's error body. */
function reason(status, body, r) {
  if (status === 409 && !r.correction) return { ...both('conflict'), status };
  if (status === 403) {
    const own = both('forbidden');
    return { es: `${own.es} (${(body && body.message) || 'HTTP 403'})`, en: `${own.en} (${(body && (body.message_en || body.message)) || 'HTTP 403'})`, status };
  }
  return { es: (body && body.message) || `HTTP ${status}`, en: (body && (body.message_en || body.message)) || `HTTP ${status}`, status };
}

/** A submission is POSTed; a correction of a response sent back is PUT over it (a new revision). */
async function send(r) {
  let response;
  let body = null;
  const submissions = formPath(r.study, r.form) + '/submissions';
  try {
    response = await fetch(r.correction ? `${submissions}/${encodeURIComponent(r.id)}` : submissions, {
      method: r.correction ? 'PUT' : 'POST',
      headers: { ...auth(), 'Content-Type': 'application/json' },
      body: JSON.stringify(r.correction ? { answers: r.sent ?? r.answers, version: r.version }
        : { id: r.id, answers: r.sent ?? r.answers, version: r.version, case: r.case, started_at: r.startedAt, completed_at: r.completedAt }),
    });
    body = await response.json().catch(() => null);
  } catch (e) {
    return retryLater(r, e instanceof TypeError ? t('offline') : String(e.message || e));
  }
  if (response.status === 409 && r.correction) {
    // A PUT is not idempotent: if the answer to an earlier try was lost, the correction is
    // stored already and the response is no longer sent back.
    const stored = await fetch(`${submissions}/${encodeURIComponent(r.id)}/revisions`, { headers: auth() })
      .then((x) => (x.ok ? x.json() : null)).catch(() => null);
    const last = stored && stored.revisions[stored.revisions.length - 1];
    if (last && last.revision > r.correction.revision) return sent(r, { revision: last.revision, scores: last.scores });
  }
  if (response.status === 200 || response.status === 201) return sent(r, body);
  if (response.status === 401) {
    // The token or session expired: true of every response, so the outbox waits for a new sign-in.
    state.authProblem = true;
    return retryLater(r, t('sign_again'));
  }
  // A 403: the caller's roles changed since the app last asked; the screens follow the new ones.
  if (response.status === 403) await loadMe().catch(() => null);
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
    // Refused for what it is (403: this role does not submit; 422: the answers): back to the
    // enumerator, editable, with the reason; never retried as is.
    return responses.put({ ...r, status: 'refused', errors: (body && body.errors) || [], refusal: reason(response.status, body, r), lastError: null });
  }
  return retryLater(r, `HTTP ${response.status}`);
}

function sent(r, receipt) {
  state.authProblem = false;
  return responses.put({ ...r, status: 'sent', receipt, errors: [], lastError: null, sentAt: Date.now() });
}

function retryLater(r, why) {
  const attempts = (r.attempts || 0) + 1;
  const base = BACKOFF_MS[Math.min(attempts - 1, BACKOFF_MS.length - 1)];
  const delay = Math.round(base * (0.8 + Math.random() * 0.4));
  return responses.put({ ...r, attempts, nextAttemptAt: Date.now() + delay, lastError: why });
}

/** Wakes up for the next response that is due. */
export async function schedule() {
  clearTimeout(timer);
  const queued = (await responses.all()).filter((r) => r.status === 'queued');
  if (!queued.length || state.authProblem) return;
  const due = Math.min(...queued.map((r) => r.nextAttemptAt || 0));
  timer = setTimeout(() => sync(), Math.max(0, due - Date.now()) + 50);
}

/** Puts a finalized response in the outbox and tries to send it at once. */
export async function enqueue(record) {
  await responses.put({ ...record, status: 'queued', errors: [], refusal: null, attempts: 0, nextAttemptAt: 0,
    finalizedAt: Date.now(), completedAt: new Date().toISOString() });
  if (navigator.serviceWorker && navigator.serviceWorker.ready) {
    navigator.serviceWorker.ready.then((reg) => reg.sync && reg.sync.register('campo-outbox')).catch(() => {});
  }
  sync({ now: true });
}

/** Saves a response as a JSON file (a refused one, or any): the enumerator keeps it whatever happens. */
export function saveToFile(r) {
  const file = { id: r.id, study: r.study, form: r.form, version: r.version, case: r.case || null, status: r.status,
    answers: r.sent || r.answers, draft: r.answers, refusal: r.refusal || null, errors: r.errors || [],
    started_at: r.startedAt || null, completed_at: r.completedAt || null, saved_at: new Date().toISOString() };
  const url = URL.createObjectURL(new Blob([JSON.stringify(file, null, 2)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `campo-${r.study}-${r.form}-${r.id}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
