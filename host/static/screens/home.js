/* The home screen: the outbox, then each study with its dashboard link (supervisors), the
 * responses sent back for correction, the enumerator's cases and each form with the
 * responses on this phone. Every response is named by what the form says names it (its
 * `x-summary` answers), else its case, else when it was started, and shows its state. */
import { h, put, main } from '../dom.js';
import { state, canSubmit, seesDashboard } from '../state.js';
import { t, L, lang, when } from '../words.js';
import { responses } from '../storage.js';
import { ApiError, loadStudies, loadWork, loadMe, loadVersion, warmForms } from '../api.js';
import { sync, saveToFile } from '../outbox.js';
import { summaryOf, textIn, formLanguages } from '../schema.js';
import { displayNumber, numberLocale } from '../numbers.js';
import { confirmDialog } from '../dialog.js';

let warmed = false;

export async function home({ signOut }) {
  if (!document.getElementById('outbox')) main().replaceChildren(h('h1', { text: t('studies') }), h('p', { class: 'muted', text: t('loading') }));
  let studies;
  try {
    studies = await loadStudies();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return signOut(true);
    main().replaceChildren(h('h1', { text: t('studies') }), h('p', { class: 'banner error', role: 'alert', text: t('not_available') }));
    return;
  }
  const [works] = await Promise.all([Promise.all(studies.map((s) => loadWork(s.id))), loadMe({ maxAge: 60000 }).catch(() => null)]);
  if (!warmed && navigator.onLine) {
    warmed = true;
    warmOffline(studies);
  }
  if (!location.hash.match(/^#?\/?$/) && location.hash !== '') return; // another screen was opened meanwhile
  const all = await responses.all();
  const versions = await versionsFor(studies, works, all);
  const outbox = h('section', { class: 'card', id: 'outbox', 'aria-labelledby': 'outbox-title' });
  const sections = studies.map((study, i) => h('section', { class: 'card study', 'data-study': study.id },
    h('h2', { text: L(study.title) }),
    seesDashboard(study.id) ? h('p', {}, h('a', { class: 'dashboard-link', href: `/studies/${encodeURIComponent(study.id)}/dashboard?lang=${lang()}`, text: t('dashboard') })) : null,
    works[i] ? returnedList(study, works[i].returned, all, versions) : null,
    works[i] && (works[i].cases.length || state.session) ? caseList(study, works[i].cases, all) : null,
    canSubmit(study.id) ? null : h('p', { class: 'muted no-submit', text: t('no_submit_role') }),
    study.forms.length ? study.forms.map((form) => {
      const mine = all.filter((r) => r.study === study.id && r.form === form.id && r.status !== 'queued')
        .sort((a, b) => b.updated - a.updated).slice(0, 30);
      return h('div', { class: 'form', 'data-form': form.id },
        h('h3', { text: L(form.title) }),
        h('p', { class: 'muted' }, `${t('version')} ${form.latest_version} · `,
          h('span', { class: 'offline-badge', text: state.offlineReady ? t('offline_ready') : t('not_offline_ready') })),
        canSubmit(study.id) ? h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'button', 'data-action': 'new',
          onclick: () => newResponse(study.id, form.id, form.latest_version), text: t('new_response') })) : null,
        mine.length ? h('ul', { class: 'list responses', 'aria-label': t('my_responses') }, mine.map((r) => responseItem(r, versions))) : null);
    }) : h('p', { class: 'muted', text: t('no_forms') })));
  put(main(), h('h1', { text: t('studies') }), notice(), outbox, ...sections,
    state.session ? h('p', { class: 'muted', text: t('signed_in_as', state.session.user) }) : null,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'danger', 'data-action': 'signout', onclick: () => signOut(false), text: t('signout') })));
  refreshOutbox(versions);
}

/** The latest version of each form, a copy kept offline with its logic plugin. */
async function warmOffline(studies) {
  try {
    await warmForms(studies);
    if (navigator.serviceWorker) await navigator.serviceWorker.ready;
    state.offlineReady = true;
    localStorage.setItem('campo.offlineReady', '1');
    document.body.dataset.offlineReady = '1';
    for (const b of document.querySelectorAll('.offline-badge')) b.textContent = t('offline_ready');
  } catch (_) { /* the next visit tries again */ }
}

/** The form versions the lists need (to name responses and label scores), from the phone's copy. */
async function versionsFor(studies, works, all) {
  const wanted = new Map();
  const want = (study, form, version) => { if (study && form && version) wanted.set(`${study}/${form}/${version}`, [study, form, version]); };
  for (const r of all) want(r.study, r.form, r.version);
  studies.forEach((s, i) => { for (const x of (works[i] && works[i].returned) || []) want(s.id, x.form, x.version); });
  const out = new Map();
  await Promise.all([...wanted].map(async ([key, [study, form, version]]) => {
    try { out.set(key, await loadVersion(study, form, version)); } catch (_) { /* named by time then */ }
  }));
  return out;
}

const versionOf = (versions, r) => versions.get(`${r.study}/${r.form}/${r.version}`);

/** A form's text in the app's language (the form's default when it has no such language). */
function formText(version, text) {
  const { fallback } = formLanguages(version ? version.schema : {});
  return textIn(text, lang(), fallback);
}

/** What names a response: the form's summary answers, else its case, else when it started. */
function nameOf(r, version, answers = r.answers) {
  const parts = version ? summaryOf(version.schema, answers || {}) : (r.summary || []);
  const text = parts.map((x) => (typeof x === 'number' ? displayNumber(x, numberLocale(lang(), navigator.languages || [])) : formText(version, x))).filter(Boolean).join(' · ');
  if (text) return text;
  if (r.case) return t('summary_case', r.case);
  return t('summary_started', when(r.created || Date.now()));
}

export function notice() {
  if (!state.notice) return null;
  const el = h('p', { class: 'banner ok', role: 'status', text: state.notice });
  state.notice = null;
  return el;
}

function badge(status) {
  return h('span', { class: 'badge ' + status, text: t(status) });
}

/** A sent response's scores, with the labels the form version declares. */
function scoresOf(r, version) {
  const scores = r.receipt && r.receipt.scores;
  if (!scores || !Object.keys(scores).length) return null;
  const declared = (version && version.scores) || [];
  const locale = numberLocale(lang(), navigator.languages || []);
  return h('dl', { class: 'scores' }, Object.entries(scores).flatMap(([name, v]) => {
    const d = declared.find((x) => x.name === name) || {};
    const category = v.category ? (d.categories || []).find((c) => c.code === v.category) : null;
    const value = v.value === null || v.value === undefined ? '—' : displayNumber(v.value, locale);
    return [h('dt', { text: L(d.label) || name }),
      h('dd', { 'data-score': name, text: v.category ? `${value} · ${category ? L(category.label) : v.category}` : value })];
  }));
}

function responseItem(r, versions) {
  const version = versionOf(versions, r);
  const named = (version ? summaryOf(version.schema, r.answers || {}) : r.summary || []).length > 0;
  const editable = r.status === 'draft' || r.status === 'refused';
  return h('li', { 'data-response': r.id, 'data-status': r.status },
    h('div', { class: 'grow' },
      h('strong', { class: 'summary', text: nameOf(r, version) }), ' ', badge(r.status),
      h('span', { class: 'muted' }, named && r.case ? ` · ${t('case')} ${r.case}` : '',
        r.correction ? ` · ${t('correction')}` : '', named || r.case ? ` · ${t('started')} ${when(r.created)}` : ''),
      r.status === 'refused' && r.refusal ? h('p', { class: 'refusal', role: 'note' }, h('strong', { text: t('refusal') }), ' ', L(r.refusal)) : null,
      r.status === 'sent' ? scoresOf(r, version) : null),
    editable ? h('button', { type: 'button', class: 'small', 'data-action': 'open', onclick: () => { location.hash = '#/r/' + r.id; }, text: t('open') }) : null,
    r.status === 'refused' ? h('button', { type: 'button', class: 'small', 'data-action': 'save-file', onclick: () => saveToFile(r), text: t('save_file') }) : null,
    editable ? h('button', { type: 'button', class: 'small danger', 'data-action': 'delete', onclick: () => remove(r), text: t('delete') }) : null);
}

async function remove(r) {
  if (!(await confirmDialog({ title: t('delete_title'), body: t('delete_body'), yes: t('delete'), danger: true }))) return;
  await responses.remove(r.id);
  window.dispatchEvent(new CustomEvent('campo:outbox', { detail: { changed: true } }));
}

/** Responses a supervisor sent back, each with the comment, unless its correction already left. */
function returnedList(study, returned, all, versions) {
  const open = returned.filter((x) => {
    const r = all.find((y) => y.id === x.id);
    return !(r && r.correction && r.correction.revision === x.revision && (r.status === 'queued' || r.status === 'sent'));
  });
  if (!open.length) return null;
  const formTitle = (form) => L((study.forms.find((f) => f.id === form) || {}).title) || form;
  return h('div', { class: 'returned' }, h('h3', { text: t('returned_title') }),
    h('ul', { class: 'list' }, open.map((x) => {
      const version = versions.get(`${study.id}/${x.form}/${x.version}`);
      const name = nameOf({ case: x.case, created: Date.parse(x.reviewed_at || '') || Date.now() }, version, x.answers);
      // Its state: sent back, or being corrected on this phone (a draft, or not accepted again).
      const local = all.find((y) => y.id === x.id && y.correction && y.correction.revision === x.revision);
      return h('li', { 'data-returned': x.id },
        h('div', { class: 'grow' },
          h('strong', { class: 'summary', text: name }), ' ', badge(local ? local.status : 'returned'),
          h('span', { class: 'muted', text: ` · ${formTitle(x.form)}` }),
          h('p', { class: 'comment' }, h('strong', { text: t('supervisor_comment') }), ' ', x.comment || ''),
          h('span', { class: 'muted', text: [x.reviewed_by, x.reviewed_at ? when(Date.parse(x.reviewed_at)) : ''].filter(Boolean).join(', ') })),
        h('button', { type: 'button', class: 'small primary', 'data-action': 'correct', onclick: () => openReturned(study.id, x), text: t('correct') }));
    })));
}

/** Opens a returned response as a correction draft (kept if one for this revision exists). */
async function openReturned(study, x) {
  const mine = await responses.get(x.id);
  if (!(mine && mine.correction && mine.correction.revision === x.revision && mine.status !== 'sent')) {
    await responses.put({ created: Date.now(), ...mine, id: x.id, study, form: x.form, version: x.version, case: x.case || undefined,
      answers: x.answers, status: 'draft', errors: [], refusal: null, page: 0, attempts: 0, nextAttemptAt: 0, opened: false,
      correction: { revision: x.revision, comment: x.comment, comments: x.comments, by: x.reviewed_by } });
  }
  location.hash = '#/r/' + x.id;
}

/** Cases assigned to the enumerator: open ones first, then those done (here or on the server). */
function caseList(study, cases, all) {
  const rows = cases.map((c) => {
    const local = all.filter((r) => r.study === study.id && r.case === c.key).sort((a, b) => b.updated - a.updated)[0];
    const done = c.responses > 0 || (!!local && (local.status === 'queued' || local.status === 'sent'));
    return { c, local, done };
  }).sort((a, b) => a.done - b.done);
  const item = ({ c, local, done }) => {
    const forms = study.forms.filter((f) => (c.form ? f.id === c.form : true));
    const draft = local && (local.status === 'draft' || local.status === 'refused');
    return h('li', { 'data-case': c.key, 'data-done': done ? '1' : '0' },
      h('div', { class: 'grow' }, h('strong', { text: c.key }), ' ', done ? badge('done') : draft ? badge(local.status) : null,
        c.team ? h('span', { class: 'muted', text: ` · ${t('team')} ${c.team}` }) : null,
        Object.keys(c.attributes || {}).length
          ? h('dl', { class: 'attrs' }, Object.entries(c.attributes).flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: String(v ?? '') })]))
          : null),
      draft ? h('button', { type: 'button', class: 'small', onclick: () => { location.hash = '#/r/' + local.id; }, text: t('open') })
        : done || !canSubmit(study.id) ? null
        : forms.map((f) => h('button', { type: 'button', class: 'small primary', 'data-action': 'start-case',
          onclick: () => newResponse(study.id, f.id, f.latest_version, c.key), text: forms.length > 1 ? `${t('start')}: ${L(f.title)}` : t('start') })));
  };
  return h('div', { class: 'cases' }, h('h3', { text: t('my_cases') }),
    rows.length ? h('ul', { class: 'list' }, rows.map(item)) : h('p', { class: 'muted', text: t('no_cases') }));
}

/** The outbox card: what waits to be sent, each named and with its last try. */
export async function refreshOutbox(versions = new Map()) {
  const box = document.getElementById('outbox');
  if (!box) return;
  const queued = (await responses.all()).filter((r) => r.status === 'queued').sort((a, b) => a.created - b.created);
  box.dataset.count = String(queued.length);
  put(box,
    h('h2', { id: 'outbox-title', text: t('outbox') }),
    state.authProblem ? h('p', { class: 'banner error', role: 'alert', text: t('sign_again') }) : null,
    h('p', { class: 'outbox-count', role: 'status', text: queued.length ? t('outbox_waiting', queued.length) : t('outbox_empty') }),
    queued.length ? h('ul', { class: 'list' }, queued.map((r) => h('li', { 'data-response': r.id, 'data-status': r.status },
      h('div', { class: 'grow' }, h('strong', { class: 'summary', text: nameOf(r, versionOf(versions, r)) }), ' ', badge('queued'),
        h('span', { class: 'muted', text: ` · ${r.form}${r.case ? ` · ${t('case')} ${r.case}` : ''} · ${when(r.created)}` }),
        r.attempts ? h('span', { class: 'muted', text: ` · ${r.attempts} ${t('attempts')}, ${t('next_try')} ${when(r.nextAttemptAt)}` }) : null,
        r.lastError ? h('span', { class: 'muted', text: ` · ${r.lastError}` }) : null),
      h('button', { type: 'button', class: 'small', 'data-action': 'save-file', onclick: () => saveToFile(r), text: t('save_file') })))) : null,
    queued.length ? h('div', { class: 'actions' }, h('button', { type: 'button', disabled: state.syncing,
      onclick: () => sync({ now: true }), text: state.syncing ? t('syncing') : t('sync_now') })) : null);
}

export async function newResponse(study, form, version, caseKey) {
  const id = crypto.randomUUID ? crypto.randomUUID() : uuid4();
  await responses.put({ id, study, form, version, case: caseKey, answers: {}, status: 'draft', errors: [], page: 0, created: Date.now() });
  location.hash = '#/r/' + id;
}

function uuid4() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
