/* JSON Pointers (RFC 6901) into a response's answers: the address of every question. Pure
 * functions, no DOM: the page, the worker-free Node tests and the form session share them. */

export const esc = (s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1');
export const pointer = (segs) => segs.map((s) => '/' + esc(s)).join('');
export const segments = (p) => (!p ? [] : p.replace(/^\//, '').split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')));
export const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
export const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
export const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isIndex = (s) => /^\d+$/.test(s);

export function getAt(obj, p) {
  let v = obj;
  for (const s of segments(p)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = v[s];
  }
  return v;
}

/** Sets `value` at `p`, creating groups on the way (and repeats, when the next segment is an index). */
export function setAt(obj, p, value) {
  const segs = segments(p);
  let v = obj;
  segs.forEach((s, i) => {
    if (i === segs.length - 1) { v[s] = value; return; }
    if (v[s] === null || typeof v[s] !== 'object') v[s] = isIndex(segs[i + 1]) ? [] : {};
    v = v[s];
  });
}

/** Removes the value at `p` (a repeat item is spliced out); true when there was one. */
export function deleteAt(obj, p) {
  const segs = segments(p);
  const last = segs.pop();
  const parent = getAt(obj, pointer(segs));
  if (parent === null || typeof parent !== 'object' || !(last in parent)) return false;
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete parent[last];
  return true;
}

/** An answer that says nothing: absent, null, blank, an empty list or a group with nothing in it. */
export const isEmpty = (v) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '') ||
  (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.values(v).every(isEmpty));

/** Clears the answer at `p`, then the groups and repeats it leaves empty, up the tree; a
 * repeat item stays, even empty, since its position is its identity. */
export function clearAt(obj, p) {
  deleteAt(obj, p);
  const segs = segments(p);
  for (let i = segs.length - 1; i > 0; i--) {
    if (isIndex(segs[i - 1])) return;
    const up = pointer(segs.slice(0, i));
    const v = getAt(obj, up);
    if (v === null || typeof v !== 'object' || Object.keys(v).length > 0) return;
    deleteAt(obj, up);
  }
}
