/* One page of a form on screen, kept in step with its FormSession. The form's texts (labels,
 * hints, choices) are in the form language; the app's words and the messages in the app's. */
import { h } from './dom.js';
import { pointer, segments, same } from './pointer.js';
import { kindOf, textIn, answerText, MSG } from './schema.js';
import { parseNumber, formatNumber, displayNumber } from './numbers.js';

let uid = 0;

export class PageView {
  /**
   * hooks: t (the app's words), L (a message in the app's language), formLang and fallback (the
   * form's texts), numberLocale, choose(p, value) (a deliberate choice: the screen may confirm
   * it), confirmRemove(label) → Promise<boolean>, onStructure().
   */
  constructor(root, session, hooks) {
    this.root = root;
    this.session = session;
    this.hooks = hooks;
    this.showRequired = false;
    root.addEventListener('input', (e) => this.onInput(e));
    root.addEventListener('change', (e) => this.onInput(e));
    root.addEventListener('click', (e) => this.onClick(e));
  }

  get t() { return this.hooks.t; }

  /** A text of the form in the form language. */
  F(text) {
    return textIn(text, this.hooks.formLang, this.hooks.fallback);
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
    const label = this.F(s['x-label']) || segs[segs.length - 1];
    const hint = s['x-hint'] ? h('p', { class: 'hint', id: id + '-hint', text: this.F(s['x-hint']) }) : null;
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
      const itemLabel = this.F(s.items['x-label']) || label;
      const list = items.map((_, i) => {
        const ip = pointer(segs.concat(String(i)));
        return h('fieldset', { class: 'repeat-item', 'data-path': ip, 'data-kind': 'item' },
          h('legend', { text: `${itemLabel} ${i + 1}` }),
          Object.entries(s.items.properties || {}).map(([k, c]) => this.question(c, segs.concat(String(i), k))),
          h('button', { type: 'button', class: 'small danger remove', 'data-action': 'remove', 'data-target': ip, 'data-label': `${itemLabel} ${i + 1}`, text: this.t('remove_item') }));
      });
      const full = s.maxItems !== undefined && items.length >= s.maxItems;
      const el = h('div', { ...attrs, class: 'q repeat', role: 'group', 'aria-labelledby': id },
        h('h3', { class: 'label', id }, label, req), hint, list,
        h('button', { type: 'button', class: 'small', 'data-action': 'add', 'data-target': p, disabled: full, text: '+ ' + this.t('add_item') }), msg);
      el._items = items.length;
      return el;
    }
    if (kind === 'computed') {
      const el = h('div', { ...attrs, class: 'q' }, h('span', { class: 'label', id }, label), hint,
        h('output', { class: 'computed', 'aria-labelledby': id }), msg);
      el._schema = s;
      return el;
    }
    if (kind === 'choice' || kind === 'multi' || kind === 'boolean') {
      const el = h('fieldset', { ...attrs, class: 'q', 'aria-describedby': described }, h('legend', {}, label, req), hint);
      el._schema = s;
      el._id = id;
      el.append(h('div', { class: 'choices' }), msg);
      this.fillChoices(el);
      return el;
    }
    let control;
    if (kind === 'integer' || kind === 'number') {
      // Text, not type=number: the browser's number field reads "1,5" by its own rules.
      const signed = s.minimum === undefined || s.minimum < 0;
      control = h('input', { id, name: p, type: 'text', inputmode: kind === 'integer' && !signed ? 'numeric' : 'decimal',
        autocomplete: 'off', spellcheck: 'false', 'aria-describedby': described });
    } else if (kind === 'text' && s.maxLength > 200) {
      control = h('textarea', { id, name: p, 'aria-describedby': described, maxLength: s.maxLength });
    } else {
      control = h('input', { id, name: p, type: kind === 'date' ? 'date' : 'text', autocomplete: 'off', 'aria-describedby': described });
      if (kind === 'date') {
        if (s.formatMinimum) control.min = s.formatMinimum;
        if (s.formatMaximum) control.max = s.formatMaximum;
      }
      if (s.maxLength !== undefined) control.maxLength = s.maxLength;
    }
    return h('div', { ...attrs, class: 'q' }, h('label', { class: 'label', for: id }, label, req), hint, control, msg);
  }

  /** (Re)builds a choice question's options: the ones the session offers now. */
  fillChoices(el) {
    const p = el.dataset.path;
    const choices = this.session.choicesAt(p);
    el._choices = choices;
    el._offered = JSON.stringify(choices.map((c) => c.code));
    const box = el.querySelector('.choices');
    const kind = el.dataset.kind;
    if (kind !== 'multi' && choices.length > 10) {
      const select = h('select', { id: el._id, name: p, 'aria-label': el.querySelector('legend').textContent },
        h('option', { value: '', text: this.t('choose') }),
        choices.map((c, i) => h('option', { value: String(i), text: this.F(c.label), 'data-code': String(c.code) })));
      box.replaceChildren(select);
    } else {
      const type = kind === 'multi' ? 'checkbox' : 'radio';
      box.replaceChildren(...choices.map((c) => {
        const input = h('input', { type, name: p + '#' + el._id, value: String(c.code) });
        input._code = c.code;
        return h('label', { class: 'choice' }, input, h('span', { text: this.F(c.label) }));
      }));
      if (kind !== 'multi') {
        box.append(h('button', { type: 'button', class: 'small clear', 'data-action': 'clear', 'data-target': p, text: this.t('clear') }));
      }
    }
    if (!choices.length && el._schema['x-choice-filter']) box.append(h('p', { class: 'muted', text: this.t('choose_parent_first') }));
  }

  /** Brings every rendered question in line with the session: visibility, required marks,
   * values (computed ones, numbers in the locale), the choices offered, and messages. */
  update() {
    const session = this.session;
    // A repeat whose items changed underneath (an item added or removed) is drawn again.
    for (const el of this.root.querySelectorAll('[data-kind=repeat]')) {
      const items = session.value(el.dataset.path);
      if ((Array.isArray(items) ? items.length : 0) !== el._items) return this.render(this.pageIndex);
    }
    const problems = session.problems();
    const warnings = session.warnings();
    const focused = document.activeElement;
    for (const el of this.root.querySelectorAll('[data-path]')) {
      const p = el.dataset.path;
      el.hidden = session.hidden(p);
      const kind = el.dataset.kind;
      if (kind === 'item' || el.hidden) continue;
      const req = el.querySelector(':scope > legend > .req, :scope > label > .req, :scope > h3 > .req');
      if (req) req.hidden = !session.required(p);
      const v = this.pending && this.pending.p === p ? this.pending.value : session.value(p);
      if (kind === 'computed') {
        const text = typeof v === 'number' ? displayNumber(v, this.hooks.numberLocale) : answerText(el._schema, v);
        el.querySelector('output').textContent = text === null || text === undefined ? '—'
          : Array.isArray(text) ? text.map((x) => this.F(x)).join(', ') : this.F(text);
      } else if (kind === 'choice' || kind === 'multi' || kind === 'boolean') {
        if (JSON.stringify(session.choicesAt(p).map((c) => c.code)) !== el._offered) this.fillChoices(el);
        const select = el.querySelector('select');
        if (select) {
          const i = el._choices.findIndex((c) => same(c.code, v));
          if (select !== focused) select.value = i < 0 ? '' : String(i);
        } else {
          for (const input of el.querySelectorAll('input')) {
            input.checked = kind === 'multi' ? Array.isArray(v) && v.some((x) => same(x, input._code)) : same(v, input._code);
          }
          const clear = el.querySelector('[data-action=clear]');
          if (clear) clear.hidden = v === undefined;
        }
      } else if (kind !== 'group' && kind !== 'repeat') {
        const input = el.querySelector('input, textarea');
        if (input && input !== focused) {
          if (p in session.localErrors) input.value = session.localErrors[p].raw ?? input.value;
          else input.value = v === undefined ? '' : kind === 'integer' || kind === 'number' ? formatNumber(v, this.hooks.numberLocale) : String(v);
        }
        if (input) input.setAttribute('aria-required', session.required(p) ? 'true' : 'false');
      }
      this.message(el, p, problems, warnings);
    }
    return undefined;
  }

  message(el, p, problems, warnings) {
    const msg = el.querySelector(':scope > .msg');
    if (!msg) return;
    const mine = problems.filter((x) => x.path === p && (x.code !== 'required' || this.showRequired || x.server));
    const cautions = warnings.filter((w) => w.path === p);
    const text = mine.map((x) => this.hooks.L(x.message)).concat(cautions.map((w) => this.hooks.L(w.message)));
    msg.textContent = text.join(' · ');
    msg.className = 'msg ' + (mine.length ? 'error' : cautions.length ? 'warning' : '');
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
      const codes = el._choices.map((c) => c.code).filter((c) => checked.some((x) => same(x, c)));
      this.decide(p, codes.length ? codes : undefined);
      return;
    }
    if (kind === 'choice' || kind === 'boolean') {
      if (e.type !== 'change') return;
      let value;
      if (e.target.tagName === 'SELECT') {
        const c = el._choices[Number(e.target.value)];
        value = e.target.value === '' || !c ? undefined : c.code;
      } else value = e.target._code;
      this.decide(p, value);
      return;
    }
    if (kind === 'integer' || kind === 'number') {
      const read = parseNumber(e.target.value, { locale: this.hooks.numberLocale, integer: kind === 'integer' });
      delete s.localErrors[p];
      if (read.error) {
        s.localErrors[p] = { ...(read.error === 'integer' ? MSG.integer() : MSG.unreadable(e.target.value.trim())), raw: e.target.value };
        s.set(p, undefined);
      } else {
        s.set(p, read.empty ? undefined : read.value);
        // Grouping read as such ("1.500" → 1500) is shown back when the field is left.
        if (e.type === 'change' && read.grouped) e.target.value = formatNumber(read.value, this.hooks.numberLocale);
      }
    } else {
      if (e.type === 'change' && kind !== 'date') return; // text: every keystroke came as input
      s.set(p, e.target.value === '' ? undefined : e.target.value);
    }
    this.update();
  }

  /** A deliberate choice: shown at once, recorded once the screen agrees (it may ask first). */
  decide(p, value) {
    const pending = { p, value };
    this.pending = pending;
    this.session.track(Promise.resolve(this.hooks.choose(p, value)).finally(() => {
      if (this.pending === pending) this.pending = null;
      this.update();
    }));
  }

  async onClick(e) {
    const button = e.target.closest('button[data-action]');
    if (!button) return;
    const target = button.dataset.target;
    const s = this.session;
    const action = button.dataset.action;
    if (action === 'clear') {
      this.decide(target, undefined);
      return;
    }
    if (action === 'add') {
      const index = s.addItem(target);
      await s.idle();
      this.render(this.pageIndex);
      const added = this.root.querySelector(`[data-path="${target}/${index}"] input, [data-path="${target}/${index}"] select`);
      if (added) added.focus();
    } else if (action === 'remove') {
      const answered = Object.keys(s.value(target) || {}).length > 0;
      if (answered && !(await this.hooks.confirmRemove(button.dataset.label))) return;
      await s.removeItem(target);
      this.render(this.pageIndex);
      const add = this.root.querySelector(`[data-action=add][data-target="${segments(target).length ? target.replace(/\/\d+$/, '') : target}"]`);
      if (add) add.focus();
    } else return;
    this.hooks.onStructure();
  }
}
