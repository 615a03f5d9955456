/* A response being filled: the draft (every answer given, to hidden questions too: they come back
 * when relevant again) and the logic plugin's view of it. What finalizing sends (`sent`) is the
 * draft with computed values in place and hidden answers left out (relevance.js), evaluated until
 * stable, so the app shows the logic result the server computes for what it receives. Computed
 * values are never kept in the draft. No DOM: Node's tests run it with a stub logic. */
import { clone, same, getAt, setAt, clearAt, isEmpty, isObject, pointer, segments, esc } from './pointer.js';
import { hidden as hiddenBy, sendable } from './relevance.js';
import { kindOf, pagesOf, schemaAt, choicesOf, checkValue, MSG, relatedPointer, orderKey, compareOrder } from './schema.js';

const NO_LOGIC = { fields: {}, computed: {}, issues: [] };
const ROUNDS = 8;

/** The draft without computed (readOnly) values: the logic derives them again. */
function withoutComputed(schema, answers) {
  const walk = (s, v) => {
    if (!s || !isObject(v)) return;
    for (const [k, c] of Object.entries(s.properties || {})) {
      if (!(k in v)) continue;
      if (c.readOnly) delete v[k];
      else if (kindOf(c) === 'group') walk(c, v[k]);
      else if (kindOf(c) === 'repeat' && Array.isArray(v[k])) v[k].forEach((item) => walk(c.items, item));
    }
  };
  walk(schema, answers);
  return answers;
}

export class FormSession {
  /** version: the form version document; evaluate(answers) runs the logic plugin. */
  constructor({ version, answers, serverErrors, evaluate, onUpdate, onBusy }) {
    this.version = version;
    this.schema = version.schema;
    this.pages = pagesOf(this.schema);
    this.answers = withoutComputed(this.schema, clone(isObject(answers) ? answers : {}));
    this.logic = NO_LOGIC; // the logic result for `sent`
    this.sent = clone(this.answers);
    this.serverErrors = serverErrors || [];
    this.localErrors = {}; // pointer -> message, for input that is not a value (e.g. "12a")
    this.evaluateLogic = evaluate;
    this.onUpdate = onUpdate || (() => {});
    this.onBusy = onBusy || (() => {});
    this.rev = 0;
    this.dirty = false;
    this.running = null;
    this.deciding = new Set(); // choices being decided (previewed, maybe confirmed) before they count
    this.failure = null;
  }

  schemaAt(p) {
    return schemaAt(this.schema, p);
  }

  field(p) {
    return this.logic.fields[p] || {};
  }

  /** Hidden: the question, or a group or repeat item around it, is not relevant. */
  hidden(p, logic = this.logic) {
    return hiddenBy(p, logic.fields);
  }

  required(p) {
    return !!this.field(p).required && !this.hidden(p);
  }

  /** The answer shown at `p`: the draft's, or for a computed question the logic's value now. */
  value(p) {
    const s = this.schemaAt(p);
    if (s && s.readOnly) return getAt(this.sent, p);
    return getAt(this.answers, p);
  }

  /** What finalizing sends now (call after idle()). */
  finalAnswers() {
    return clone(this.sent);
  }

  /** Records an answer (undefined clears it) and re-evaluates. */
  set(p, value) {
    this.apply(this.answers, p, value);
    this.serverErrors = this.serverErrors.filter((e) => !(e.path === p || e.path.startsWith(p + '/')));
    return this.changed();
  }

  apply(answers, p, value) {
    if (value === undefined || isEmpty(value)) clearAt(answers, p);
    else setAt(answers, p, clone(value));
  }

  /** Adds an empty item to the repeat at `p`; returns its index. */
  addItem(p) {
    const items = Array.isArray(getAt(this.answers, p)) ? getAt(this.answers, p) : [];
    items.push({});
    setAt(this.answers, p, items);
    this.changed();
    return items.length - 1;
  }

  /** Removes the repeat item at `p` (its answers with it): only on the enumerator's word. */
  removeItem(p) {
    const segs = segments(p);
    const index = Number(segs.pop());
    const repeat = pointer(segs);
    const items = getAt(this.answers, repeat);
    if (!Array.isArray(items) || index >= items.length) return this.changed();
    items.splice(index, 1);
    if (!items.length) clearAt(this.answers, repeat);
    this.serverErrors = [];
    return this.changed();
  }

  changed() {
    this.rev++;
    this.dirty = true;
    if (!this.running) this.running = this.loop();
    return this.running;
  }

  /** Resolves when no evaluation, and no choice being decided, is pending. */
  async idle() {
    while (this.running || this.deciding.size) {
      await Promise.allSettled([this.running, ...this.deciding]);
    }
  }

  /** Counts `promise` (a choice being decided) as work in progress for idle(). */
  track(promise) {
    this.deciding.add(promise);
    promise.finally(() => this.deciding.delete(promise)).catch(() => {});
    return promise;
  }

  async loop() {
    this.onBusy(true);
    try {
      while (this.dirty) {
        this.dirty = false;
        const rev = this.rev;
        const outcome = await this.settle(this.answers);
        if (rev !== this.rev) continue; // the enumerator changed something meanwhile: again
        if (outcome.failure) this.failure = outcome.failure;
        else Object.assign(this, { logic: outcome.logic, sent: outcome.sent, failure: null });
        this.onUpdate(this);
      }
    } finally {
      this.running = null;
      this.onBusy(false);
    }
  }

  /** Runs the logic until what would be sent is stable: the logic on the draft's sendable
   * answers, computed values applied and hidden answers left out, then the logic again. */
  async settle(draft, start = this.logic) {
    const answers = clone(draft);
    let input = sendable(answers, start);
    let logic = null;
    let out = input;
    for (let round = 0; round < ROUNDS; round++) {
      let raw;
      try {
        raw = await this.evaluateLogic(clone(input));
      } catch (e) {
        return { failure: e };
      }
      logic = { ...raw, fields: (raw && raw.fields) || {}, computed: (raw && raw.computed) || {}, issues: (raw && raw.issues) || [] };
      out = sendable(answers, logic);
      if (same(out, input)) break;
      input = out;
    }
    return { logic, sent: out };
  }

  /** What the logic would say if `p` were answered `value` (the draft is not changed). */
  async preview(p, value) {
    const draft = clone(this.answers);
    this.apply(draft, p, value);
    return { ...(await this.settle(draft)), draft };
  }

  /** Answered questions that are hidden under `logic`: kept in the draft, not sent. */
  keptHidden(logic = this.logic, answers = this.answers) {
    const out = [];
    const walk = (v, p) => {
      if (p && this.hidden(p, logic)) {
        if (!isEmpty(v)) out.push(p);
        return;
      }
      if (Array.isArray(v)) v.forEach((item, i) => { if (isObject(item)) walk(item, `${p}/${i}`); });
      else if (isObject(v)) for (const [k, c] of Object.entries(v)) walk(c, `${p}/${esc(k)}`);
    };
    walk(answers, '');
    return out;
  }

  /** Questions an enumerator answers (computed ones left out), in order; a repeat counts once. */
  askable() {
    const out = [];
    const walk = (s, segs) => {
      for (const [k, c] of Object.entries(s.properties || {})) {
        const kind = kindOf(c);
        if (kind === 'computed') continue;
        if (kind === 'group') walk(c, segs.concat(k));
        else out.push(pointer(segs.concat(k)));
      }
    };
    walk(this.schema, []);
    return out;
  }

  /** Whether every question after `p` (in questionnaire order) is hidden under `logic`. */
  nothingAfter(p, logic) {
    const key = orderKey(this.schema, p);
    const later = this.askable().filter((q) => compareOrder(orderKey(this.schema, q), key) > 0);
    return later.length > 0 && later.every((q) => this.hidden(q, logic));
  }

  /** Whether answering `p` with `value` ends the interview: every question after it hidden,
   * where the answer in force, or another of its choices, would ask more. */
  async endsInterview(p, value) {
    if (same(value, this.value(p))) return false;
    const after = await this.preview(p, value);
    if (!after.logic || !this.nothingAfter(p, after.logic)) return false;
    if (!this.nothingAfter(p, this.logic)) return after;
    const others = this.choicesAt(p).filter((c) => !same(c.code, value)).slice(0, 12);
    for (const c of others) {
      const other = await this.preview(p, c.code);
      if (other.logic && !this.nothingAfter(p, other.logic)) return after;
    }
    return false;
  }

  /** The choices offered at `p` now: the schema's, narrowed by a cascading filter and by the
   * logic result's `choices` for that question when it gives them. */
  choicesAt(p) {
    const s = this.schemaAt(p);
    if (!s) return [];
    let choices = choicesOf(s);
    if (s['x-choice-filter']) {
      const parent = getAt(this.answers, relatedPointer(s['x-choice-filter'], segments(p)));
      choices = choices.filter((c) => parent !== undefined && c.parent === parent);
    }
    const allowed = this.logic.choices && this.logic.choices[p];
    if (Array.isArray(allowed)) choices = choices.filter((c) => allowed.some((a) => same(a, c.code)));
    return choices;
  }

  /** Every reason the response cannot be finalized yet, in questionnaire order: the logic's
   * errors, missing required answers, values outside the schema's limits or the choices
   * offered, unreadable input, and the server's refusal. */
  problems() {
    const out = [];
    for (const issue of this.logic.issues) {
      if (issue.severity === 'error' && !this.hidden(issue.path)) out.push({ path: issue.path, code: issue.code, message: issue.message });
    }
    for (const [p, f] of Object.entries(this.logic.fields)) {
      if (f.required && !this.hidden(p) && isEmpty(this.value(p)) && !(p in this.localErrors)) out.push({ path: p, code: 'required', message: MSG.required() });
    }
    const walk = (s, segs, v) => {
      if (v === undefined || !s) return;
      const p = pointer(segs);
      if (segs.length && this.hidden(p)) return;
      const kind = kindOf(s);
      if (kind === 'group') {
        for (const [k, c] of Object.entries(s.properties || {})) walk(c, segs.concat(k), v && v[k]);
      } else if (kind === 'repeat') {
        if (s.maxItems !== undefined && v.length > s.maxItems) out.push({ path: p, code: 'schema', message: MSG.maxItems(s.maxItems) });
        if (Array.isArray(v)) v.forEach((item, i) => walk(s.items, segs.concat(String(i)), item));
      } else if (kind === 'choice' && (s['x-choice-filter'] || (this.logic.choices && this.logic.choices[p]))) {
        if (!this.choicesAt(p).some((c) => same(c.code, v))) out.push({ path: p, code: 'choice', message: { es: 'Elija una de las opciones que se ofrecen', en: 'Choose one of the options offered' } });
      } else {
        const m = checkValue(s, v);
        if (m) out.push({ path: p, code: 'schema', message: m });
      }
    };
    walk(this.schema, [], this.sent);
    for (const [p, m] of Object.entries(this.localErrors)) {
      if (!this.hidden(p)) out.push({ path: p, code: 'input', message: m });
    }
    for (const e of this.serverErrors) out.push({ path: e.path, code: e.code, message: { es: e.message, en: e.message_en || e.message }, server: true });
    const seen = new Set();
    const unique = out.filter((x) => {
      const key = x.path + '|' + x.code;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const keys = new Map(unique.map((x) => [x.path, orderKey(this.schema, x.path)]));
    return unique.sort((a, b) => compareOrder(keys.get(a.path), keys.get(b.path)));
  }

  warnings() {
    return this.logic.issues.filter((i) => i.severity !== 'error' && !this.hidden(i.path));
  }

  pageOf(p) {
    const top = segments(p)[0];
    const i = this.pages.findIndex((pg) => pg.keys.includes(top));
    return i < 0 ? 0 : i;
  }

  /** A page is skipped when all of its questions are hidden. */
  pageVisible(i) {
    return this.pages[i].keys.some((k) => !this.hidden('/' + esc(k)));
  }
}
