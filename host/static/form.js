/* A form session and its rendering. The schema says what to ask and how (x-label, x-choices,
 * types, ranges); the form's logic plugin, run through CampoPlugin on every change, says what is
 * relevant, required, computed or wrong. Nothing of a study's logic is written here. */
(function (Campo) {
  'use strict';

  // ---- JSON Pointers --------------------------------------------------------------------------
  const esc = (s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1');
  const pointer = (segs) => segs.map((s) => '/' + esc(s)).join('');
  const segments = (p) => (!p ? [] : p.replace(/^\//, '').split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')));
  const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

  function getAt(obj, p) {
    let v = obj;
    for (const s of segments(p)) {
      if (v === null || typeof v !== 'object') return undefined;
      v = v[s];
    }
    return v;
  }

  function setAt(obj, p, value) {
    const segs = segments(p);
    let v = obj;
    segs.forEach((s, i) => {
      if (i === segs.length - 1) { v[s] = value; return; }
      if (v[s] === null || typeof v[s] !== 'object') v[s] = /^\d+$/.test(segs[i + 1]) ? [] : {};
      v = v[s];
    });
  }

  function deleteAt(obj, p) {
    const segs = segments(p);
    const last = segs.pop();
    const parent = getAt(obj, pointer(segs));
    if (parent === null || typeof parent !== 'object' || !(last in parent)) return false;
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
    return true;
  }

  const isEmpty = (v) => v === undefined || v === null || v === '' ||
    (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);

  /** Removes unanswered values: empty strings, empty choice lists, groups and repeats left empty.
   * Repeat items stay (even empty), since their position is their identity. */
  function prune(value, isItem) {
    if (Array.isArray(value)) {
      const items = value.map((v) => (v && typeof v === 'object' && !Array.isArray(v) ? prune(v, true) : v));
      return items.length ? items : undefined;
    }
    if (value && typeof value === 'object') {
      for (const k of Object.keys(value)) {
        const v = prune(value[k], false);
        if (v === undefined) delete value[k]; else value[k] = v;
      }
      return isItem || Object.keys(value).length ? value : undefined;
    }
    return value === '' || value === null ? undefined : value;
  }

  // ---- The schema as questions ------------------------------------------------------------------
  function typeOf(s) {
    return Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  }

  /** What kind of question a schema node is (see the conventions in README's "Enumerator app"). */
  function kindOf(s) {
    const type = typeOf(s);
    if (s.readOnly) return 'computed';
    if (type === 'object') return 'group';
    if (type === 'array') return s.items && typeOf(s.items) === 'object' ? 'repeat' : 'multi';
    if (s.enum || s['x-choices']) return 'choice';
    if (type === 'integer') return 'integer';
    if (type === 'number') return 'number';
    if (type === 'boolean') return 'boolean';
    if (s.format === 'date') return 'date';
    return 'text';
  }

  /** Pages: each top-level group is a section; consecutive top-level questions share a page. */
  function pagesOf(schema) {
    const pages = [];
    let loose = null;
    for (const [key, s] of Object.entries(schema.properties || {})) {
      if (kindOf(s) === 'group') {
        loose = null;
        pages.push({ keys: [key], label: s['x-label'] || null });
      } else {
        if (!loose) pages.push((loose = { keys: [], label: null }));
        loose.keys.push(key);
      }
    }
    return pages;
  }

  function choicesOf(s) {
    const values = s.enum || (s.items && s.items.enum) || [];
    const labelled = s['x-choices'] || [];
    if (labelled.length) return labelled.map((c) => ({ code: c.code, label: c.label, parent: c.parent }));
    return values.map((v) => ({ code: v, label: { es: String(v), en: String(v) } }));
  }

  /** The pointer of a filter's parent question, taking repeat indices from the dependent. */
  function relatedPointer(filterPath, dependentSegs) {
    const target = segments(filterPath.startsWith('/') ? filterPath : '/' + filterPath);
    const out = [];
    let d = 0;
    for (const t of target) {
      while (d < dependentSegs.length && /^\d+$/.test(dependentSegs[d]) && out.length === d) out.push(dependentSegs[d++]);
      out.push(t);
      if (dependentSegs[d] === t) d++;
      else d = dependentSegs.length;
    }
    return pointer(out);
  }

  // ---- Messages of the client's own schema checks (the server's wording where it has one) ------
  const MSG = {
    required: () => ({ es: 'Esta pregunta es obligatoria', en: 'This question is required' }),
    integer: () => ({ es: 'Debe ser un número entero', en: 'Must be a whole number' }),
    number: () => ({ es: 'Debe ser un número', en: 'Must be a number' }),
    minimum: (n) => ({ es: `Debe ser al menos ${n}`, en: `Must be at least ${n}` }),
    maximum: (n) => ({ es: `Debe ser como máximo ${n}`, en: `Must be at most ${n}` }),
    multipleOf: (n) => ({ es: `Debe ser múltiplo de ${n}`, en: `Must be a multiple of ${n}` }),
    minLength: (n) => ({ es: `Escriba al menos ${n} caracteres`, en: `Write at least ${n} characters` }),
    maxLength: (n) => ({ es: `Escriba como máximo ${n} caracteres`, en: `Write at most ${n} characters` }),
    pattern: () => ({ es: 'El formato no es válido', en: 'The format is not valid' }),
    minItems: (n) => ({ es: `Elija al menos ${n}`, en: `Choose at least ${n}` }),
    maxItems: (n) => ({ es: `Como máximo ${n}`, en: `At most ${n}` }),
    date: () => ({ es: 'Escriba una fecha válida', en: 'Enter a valid date' }),
  };

  /** The schema's own limits on one answered value, for feedback before the server sees it. */
  function checkValue(s, v) {
    const kind = kindOf(s);
    if (kind === 'integer' || kind === 'number' || (kind === 'computed' && typeof v === 'number')) {
      if (typeof v !== 'number' || !Number.isFinite(v)) return MSG.number();
      if (typeOf(s) === 'integer' && !Number.isInteger(v)) return MSG.integer();
      if (s.minimum !== undefined && v < s.minimum) return MSG.minimum(s.minimum);
      if (s.maximum !== undefined && v > s.maximum) return MSG.maximum(s.maximum);
      if (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum) return MSG.minimum(s.exclusiveMinimum);
      if (s.exclusiveMaximum !== undefined && v >= s.exclusiveMaximum) return MSG.maximum(s.exclusiveMaximum);
      if (s.multipleOf && Math.abs(v / s.multipleOf - Math.round(v / s.multipleOf)) > 1e-9) return MSG.multipleOf(s.multipleOf);
    }
    if (typeof v === 'string') {
      const n = [...v].length;
      if (s.minLength !== undefined && n < s.minLength) return MSG.minLength(s.minLength);
      if (s.maxLength !== undefined && n > s.maxLength) return MSG.maxLength(s.maxLength);
      if (s.pattern) {
        try { if (!new RegExp(s.pattern, 'u').test(v)) return MSG.pattern(); } catch (_) { /* the server decides */ }
      }
      if (s.format === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(v)) return MSG.date();
    }
    if (Array.isArray(v) && kind === 'multi') {
      if (s.minItems !== undefined && v.length < s.minItems) return MSG.minItems(s.minItems);
      if (s.maxItems !== undefined && v.length > s.maxItems) return MSG.maxItems(s.maxItems);
    }
    return null;
  }

  // ---- The session: answers plus the logic plugin's view of them ---------------------------------
  const NO_LOGIC = { fields: {}, computed: {}, issues: [] };

  class FormSession {
    /** version: the form version document; evaluate(answers) runs the logic plugin. */
    constructor({ version, answers, serverErrors, evaluate, onUpdate }) {
      this.version = version;
      this.schema = version.schema;
      this.pages = pagesOf(this.schema);
      this.answers = prune(clone(answers || {}), true) || {};
      this.logic = NO_LOGIC;
      this.serverErrors = serverErrors || [];
      this.localErrors = {}; // pointer -> message, for input that is not yet a value (e.g. "12a")
      this.evaluateLogic = evaluate;
      this.onUpdate = onUpdate || (() => {});
      this.rev = 0;
      this.dirty = false;
      this.running = null;
      this.failure = null;
    }

    schemaAt(p) {
      let s = this.schema;
      for (const seg of segments(p)) {
        if (!s) return null;
        if (typeOf(s) === 'array') s = s.items;
        else s = (s.properties || {})[seg];
      }
      return s || null;
    }

    field(p) {
      return this.logic.fields[p] || {};
    }

    /** Hidden: the question, or a group or repeat item around it, is not relevant. */
    hidden(p, logic = this.logic) {
      const segs = segments(p);
      for (let i = segs.length; i > 0; i--) {
        const f = logic.fields[pointer(segs.slice(0, i))];
        if (f && f.relevant === false) return true;
      }
      return false;
    }

    required(p) {
      return !!this.field(p).required && !this.hidden(p);
    }

    value(p) {
      return getAt(this.answers, p);
    }

    /** Records an answer (undefined clears it) and re-evaluates. */
    set(p, value) {
      if (value === undefined || isEmpty(value)) deleteAt(this.answers, p);
      else setAt(this.answers, p, value);
      this.clearDependents(p);
      this.answers = prune(this.answers, true) || {};
      this.serverErrors = this.serverErrors.filter((e) => !(e.path === p || e.path.startsWith(p + '/')));
      return this.changed();
    }

    /** Cascading choices: clears a dependent answer whose parent code no longer matches. */
    clearDependents(p) {
      const walk = (s, segs) => {
        const kind = kindOf(s);
        if (kind === 'group') for (const [k, c] of Object.entries(s.properties || {})) walk(c, segs.concat(k));
        else if (kind === 'repeat') (getAt(this.answers, pointer(segs)) || []).forEach((_, i) => walk(s.items, segs.concat(String(i))));
        else if (s['x-choice-filter'] && relatedPointer(s['x-choice-filter'], segs) === p) {
          const here = pointer(segs);
          const v = getAt(this.answers, here);
          if (v === undefined) return;
          const parent = getAt(this.answers, p);
          const ok = choicesOf(s).some((c) => c.code === v && c.parent === parent);
          if (!ok) deleteAt(this.answers, here);
        }
      };
      walk(this.schema, []);
    }

    changed() {
      this.rev++;
      this.dirty = true;
      if (!this.running) this.running = this.loop();
      return this.running;
    }

    /** Resolves when no evaluation is pending. */
    idle() {
      return this.running || Promise.resolve();
    }

    async loop() {
      document.body.dataset.evaluating = '1';
      try {
        while (this.dirty) {
          this.dirty = false;
          await this.settle();
          this.onUpdate(this);
        }
      } finally {
        this.running = null;
        document.body.dataset.evaluating = '0';
      }
    }

    /** Runs the logic until it is stable: computed values applied, hidden answers dropped (the
     * server refuses answers to questions that are not relevant), then the logic again. */
    async settle() {
      for (let round = 0; round < 8; round++) {
        const rev = this.rev;
        const answers = clone(this.answers);
        let logic;
        try {
          logic = await this.evaluateLogic(answers);
          this.failure = null;
        } catch (e) {
          this.failure = e;
          return;
        }
        if (rev !== this.rev) return; // the enumerator changed something meanwhile: loop() runs again
        let changed = false;
        for (const [p, v] of Object.entries(logic.computed || {})) {
          if (this.hidden(p, logic) || same(getAt(answers, p), v)) continue;
          if (v === null) deleteAt(answers, p); else setAt(answers, p, v);
          changed = true;
        }
        const hidden = Object.keys(logic.fields || {}).filter((p) => logic.fields[p].relevant === false && getAt(answers, p) !== undefined);
        hidden.sort((a, b) => b.localeCompare(a, 'en', { numeric: true })); // later repeat items first
        for (const p of hidden) changed = deleteAt(answers, p) || changed;
        this.logic = { fields: logic.fields || {}, computed: logic.computed || {}, issues: logic.issues || [] };
        this.answers = prune(answers, true) || {};
        if (!changed) return;
      }
    }

    /** Every reason the response cannot be finalized yet: the logic's errors, missing required
     * answers, values outside the schema's limits, unreadable input, and the server's refusal. */
    problems() {
      const out = [];
      for (const issue of this.logic.issues) {
        if (issue.severity === 'error' && !this.hidden(issue.path)) out.push({ path: issue.path, code: issue.code, message: issue.message });
      }
      for (const [p, f] of Object.entries(this.logic.fields)) {
        if (f.required && !this.hidden(p) && isEmpty(this.value(p))) out.push({ path: p, code: 'required', message: MSG.required() });
      }
      const walk = (s, segs, v) => {
        if (v === undefined || !s) return;
        const kind = kindOf(s);
        if (kind === 'group') {
          for (const [k, c] of Object.entries(s.properties || {})) walk(c, segs.concat(k), v[k]);
        } else if (kind === 'repeat') {
          if (s.maxItems !== undefined && v.length > s.maxItems) out.push({ path: pointer(segs), code: 'schema', message: MSG.maxItems(s.maxItems) });
          v.forEach((item, i) => walk(s.items, segs.concat(String(i)), item));
        } else {
          const m = checkValue(s, v);
          if (m) out.push({ path: pointer(segs), code: 'schema', message: m });
        }
      };
      walk(this.schema, [], this.answers);
      for (const [p, m] of Object.entries(this.localErrors)) {
        if (!this.hidden(p)) out.push({ path: p, code: 'input', message: m });
      }
      for (const e of this.serverErrors) out.push({ path: e.path, code: e.code, message: { es: e.message, en: e.message_en || e.message }, server: true });
      const seen = new Set();
      return out.filter((x) => {
        const key = x.path + '|' + x.code;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
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

  // ---- Rendering ----------------------------------------------------------------------------------
  let uid = 0;

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k in el && typeof v !== 'string') el[k] = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
    return el;
  }

  /** Renders one page of a session into `root` and keeps it in step with the session. */
  class PageView {
    constructor(root, session, { lang, t, onStructure }) {
      this.root = root;
      this.session = session;
      this.lang = lang;
      this.t = t;
      this.onStructure = onStructure || (() => {});
      this.showRequired = false;
      root.addEventListener('input', (e) => this.onInput(e));
      root.addEventListener('change', (e) => this.onInput(e));
      root.addEventListener('click', (e) => this.onClick(e));
    }

    L(text) {
      if (!text) return '';
      if (typeof text === 'string') return text;
      return text[this.lang] || text.es || text.en || '';
    }

    render(pageIndex) {
      this.pageIndex = pageIndex;
      const page = this.session.pages[pageIndex];
      const nodes = page.keys.map((k) => {
        const s = this.session.schema.properties[k];
        return kindOf(s) === 'group' && page.keys.length === 1
          ? Object.entries(s.properties || {}).map(([ck, cs]) => this.question(cs, [k, ck]))
          : this.question(s, [k]);
      });
      this.root.replaceChildren(...nodes.flat());
      this.update();
    }

    question(s, segs) {
      const p = pointer(segs);
      const kind = kindOf(s);
      const id = 'q' + ++uid;
      const label = this.L(s['x-label']) || segs[segs.length - 1];
      const hint = s['x-hint'] ? h('p', { class: 'hint', id: id + '-hint', text: this.L(s['x-hint']) }) : null;
      const msg = h('p', { class: 'msg', id: id + '-msg', 'aria-live': 'polite' });
      const req = h('span', { class: 'req', 'aria-hidden': 'true', text: '*', hidden: true });
      const described = [hint && id + '-hint', id + '-msg'].filter(Boolean).join(' ');
      const attrs = { 'data-path': p, 'data-kind': kind };

      if (kind === 'group') {
        return h('fieldset', { ...attrs, class: 'q group' }, h('legend', {}, label, req), hint,
          Object.entries(s.properties || {}).map(([k, c]) => this.question(c, segs.concat(k))), msg);
      }
      if (kind === 'repeat') {
        const items = this.session.value(p) || [];
        const itemLabel = this.L(s.items['x-label']) || label;
        const list = items.map((_, i) => {
          const ip = pointer(segs.concat(String(i)));
          return h('fieldset', { class: 'repeat-item', 'data-path': ip, 'data-kind': 'item' },
            h('legend', { text: `${itemLabel} ${i + 1}` }),
            Object.entries(s.items.properties || {}).map(([k, c]) => this.question(c, segs.concat(String(i), k))),
            h('button', { type: 'button', class: 'small danger remove', 'data-action': 'remove', 'data-target': ip, text: this.t('remove_item') }));
        });
        const full = s.maxItems !== undefined && items.length >= s.maxItems;
        return h('div', { ...attrs, class: 'q repeat', role: 'group', 'aria-labelledby': id },
          h('h3', { class: 'label', id }, label, req), hint, list,
          h('button', { type: 'button', class: 'small', 'data-action': 'add', 'data-target': p, disabled: full, text: '+ ' + this.t('add_item') }), msg);
      }
      if (kind === 'computed') {
        return h('div', { ...attrs, class: 'q' }, h('span', { class: 'label', id }, label), hint,
          h('output', { class: 'computed', 'aria-labelledby': id }), msg);
      }
      if (kind === 'choice' || kind === 'multi' || kind === 'boolean') {
        const choices = kind === 'boolean'
          ? [{ code: true, label: { es: 'Sí', en: 'Yes' } }, { code: false, label: { es: 'No', en: 'No' } }]
          : choicesOf(s);
        const el = h('fieldset', { ...attrs, class: 'q', 'aria-describedby': described }, h('legend', {}, label, req), hint);
        el._choices = choices;
        el._schema = s;
        el._segs = segs;
        el._id = id;
        el.append(h('div', { class: 'choices' }), msg);
        this.fillChoices(el);
        return el;
      }
      const input = h('input', { id, name: p, 'aria-describedby': described, autocomplete: 'off' });
      if (kind === 'integer') Object.assign(input, { type: 'number', inputMode: 'numeric', step: '1' });
      else if (kind === 'number') Object.assign(input, { type: 'number', inputMode: 'decimal', step: s.multipleOf ? String(s.multipleOf) : 'any' });
      else if (kind === 'date') input.type = 'date';
      else input.type = 'text';
      if (s.minimum !== undefined) input.min = String(s.minimum);
      if (s.maximum !== undefined) input.max = String(s.maximum);
      if (s.maxLength !== undefined) input.maxLength = s.maxLength;
      const control = kind === 'text' && s.maxLength > 200
        ? h('textarea', { id, name: p, 'aria-describedby': described, maxLength: s.maxLength })
        : input;
      return h('div', { ...attrs, class: 'q' }, h('label', { class: 'label', for: id }, label, req), hint, control, msg);
    }

    /** (Re)builds a choice question's options; cascading choices follow their parent's answer. */
    fillChoices(el) {
      const s = el._schema;
      const p = el.dataset.path;
      let choices = el._choices;
      if (s['x-choice-filter']) {
        const parent = this.session.value(relatedPointer(s['x-choice-filter'], el._segs));
        choices = choices.filter((c) => parent !== undefined && c.parent === parent);
        el._filter = JSON.stringify(parent);
      }
      const box = el.querySelector('.choices');
      const kind = el.dataset.kind;
      if (kind !== 'multi' && choices.length > 10) {
        const select = h('select', { id: el._id, name: p, 'aria-label': el.querySelector('legend').textContent },
          h('option', { value: '', text: this.t('choose') }),
          choices.map((c, i) => h('option', { value: String(i), text: this.L(c.label), 'data-code': String(c.code) })));
        select._choices = choices;
        box.replaceChildren(select);
      } else {
        const type = kind === 'multi' ? 'checkbox' : 'radio';
        box.replaceChildren(...choices.map((c) => {
          const input = h('input', { type, name: p + '#' + el._id, value: String(c.code) });
          input._code = c.code;
          return h('label', { class: 'choice' }, input, h('span', { text: this.L(c.label) }));
        }));
        if (kind !== 'multi') {
          box.append(h('button', { type: 'button', class: 'small clear', 'data-action': 'clear', 'data-target': p, text: this.t('clear') }));
        }
      }
      if (!choices.length && s['x-choice-filter']) box.append(h('p', { class: 'muted', text: this.t('choose_parent_first') }));
    }

    /** Brings every rendered question in line with the session: visibility, required marks,
     * values (computed ones, dropped ones), and messages. */
    update() {
      const session = this.session;
      const problems = session.problems();
      const focused = document.activeElement;
      for (const el of this.root.querySelectorAll('[data-path]')) {
        const p = el.dataset.path;
        el.hidden = session.hidden(p);
        const kind = el.dataset.kind;
        if (kind === 'item' || el.hidden) continue;
        const req = el.querySelector(':scope > legend > .req, :scope > label > .req, :scope > h3 > .req');
        if (req) req.hidden = !session.required(p);
        const v = session.value(p);
        if (kind === 'computed') {
          el.querySelector('output').textContent = v === undefined ? '—'
            : typeof v === 'number' ? new Intl.NumberFormat(this.lang === 'es' ? 'es-CL' : 'en-US').format(v) : this.L(v);
        } else if (kind === 'choice' || kind === 'multi' || kind === 'boolean') {
          if (el._schema['x-choice-filter']) {
            const parent = JSON.stringify(session.value(relatedPointer(el._schema['x-choice-filter'], el._segs)));
            if (parent !== el._filter) this.fillChoices(el);
          }
          const select = el.querySelector('select');
          if (select) {
            const i = select._choices.findIndex((c) => c.code === v);
            if (select !== focused) select.value = i < 0 ? '' : String(i);
          } else {
            for (const input of el.querySelectorAll('input')) {
              input.checked = kind === 'multi' ? Array.isArray(v) && v.includes(input._code) : v === input._code;
            }
            const clear = el.querySelector('[data-action=clear]');
            if (clear) clear.hidden = v === undefined;
          }
        } else if (kind !== 'group' && kind !== 'repeat') {
          const input = el.querySelector('input, textarea');
          if (input && input !== focused && !(p in session.localErrors)) input.value = v === undefined ? '' : String(v);
          if (input) input.setAttribute('aria-required', session.required(p) ? 'true' : 'false');
        }
        this.message(el, p, problems);
      }
    }

    message(el, p, problems) {
      const msg = el.querySelector(':scope > .msg');
      if (!msg) return;
      const mine = problems.filter((x) => x.path === p && (x.code !== 'required' || this.showRequired || x.server));
      const warnings = this.session.warnings().filter((w) => w.path === p);
      const text = mine.map((x) => this.L(x.message)).concat(warnings.map((w) => this.L(w.message)));
      msg.textContent = text.join(' · ');
      msg.className = 'msg ' + (mine.length ? 'error' : warnings.length ? 'warning' : '');
      el.classList.toggle('invalid', mine.length > 0);
      const input = el.querySelector('input, select, textarea');
      if (input) input.setAttribute('aria-invalid', mine.length ? 'true' : 'false');
    }

    onInput(e) {
      const el = e.target.closest('[data-path]');
      if (!el || !e.target.matches('input, select, textarea')) return;
      const p = el.dataset.path;
      const kind = el.dataset.kind;
      const s = this.session;
      if (kind === 'multi') {
        if (e.type !== 'change') return;
        const checked = [...el.querySelectorAll('input:checked')].map((i) => i._code);
        s.set(p, checked.length ? el._choices.map((c) => c.code).filter((c) => checked.includes(c)) : undefined);
      } else if (kind === 'choice' || kind === 'boolean') {
        if (e.type !== 'change') return;
        if (e.target.tagName === 'SELECT') {
          const c = e.target._choices[Number(e.target.value)];
          s.set(p, e.target.value === '' || !c ? undefined : c.code);
        } else s.set(p, e.target._code);
      } else if (kind === 'integer' || kind === 'number') {
        const raw = e.target.value.trim();
        delete s.localErrors[p];
        if (raw === '') {
          if (e.target.validity && e.target.validity.badInput) s.localErrors[p] = MSG.number();
          s.set(p, undefined);
        } else {
          const n = Number(raw.replace(',', '.'));
          if (Number.isFinite(n)) s.set(p, n);
          else { s.localErrors[p] = MSG.number(); s.set(p, undefined); }
        }
      } else {
        s.set(p, e.target.value === '' ? undefined : e.target.value);
      }
      this.update();
    }

    async onClick(e) {
      const button = e.target.closest('button[data-action]');
      if (!button) return;
      const target = button.dataset.target;
      const s = this.session;
      if (button.dataset.action === 'clear') {
        s.set(target, undefined);
        this.update();
        return;
      }
      if (button.dataset.action === 'add') {
        const items = clone(s.value(target)) || [];
        items.push({});
        setAt(s.answers, target, items);
        await s.changed();
        this.render(this.pageIndex);
        const added = this.root.querySelector(`[data-path="${target}/${items.length - 1}"] input, [data-path="${target}/${items.length - 1}"] select`);
        if (added) added.focus();
      } else if (button.dataset.action === 'remove') {
        deleteAt(s.answers, target);
        s.answers = prune(s.answers, true) || {};
        s.serverErrors = [];
        await s.changed();
        this.render(this.pageIndex);
        const add = this.root.querySelector(`[data-action=add][data-target="${target.replace(/\/\d+$/, '')}"]`);
        if (add) add.focus();
      }
      this.onStructure();
    }
  }

  Campo.form = { FormSession, PageView, pagesOf, kindOf, pointer, segments, getAt, setAt, deleteAt, prune, h, esc, MSG };
})(window.Campo = window.Campo || {});
