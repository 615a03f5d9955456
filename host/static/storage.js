/* Responses on this phone, in IndexedDB (drafts, the outbox, what was sent or not accepted):
 * { id, study, form, version, case?, answers (the draft), sent (what finalizing sends), status:
 * draft | queued | sent | refused, refusal?, correction?, receipt?, summary?, … }.
 * The journal: the open draft, written synchronously to localStorage when the page is hidden or
 * closed (an IndexedDB write may not finish then), folded back in on the next start. */

const db = new Promise((resolve, reject) => {
  const open = indexedDB.open('campo', 1);
  open.onupgradeneeded = () => open.result.createObjectStore('responses', { keyPath: 'id' });
  open.onsuccess = () => resolve(open.result);
  open.onerror = () => reject(open.error);
});

async function tx(mode, fn) {
  const conn = await db;
  return new Promise((resolve, reject) => {
    const transaction = conn.transaction('responses', mode);
    const req = fn(transaction.objectStore('responses'));
    transaction.oncomplete = () => resolve(req.result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

export const responses = {
  all: () => tx('readonly', (s) => s.getAll()),
  get: (id) => tx('readonly', (s) => s.get(id)),
  put: (r) => tx('readwrite', (s) => s.put({ ...r, updated: Date.now() })),
  remove: (id) => tx('readwrite', (s) => s.delete(id)),
};

const JOURNAL = 'campo.journal';

/** Writes the open draft where a closing page cannot lose it (synchronous). */
export function journal(record) {
  try {
    localStorage.setItem(JOURNAL, JSON.stringify({ ...record, updated: Date.now() }));
  } catch (_) { /* full: the IndexedDB copy is a few hundred ms older */ }
}

export function clearJournal(id) {
  const kept = readJournal();
  if (kept && (!id || kept.id === id)) localStorage.removeItem(JOURNAL);
}

function readJournal() {
  try {
    return JSON.parse(localStorage.getItem(JOURNAL) || 'null');
  } catch (_) {
    return null;
  }
}

/** Folds a journalled draft into IndexedDB when it is newer than the stored record. */
export async function recoverJournal() {
  const kept = readJournal();
  if (!kept || !kept.id) return;
  const stored = await responses.get(kept.id);
  if (!stored || ((stored.status === 'draft' || stored.status === 'refused') && (stored.updated || 0) < kept.updated)) {
    await tx('readwrite', (s) => s.put(kept));
  }
  clearJournal(kept.id);
}
