/* The form screen: one response, page by page, then the review and finalizing. Saved on every
 * change (debounced) and whenever the page is hidden or closed; a returned response opens at the
 * first question the supervisor's comment names; the form's heading takes the focus when it
 * opens, the first problem after a refused finalize. */
import { h, put, main } from '../dom.js';
import { clone, segments } from '../pointer.js';
import { FormSession } from '../form-session.js';
import { PageView } from '../form-view.js';
import { formLanguages, textIn, summaryOf, schemaAt, answerText, commentTarget, MSG } from '../schema.js';
import { numberLocale, parseNumber } from '../numbers.js';
import { t, L, lang } from '../words.js';
import { responses, journal, clearJournal } from '../storage.js';
import { loadVersion, loadPlugin, getImmutable, studyPath } from '../api.js';
import { enqueue } from '../outbox.js';
import { confirmDialog } from '../dialog.js';

let current = null; // the open form: { record, session, view, page, chrome, … }
let runner = null;

/** The open form's session (for the tests' window.campoApp). */
export const openSession = () => current && current.session;
export const openId = () => current && current.record.id;
export const openPage = () => current && current.page;

async function logicFor(version) {
  if (!version.logic_plugin) return async () => ({ fields: {}, computed: {}, issues: [] });
  const bytes = await loadPlugin(version.logic_plugin);
  runner = runner || new globalThis.CampoPlugin.Runner({ scriptUrl: 'campo-plugin.js', timeoutMs: 3000 });
  return (answers) => runner.call(version.logic_plugin, bytes, 'logic', {
    study: version.study, form: version.form, version: version.version, answers, settings: version.settings,
  });
}

const formLangKey = (record) => `campo.formLang.${record.study}/${record.form}`;

export async function openResponse(id) {
  const record = await responses.get(id);
  if (!record || record.status === 'queued' || record.status === 'sent') {
    location.hash = '#/';
    return;
  }
  if (!record.startedAt && !record.correction) {
    record.startedAt = new Date().toISOString(); // for the interview's duration
    await responses.put(record);
  }
  main().replaceChildren(h('p', { class: 'muted', text: t('loading') }));
  let version;
  let evaluate;
  try {
    version = await loadVersion(record.study, record.form, record.version);
    evaluate = await logicFor(version);
  } catch (e) {
    main().replaceChildren(h('p', { class: 'banner error', role: 'alert', text: t('not_available') }));
    return;
  }
  let title = { es: record.form };
  try {
    const study = await getImmutable(studyPath(record.study));
    title = (study.forms.find((f) => f.id === record.form) || {}).title || title;
  } catch (_) { /* the id will do */ }
  if (location.hash !== '#/r/' + id) return; // the enumerator went elsewhere meanwhile

  const languages = formLanguages(version.schema);
  const pageRoot = h('div', { class: 'page' });
  const session = new FormSession({
    version, answers: record.answers, serverErrors: record.status === 'refused' ? record.errors : [], evaluate,
    onBusy: (busy) => { document.body.dataset.evaluating = busy ? '1' : '0'; },
    onUpdate: () => {
      if (current && current.session === session) {
        current.view.update();
        renderChrome();
        save();
      }
    },
  });
  // A returned response opens, the first time, at the first question the review names.
  const openAt = record.correction && !record.opened ? commentTarget(version.schema, record.correction) : null;
  const c = { record, session, title, pageRoot, languages, undo: null, openAt };
  for (const [p, raw] of Object.entries(record.unread || {})) {
    const read = parseNumber(raw, { locale: numberLocaleNow() });
    if (read.error) session.localErrors[p] = { ...(read.error === 'integer' ? MSG.integer() : MSG.unreadable(String(raw).trim())), raw };
  }
  c.formLang = pickFormLang(c);
  c.view = new PageView(pageRoot, session, {
    t, L, formLang: c.formLang, fallback: languages.fallback, numberLocale: numberLocaleNow(),
    choose: (p, value) => choose(c, p, value),
    confirmRemove: (label) => confirmDialog({ title: t('remove_title', label), body: t('remove_body'), yes: t('remove_yes'), danger: true }),
    onStructure: () => { renderChrome(); save(); },
  });
  c.page = Math.min(record.page || 0, session.pages.length);
  current = c;
  await session.changed();
  if (current !== c) return;
  renderForm();
  if (c.openAt) {
    goTo(c.openAt);
    c.openAt = null;
    save();
  } else c.chrome.title.focus();
}

function numberLocaleNow() {
  return numberLocale(lang() === 'es' ? 'es' : 'en', navigator.languages || [navigator.language]);
}

/** The form language: the one chosen for this form on this phone, else the app's, else the form's default. */
function pickFormLang(c) {
  const codes = c.languages.languages.map((l) => l.code);
  if (!c.languages.declared) return lang();
  const chosen = localStorage.getItem(formLangKey(c.record));
  if (codes.includes(chosen)) return chosen;
  return codes.includes(lang()) ? lang() : c.languages.fallback;
}

let saveTimer = null;
export function save() {
  clearTimeout(saveTimer);
  const c = current;
  saveTimer = setTimeout(() => saveNow(c), 250);
}

/** The record as it stands: the draft, what it would send, where the enumerator is. */
function snapshot(c) {
  const s = c.session;
  return {
    ...c.record, answers: clone(s.answers), sent: s.finalAnswers(), page: c.page, errors: s.serverErrors,
    summary: summaryOf(s.schema, s.answers), opened: true,
    unread: Object.fromEntries(Object.entries(s.localErrors).map(([p, m]) => [p, m.raw])),
  };
}

export function saveNow(c = current) {
  if (!c) return Promise.resolve();
  clearTimeout(saveTimer);
  c.record = snapshot(c);
  return responses.put(c.record).then(() => clearJournal(c.record.id));
}

/** The page is being hidden or closed: the draft goes to the journal at once (synchronous),
 * and to IndexedDB as far as the page lives. */
export function saveOnHide() {
  const c = current;
  if (!c) return;
  clearTimeout(saveTimer);
  c.record = snapshot(c);
  journal(c.record);
  responses.put(c.record).then(() => clearJournal(c.record.id)).catch(() => {});
}

/** Leaves the form (the router opens another screen): saved first. */
export function closeForm() {
  if (!current) return;
  const c = current;
  current = null;
  saveNow(c);
}

export const isOpen = () => !!current;

function visiblePages() {
  return current.session.pages.map((_, i) => i).filter((i) => current.session.pageVisible(i));
}

export function renderForm() {
  const c = current;
  if (!c) return;
  if (!c.languages.declared) c.formLang = lang(); // Spanish and English texts follow the app's language
  c.view.hooks.numberLocale = numberLocaleNow();
  c.view.hooks.formLang = c.formLang;
  c.chrome = {
    title: h('h1', { tabindex: '-1', class: 'form-title', text: L(c.title) }),
    progress: h('p', { class: 'progress', role: 'status' }),
    heading: h('h2', { class: 'section-title', tabindex: '-1' }),
    banner: h('div', { class: 'form-banner' }),
    pager: h('nav', { class: 'pager', 'aria-label': t('section', 1, 1) }),
  };
  const languageChoice = c.languages.declared && c.languages.languages.length > 1
    ? h('p', { class: 'form-lang' }, h('label', { for: 'form-lang', text: t('form_language') }),
      h('select', { id: 'form-lang', onchange: (e) => {
        c.formLang = e.target.value;
        localStorage.setItem(formLangKey(c.record), c.formLang);
        renderForm();
      } }, c.languages.languages.map((l) => h('option', { value: l.code, text: l.name, selected: l.code === c.formLang }))))
    : null;
  put(main(),
    c.chrome.title, c.record.case ? h('p', { class: 'muted', text: `${t('case')} ${c.record.case}` }) : null, languageChoice,
    c.chrome.progress, c.chrome.heading, c.chrome.banner, c.pageRoot, c.chrome.pager);
  showPage(c.page, false);
}

function showPage(index, focus = true) {
  const c = current;
  const pages = visiblePages();
  if (index < c.session.pages.length && !pages.includes(index)) {
    index = pages.find((i) => i >= index) ?? c.session.pages.length;
  }
  if (index !== c.page) c.undo = null;
  c.page = index;
  if (index >= c.session.pages.length) {
    c.pageRoot.replaceChildren();
    c.view.showRequired = true;
  } else {
    c.view.render(index);
  }
  renderChrome();
  save();
  if (focus) c.chrome.heading.focus();
  window.scrollTo(0, 0);
}

/** A deliberate choice. One that ends the interview is confirmed first; one that sets answers
 * aside (they stay in the draft) can be undone. */
async function choose(c, p, value) {
  const s = c.session;
  await (s.running || Promise.resolve()); // not idle(): this choice is one of the things it waits for
  const previous = clone(s.value(p));
  const asideBefore = new Set(s.keptHidden());
  let ends = false;
  if (value !== undefined && !Array.isArray(value)) {
    const preview = await s.endsInterview(p, value);
    if (preview) {
      ends = true;
      const aside = s.keptHidden(preview.logic, preview.draft).filter((q) => !asideBefore.has(q)).length;
      if (!(await confirmDialog({ title: t('end_title'), body: t('end_body', aside), yes: t('end_yes'), danger: true }))) {
        if (current === c) c.view.update();
        return;
      }
    }
  }
  await s.set(p, value);
  if (current !== c) return;
  const aside = s.keptHidden().filter((q) => !asideBefore.has(q)).length;
  c.undo = ends || aside ? { p, previous, ends, aside, label: choiceLabel(c, p, value) } : null;
  renderChrome();
}

function choiceLabel(c, p, value) {
  const text = answerText(schemaAt(c.session.schema, p), value);
  return Array.isArray(text) ? text.map((x) => textIn(x, c.formLang, c.languages.fallback)).join(', ') : textIn(text, c.formLang, c.languages.fallback);
}

async function undo(c) {
  const { p, previous } = c.undo;
  c.undo = null;
  await c.session.set(p, previous);
  const target = c.pageRoot.querySelector(`[data-path="${p}"] input, [data-path="${p}"] select`);
  if (target) target.focus();
}

/** Progress, section title, the banners (server refusal, comment, undo, problems on review) and the pager. */
function renderChrome() {
  const c = current;
  if (!c || !c.chrome) return;
  const s = c.session;
  const pages = visiblePages();
  const reviewing = c.page >= s.pages.length;
  const position = reviewing ? pages.length + 1 : pages.indexOf(c.page) + 1;
  c.chrome.progress.textContent = t('section', position, pages.length + 1);
  c.chrome.heading.textContent = reviewing ? t('review_title') : textIn(s.pages[c.page].label, c.formLang, c.languages.fallback) || t('general');

  const problems = s.problems();
  const items = [];
  if (c.record.correction) {
    items.push(h('div', { class: 'banner warn supervisor-comment', role: 'note' },
      h('strong', { text: t('supervisor_comment') }), ' ', c.record.correction.comment || ''));
  }
  if (s.failure) items.push(h('p', { class: 'banner error', role: 'alert', text: `${t('logic_failed')} ${s.failure.message}` }));
  if (c.record.status === 'refused' && (s.serverErrors.length || c.record.refusal)) {
    items.push(problemList('error server-refusal', t('refused_banner') + (c.record.refusal ? ' ' + L(c.record.refusal) : ''),
      problems.filter((x) => x.server)));
  }
  if (c.undo) {
    const u = c.undo;
    items.push(h('div', { class: 'banner warn undo', role: 'status' },
      h('span', { text: [u.ends ? t('ended', u.label) : '', u.aside ? t('hid_answers', u.aside) : ''].filter(Boolean).join(' ') }),
      h('button', { type: 'button', class: 'small', 'data-action': 'undo', onclick: () => undo(c), text: t('undo') })));
  }
  if (reviewing) {
    const open = problems.filter((x) => !x.server);
    items.push(open.length ? problemList('error review-problems', t('problems'), open)
      : h('p', { class: 'banner ok', role: 'status', text: t('ready') }));
    const warnings = s.warnings();
    if (warnings.length) items.push(problemList('warn', t('warnings'), warnings));
    const aside = s.keptHidden();
    if (aside.length) {
      items.push(h('div', { class: 'banner muted kept-hidden', role: 'note' }, h('strong', { text: t('kept_hidden') }),
        h('ul', {}, aside.map((p) => h('li', { 'data-kept-path': p, text: questionLabel(p) })))));
    }
  }
  put(c.chrome.banner, items);

  const prev = pages.filter((i) => i < c.page).pop();
  const next = pages.find((i) => i > c.page);
  c.chrome.pager.replaceChildren(
    h('button', { type: 'button', 'data-action': 'prev', disabled: prev === undefined && !reviewing,
      onclick: () => showPage(reviewing ? pages[pages.length - 1] : prev), text: t('previous') }),
    reviewing
      ? h('button', { type: 'button', class: 'primary', 'data-action': 'finalize', onclick: finalize, text: t('finalize') })
      : h('button', { type: 'button', class: 'primary', 'data-action': 'next',
        onclick: () => showPage(next === undefined ? s.pages.length : next), text: next === undefined ? t('review') : t('next') }),
    h('button', { type: 'button', 'data-action': 'save-exit', onclick: saveAndExit, text: t('save_exit') }));
}

function problemList(kind, title, problems) {
  return h('div', { class: 'banner ' + kind, role: 'alert' }, h('strong', { text: title }),
    problems.length ? h('ul', {}, problems.map((x) => h('li', { 'data-problem-path': x.path },
      h('button', { type: 'button', class: 'link-like', onclick: () => goTo(x.path) }, questionLabel(x.path)), ': ', L(x.message)))) : null);
}

function questionLabel(p) {
  const c = current;
  const segs = segments(p);
  const parts = [];
  for (let i = segs.length; i > 0; i--) {
    const node = c.session.schemaAt('/' + segs.slice(0, i).map((x) => x.replace(/~/g, '~0').replace(/\//g, '~1')).join('/'));
    if (node && node['x-label']) {
      parts.unshift(textIn(node['x-label'], c.formLang, c.languages.fallback) + (/^\d+$/.test(segs[i]) ? ` ${Number(segs[i]) + 1}` : ''));
      if (parts.length === 2) break;
    }
  }
  return parts.join(' › ') || p || t('general');
}

/** Shows the page of question `p` and puts the focus in it. */
function goTo(p) {
  const c = current;
  showPage(c.session.pageOf(p), false);
  let el = null;
  for (let q = p; q && !el; q = q.replace(/\/[^/]*$/, '')) el = c.pageRoot.querySelector(`[data-path="${q}"]:not([hidden])`);
  const target = el && (el.querySelector('input:not([type=hidden]), select, textarea, button') || el);
  if (target) {
    if (target === el) el.setAttribute('tabindex', '-1');
    target.scrollIntoView({ block: 'center' });
    target.focus();
  } else c.chrome.heading.focus();
}

async function finalize() {
  const c = current;
  await c.session.idle();
  c.view.showRequired = true;
  // The server's earlier refusal does not block: the enumerator may have fixed it another way.
  const problems = c.session.problems().filter((x) => !x.server);
  if (problems.length || c.session.failure) {
    renderChrome();
    if (problems.length) goTo(problems[0].path);
    else c.chrome.banner.querySelector('.banner')?.focus?.();
    return;
  }
  await saveNow(c);
  current = null;
  await enqueue(c.record);
  location.hash = '#/';
}

async function saveAndExit() {
  const c = current;
  await c.session.idle();
  await saveNow(c);
  current = null;
  location.hash = '#/';
}
