/* The relevance rule, written once for the browser (sdk/vectors/relevance.json states it and
 * holds the cases that the SDK, the server and these functions all run):
 * - a question is hidden when it, or a group or repeat item that encloses it, is not relevant
 *   (its JSON Pointer, or a prefix of it ending at a '/', has `relevant: false` in the logic
 *   result's fields); questions the result does not mention are relevant;
 * - what is finalized and sent keeps every answer that is not hidden: hidden answers are left
 *   out, a group left with no answers by that is left out too, repeat items always stay.
 * The draft keeps hidden answers (they come back when the question is relevant again); only
 * what is sent leaves them out. Pure functions: Node loads this module as the page does. */
import { esc, getAt, isObject, setAt, deleteAt, clone } from './pointer.js';

/** Whether the question at pointer `p` is hidden by the logic result's `fields`. */
export function hidden(p, fields = {}) {
  const off = (q) => Object.prototype.hasOwnProperty.call(fields, q) && fields[q] && fields[q].relevant === false;
  if (off(p)) return true;
  for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) {
    if (off(p.slice(0, i))) return true;
  }
  return false;
}

/** The answers without the hidden ones: what is finalized and sent. `answers` is not changed. */
export function kept(answers, fields = {}) {
  const walk = (value, p) => {
    if (Array.isArray(value)) {
      const out = [];
      value.forEach((item, i) => {
        const ip = `${p}/${i}`;
        if (isObject(item)) out.push(hidden(ip, fields) ? {} : walk(item, ip) ?? {});
        else if (!hidden(ip, fields)) out.push(item);
      });
      return out;
    }
    if (isObject(value)) {
      const out = {};
      let dropped = false;
      for (const [k, v] of Object.entries(value)) {
        const kp = `${p}/${esc(k)}`;
        if (hidden(kp, fields)) { dropped = true; continue; }
        const w = walk(v, kp);
        if (w === undefined) dropped = true;
        else out[k] = w;
      }
      // A group emptied by hidden answers is left out; one that was empty already stays.
      return dropped && Object.keys(out).length === 0 ? undefined : out;
    }
    return value;
  };
  return walk(answers || {}, '') ?? {};
}

/** What the app sends for a draft under a logic result: the draft with the logic's computed
 * values in place (they replace whatever was there, as on the server), hidden answers left out. */
export function sendable(answers, logic = {}) {
  const withComputed = clone(answers || {});
  for (const [p, v] of Object.entries(logic.computed || {})) {
    if (v === null) deleteAt(withComputed, p);
    else if (canSet(withComputed, p)) setAt(withComputed, p, clone(v));
  }
  return kept(withComputed, logic.fields || {});
}

/** A computed value may create groups on its way, never a repeat item (the server refuses that). */
function canSet(answers, p) {
  const segs = p.split('/').slice(1);
  let v = answers;
  for (let i = 0; i < segs.length - 1; i++) {
    if (Array.isArray(v)) {
      if (!/^\d+$/.test(segs[i]) || Number(segs[i]) >= v.length) return false;
    }
    v = v === undefined || v === null ? undefined : v[segs[i].replace(/~1/g, '/').replace(/~0/g, '~')];
    if (v === undefined) return !segs.slice(i + 1, -1).some((s) => /^\d+$/.test(s));
  }
  return true;
}
