/* Campo's enumerator app: sign in with a username and password or a token, the enumerator's
 * studies, forms, assigned cases and responses sent back for correction, responses kept in
 * IndexedDB (drafts, the outbox, what was sent or refused), and an outbox that syncs with retries
 * and backoff. Works offline after one online visit (sw.js). */
(function (Campo) {
  'use strict';
  const { FormSession, PageView, h, segments } = Campo.form;

  // ---- Words ----------------------------------------------------------------------------------------
  const WORDS = {
    es: {
      switch_lang: 'English', signin_title: 'Ingresar', token: 'Token de encuestador(a)',
      token_hint: 'Péguelo tal como se lo entregó la coordinación del estudio.', signin: 'Ingresar',
      bad_token: 'El token no es válido o ya no está vigente.', need_network: 'Sin conexión: la primera vez necesita internet para ingresar.',
      studies: 'Mis estudios', new_response: 'Nueva respuesta', version: 'versión', offline_ready: 'Disponible sin conexión',
      not_offline_ready: 'Aún no está disponible sin conexión', outbox: 'Bandeja de salida', outbox_empty: 'No hay respuestas esperando envío.',
      outbox_waiting: (n) => (n === 1 ? '1 respuesta espera envío.' : `${n} respuestas esperan envío.`), sync_now: 'Sincronizar ahora',
      online: 'En línea', offline: 'Sin conexión', signout: 'Salir', signout_pending: 'Hay respuestas sin enviar; quedarán en este teléfono. ¿Salir igual?',
      draft: 'Borrador', queued: 'Por enviar', sent: 'Enviada', refused: 'Devuelta', open: 'Abrir', delete: 'Eliminar',
      next_try: 'próximo intento', attempts: 'intentos', syncing: 'Enviando…', section: (i, n) => `Sección ${i} de ${n}`,
      previous: 'Anterior', next: 'Siguiente', review: 'Revisar', review_title: 'Revisión', save_exit: 'Guardar y salir',
      finalize: 'Finalizar', finalized: 'Respuesta finalizada: quedó en la bandeja de salida.', problems: 'Falta corregir:',
      ready: 'Todo listo para finalizar.', refused_banner: 'El servidor devolvió esta respuesta. Corrija lo indicado y finalícela de nuevo:',
      add_item: 'Agregar', remove_item: 'Quitar', clear: 'Borrar respuesta', choose: '— Elija una opción —',
      choose_parent_first: 'Responda primero la pregunta anterior.', general: 'Preguntas generales', warnings: 'Advertencias:',
      logic_failed: 'No se pudo evaluar la lógica del formulario:', not_available: 'Este formulario no está disponible sin conexión todavía.',
      sign_again: 'Su token ya no es válido: ingrese de nuevo para enviar.', sent_scores: 'Puntajes', no_forms: 'Sin formularios.',
      started: 'iniciada', loading: 'Cargando…', go_to: 'Ir a la pregunta', conflict: 'El servidor ya tiene otra respuesta con este identificador.',
      user: 'Usuario', password: 'Contraseña', or_token: 'O bien, con un token:', bad_password: 'Usuario o contraseña incorrectos.',
      too_many: (s) => `Demasiados intentos fallidos: espere ${s} s y vuelva a intentar.`, signed_in_as: (u) => `Sesión de ${u}`,
      my_cases: 'Mis casos', no_cases: 'No tiene casos asignados.', team: 'equipo', case: 'Caso', done: 'Hecho', start: 'Iniciar',
      dashboard: 'Panel de trabajo de campo', returned_title: 'Devueltas para corregir', supervisor_comment: 'Comentario de la supervisión:', correct: 'Corregir', correction: 'corrección',
    },
    en: {
      switch_lang: 'Español', signin_title: 'Sign in', token: 'Enumerator token',
      token_hint: 'Paste it exactly as the study coordinators gave it to you.', signin: 'Sign in',
      bad_token: 'The token is not valid or has expired.', need_network: 'Offline: signing in the first time needs the internet.',
      studies: 'My studies', new_response: 'New response', version: 'version', offline_ready: 'Available offline',
      not_offline_ready: 'Not available offline yet', outbox: 'Outbox', outbox_empty: 'No responses are waiting to be sent.',
      outbox_waiting: (n) => (n === 1 ? '1 response is waiting to be sent.' : `${n} responses are waiting to be sent.`), sync_now: 'Sync now',
      online: 'Online', offline: 'Offline', signout: 'Sign out', signout_pending: 'Some responses are not sent yet; they stay on this phone. Sign out anyway?',
      draft: 'Draft', queued: 'Waiting', sent: 'Sent', refused: 'Returned', open: 'Open', delete: 'Delete',
      next_try: 'next try', attempts: 'attempts', syncing: 'Sending…', section: (i, n) => `Section ${i} of ${n}`,
      previous: 'Previous', next: 'Next', review: 'Review', review_title: 'Review', save_exit: 'Save and exit',
      finalize: 'Finalize', finalized: 'Response finalized: it is in the outbox.', problems: 'Still to fix:',
      ready: 'Everything is ready to finalize.', refused_banner: 'The server returned this response. Fix what is marked and finalize it again:',
      add_item: 'Add', remove_item: 'Remove', clear: 'Clear answer', choose: '— Choose an option —',
      choose_parent_first: 'Answer the previous question first.', general: 'General questions', warnings: 'Warnings:',
      logic_failed: 'The form logic could not be evaluated:', not_available: 'This form is not available offline yet.',
      sign_again: 'Your token is no longer valid: sign in again to send.', sent_scores: 'Scores', no_forms: 'No forms.',
      started: 'started', loading: 'Loading…', go_to: 'Go to the question', conflict: 'The server already holds another response with this id.',
      user: 'Username', password: 'Password', or_token: 'Or with a token:', bad_password: 'Wrong username or password.',
      too_many: (s) => `Too many failed attempts: wait ${s} s and try again.`, signed_in_as: (u) => `Signed in as ${u}`,
      my_cases: 'My cases', no_cases: 'You have no cases assigned.', team: 'team', case: 'Case', done: 'Done', start: 'Start',
      dashboard: 'Fieldwork dashboard', returned_title: 'Returned for correction', supervisor_comment: "Supervisor's comment:", correct: 'Correct', correction: 'correction',
    },
  };

  const state = {
    token: localStorage.getItem('campo.token'),
    // A password sign-in: { user, expires_at }; null for a token given by the coordinators.
    session: JSON.parse(localStorage.getItem('campo.session') || 'null'),
    lang: localStorage.getItem('campo.lang') || 'es',
    notice: null,
    authProblem: false,
    syncing: false,
    offlineReady: localStorage.getItem('campo.offlineReady') === '1',
  };
  const t = (key, ...args) => {
    const w = WORDS[state.lang][key] ?? WORDS.es[key] ?? key;
    return typeof w === 'function' ? w(...args) : w;
  };
  const L = (text) => (!text ? '' : typeof text === 'string' ? text : text[state.lang] || text.es || text.en || '');
  const main = document.getElementById('main');
  /** replaceChildren without the nulls of optional parts (it would print them). */
  const put = (el, ...children) => el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));

  // ---- IndexedDB: responses survive browser restarts ------------------------------------------------
  const db = new Promise((resolve, reject) => {
    const open = indexedDB.open('campo', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('responses', { keyPath: 'id' });
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  async function tx(mode, fn) {
    const conn = await db;
    return new Promise((resolve, reject) => {
      const store = conn.transaction('responses', mode).objectStore('responses');
      const req = fn(store);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  const responses = {
    all: () => tx('readonly', (s) => s.getAll()),
    get: (id) => tx('readonly', (s) => s.get(id)),
    put: (r) => tx('readwrite', (s) => s.put({ ...r, updated: Date.now() })),
    remove: (id) => tx('readwrite', (s) => s.delete(id)),
  };

  // ---- The API, with the Cache API as the offline copy ------------------------------------------------
  const DATA_CACHE = 'campo-data-v1';
  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || `HTTP ${status}`);
      this.status = status;
      this.body = body;
    }
  }
  const auth = () => ({ Authorization: 'Bearer ' + state.token });

  /** GET with the network first and the cached copy when offline. The service worker does the
   * same; the page stores copies itself too, for the first visit, before the worker controls it. */
  async function get(path, as = 'json') {
    let response;
    try {
      response = await fetch(path, { headers: auth() });
    } catch (e) {
      response = await caches.match(path);
      if (!response) throw e;
    }
    if (!response.ok) {
      const cached = response.status >= 500 ? await caches.match(path) : null;
      if (!cached) throw new ApiError(response.status, await response.json().catch(() => null));
      response = cached;
    } else if (!navigator.serviceWorker || !navigator.serviceWorker.controller) {
      const copy = response.clone();
      caches.open(DATA_CACHE).then((c) => c.put(path, copy)).catch(() => {});
    }
    return as === 'bytes' ? new Uint8Array(await response.arrayBuffer()) : response.json();
  }

  const formPath = (study, form) => `/api/v1/studies/${encodeURIComponent(study)}/forms/${encodeURIComponent(form)}`;
  const versionPath = (study, form, version) => `${formPath(study, form)}/versions/${encodeURIComponent(version)}`;
  const pluginPath = (hash) => `/api/v1/plugins/${hash}`;

  /** Everything the enumerator needs offline: their studies, each form's latest version and its
   * logic plugin. */
  async function warm() {
    const { studies } = await get('/api/v1/studies');
    const full = await Promise.all(studies.map((s) => get(`/api/v1/studies/${encodeURIComponent(s.id)}`)));
    await Promise.all(full.flatMap((study) => study.forms.map(async (form) => {
      const latest = await get(formPath(study.id, form.id));
      const version = await get(versionPath(study.id, form.id, latest.version));
      if (version.logic_plugin) await get(pluginPath(version.logic_plugin), 'bytes');
    })));
    if (navigator.serviceWorker) await navigator.serviceWorker.ready;
    state.offlineReady = true;
    localStorage.setItem('campo.offlineReady', '1');
    document.body.dataset.offlineReady = '1';
    return full;
  }

  async function loadStudies() {
    const { studies } = await get('/api/v1/studies');
    return Promise.all(studies.map((s) => get(`/api/v1/studies/${encodeURIComponent(s.id)}`)));
  }

  /** The enumerator's cases and returned responses in a study; the cached copy offline (get keeps
   * it with the other study data); null for callers without work there (not enumerators). */
  const loadWork = (study) => get(`/api/v1/studies/${encodeURIComponent(study)}/work`).catch(() => null);

  // ---- Plugins: run in a Web Worker with a watchdog ---------------------------------------------------
  const runner = new CampoPlugin.Runner({ scriptUrl: 'campo-plugin.js', timeoutMs: 3000 });
  async function logicFor(version) {
    if (!version.logic_plugin) return async () => ({ fields: {}, computed: {}, issues: [] });
    const bytes = await get(pluginPath(version.logic_plugin), 'bytes');
    return (answers) => runner.call(version.logic_plugin, bytes, 'logic', {
      study: version.study, form: version.form, version: version.version, answers, settings: version.settings,
    });
  }

  // ---- The outbox -------------------------------------------------------------------------------------
  const BACKOFF_MS = [2000, 5000, 15000, 30000, 60000, 120000, 300000];
  let syncTimer = null;

  /** Sends every finalized response that is due. Each keeps its client UUID, so a retry after a
   * lost answer is stored once (the server answers 200 to an identical retry). */
  async function sync({ now = false } = {}) {
    if (state.syncing || !state.token) return;
    state.syncing = true;
    refreshOutbox();
    try {
      const queued = (await responses.all()).filter((r) => r.status === 'queued');
      for (const r of queued) {
        if (!now && (r.nextAttemptAt || 0) > Date.now()) continue;
        await send(r);
        if (state.authProblem) break;
      }
    } finally {
      state.syncing = false;
      scheduleSync();
      if (!current && document.getElementById('outbox')) home(); else refreshOutbox();
    }
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
        body: JSON.stringify(r.correction ? { answers: r.answers, version: r.version }
          : { id: r.id, answers: r.answers, version: r.version, case: r.case, started_at: r.startedAt, completed_at: r.completedAt }),
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
    if (response.status === 401 || response.status === 403) {
      state.authProblem = true;
      return retryLater(r, t('sign_again'));
    }
    if (response.status === 422 || response.status === 400 || response.status === 409 || response.status === 413) {
      const errors = (body && body.errors) || [];
      const message = response.status === 409 && !r.correction ? { es: WORDS.es.conflict, en: WORDS.en.conflict }
        : { es: (body && body.message) || `HTTP ${response.status}`, en: (body && body.message_en) || `HTTP ${response.status}` };
      return responses.put({ ...r, status: 'refused', errors, refusal: message, lastError: null });
    }
    return retryLater(r, `HTTP ${response.status}`);
  }

  function sent(r, receipt) {
    state.authProblem = false;
    return responses.put({ ...r, status: 'sent', receipt, errors: [], lastError: null, sentAt: Date.now() });
  }

  function retryLater(r, reason) {
    const attempts = (r.attempts || 0) + 1;
    const base = BACKOFF_MS[Math.min(attempts - 1, BACKOFF_MS.length - 1)];
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    return responses.put({ ...r, attempts, nextAttemptAt: Date.now() + delay, lastError: reason });
  }

  async function scheduleSync() {
    clearTimeout(syncTimer);
    const queued = (await responses.all()).filter((r) => r.status === 'queued');
    if (!queued.length || state.authProblem) return;
    const due = Math.min(...queued.map((r) => r.nextAttemptAt || 0));
    syncTimer = setTimeout(() => sync(), Math.max(0, due - Date.now()) + 50);
  }

  /** Back online: try everything now rather than waiting out the backoff. */
  function onOnline() {
    renderNet();
    if (state.token) {
      sync({ now: true });
      if (!state.offlineReady) warm().catch(() => {});
    }
  }

  // ---- Screens ------------------------------------------------------------------------------------------
  let current = null; // the open form: { record, session, view, page }

  function renderNet() {
    const net = document.getElementById('net');
    net.textContent = navigator.onLine ? t('online') : t('offline');
    net.classList.toggle('offline', !navigator.onLine);
    const lang = document.getElementById('lang');
    lang.textContent = t('switch_lang');
    lang.lang = state.lang === 'es' ? 'en' : 'es';
    document.documentElement.lang = state.lang;
  }

  /** One form, one button: a username and password (a session), or else a token. */
  function signIn() {
    const user = h('input', { type: 'text', id: 'user', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false' });
    const password = h('input', { type: 'password', id: 'password', autocomplete: 'current-password' });
    const input = h('input', { type: 'password', id: 'token', autocomplete: 'off', 'aria-describedby': 'token-hint', spellcheck: 'false' });
    const error = h('p', { class: 'banner error', role: 'alert', hidden: true });
    const form = h('form', { class: 'card', onsubmit: async (e) => {
      e.preventDefault();
      const name = user.value.trim();
      const token = input.value.trim();
      if (name && !password.value) return password.focus();
      if (!name && !token) return user.focus();
      error.hidden = true;
      try {
        if (name) {
          const response = await fetch('/api/v1/session', { method: 'POST', headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ user: name, password: password.value }) });
          const body = await response.json().catch(() => null);
          if (response.status === 429) throw new Error(t('too_many', response.headers.get('Retry-After') || '…'));
          if (response.status === 401) throw new Error(t('bad_password'));
          if (response.status !== 201) throw new Error(L({ es: body?.message, en: body?.message_en }) || `HTTP ${response.status}`);
          return enter(body.token, { user: body.user, expires_at: body.expires_at });
        }
        const response = await fetch('/api/v1/studies', { headers: { Authorization: 'Bearer ' + token } });
        if (!response.ok) throw new ApiError(response.status, null);
        enter(token, null);
      } catch (err) {
        error.textContent = err instanceof ApiError ? t('bad_token') : err instanceof TypeError ? t('need_network') : err.message;
        error.hidden = false;
      }
    } },
    h('label', { for: 'user', class: 'label', text: t('user') }), user,
    h('label', { for: 'password', class: 'label', text: t('password') }), password,
    h('p', { class: 'or', text: t('or_token') }),
    h('label', { for: 'token', class: 'label', text: t('token') }),
    h('p', { class: 'muted', id: 'token-hint', text: t('token_hint') }),
    input, error,
    h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit', text: t('signin') })));
    main.replaceChildren(h('h1', { text: t('signin_title') }), form);
    user.focus();
  }

  /** Keeps the token where every request finds it, and starts: home, the offline copy, the outbox. */
  function enter(token, session) {
    state.token = token;
    state.session = session;
    state.authProblem = false;
    localStorage.setItem('campo.token', token);
    if (session) localStorage.setItem('campo.session', JSON.stringify(session));
    else localStorage.removeItem('campo.session');
    // Pages opened by following a link (the dashboard) cannot send the Authorization header: a
    // password sign-in got an HttpOnly cookie from the server; a token sign-in gets one here.
    if (!session) document.cookie = `campo_session=${token}; Path=/studies; SameSite=Strict; Max-Age=43200`;
    location.hash = '#/';
    route();
    warm().then(refreshHomeBadges).catch(() => {});
    sync({ now: true });
  }

  function badge(status) {
    return h('span', { class: 'badge ' + status, text: t(status) });
  }

  async function home() {
    if (!document.getElementById('outbox')) main.replaceChildren(h('h1', { text: t('studies') }), h('p', { class: 'muted', text: t('loading') }));
    let studies;
    try {
      studies = await loadStudies();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return signOut(true);
      main.replaceChildren(h('h1', { text: t('studies') }), h('p', { class: 'banner error', role: 'alert', text: t('not_available') }));
      return;
    }
    const works = await Promise.all(studies.map((s) => loadWork(s.id)));
    const me = await get('/api/v1/me').catch(() => null);
    // Supervisors, analysts and admins get the study's fieldwork dashboard.
    const seesDashboard = (study) => !!me && me.roles.some((r) => r.role === 'admin'
      || ((r.role === 'supervisor' || r.role === 'analyst') && (r.study === null || r.study === study)));
    if (current) return; // a form was opened meanwhile
    const all = await responses.all();
    const outbox = h('section', { class: 'card', id: 'outbox', 'aria-labelledby': 'outbox-title' });
    const sections = studies.map((study, i) => h('section', { class: 'card study', 'data-study': study.id },
      h('h2', { text: L(study.title) }),
      seesDashboard(study.id) ? h('p', {}, h('a', { class: 'dashboard-link', href: `/studies/${encodeURIComponent(study.id)}/dashboard?lang=${state.lang}`, text: t('dashboard') })) : null,
      works[i] ? returnedList(study, works[i].returned, all) : null,
      works[i] && (works[i].cases.length || state.session) ? caseList(study, works[i].cases, all) : null,
      study.forms.length ? study.forms.map((form) => {
        const mine = all.filter((r) => r.study === study.id && r.form === form.id && r.status !== 'queued')
          .sort((a, b) => b.updated - a.updated).slice(0, 30);
        return h('div', { class: 'form', 'data-form': form.id },
          h('h3', { text: L(form.title) }),
          h('p', { class: 'muted' }, `${t('version')} ${form.latest_version} · `,
            h('span', { class: 'offline-badge', text: state.offlineReady ? t('offline_ready') : t('not_offline_ready') })),
          h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'button', 'data-action': 'new',
            onclick: () => newResponse(study.id, form.id, form.latest_version), text: t('new_response') })),
          mine.length ? h('ul', { class: 'list responses' }, mine.map(responseItem)) : null);
      }) : h('p', { class: 'muted', text: t('no_forms') })));
    put(main, h('h1', { text: t('studies') }), notice(), outbox, ...sections,
      state.session ? h('p', { class: 'muted', text: t('signed_in_as', state.session.user) }) : null,
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'danger', 'data-action': 'signout', onclick: () => signOut(false), text: t('signout') })));
    refreshOutbox();
  }

  const formTitle = (study, form) => L((study.forms.find((f) => f.id === form) || {}).title) || form;

  /** Responses a supervisor sent back, each with the comment, unless its correction already left. */
  function returnedList(study, returned, all) {
    const open = returned.filter((x) => {
      const r = all.find((y) => y.id === x.id);
      return !(r && r.correction && r.correction.revision === x.revision && (r.status === 'queued' || r.status === 'sent'));
    });
    if (!open.length) return null;
    return h('div', { class: 'returned' }, h('h3', { text: t('returned_title') }),
      h('ul', { class: 'list' }, open.map((x) => h('li', { 'data-returned': x.id },
        h('div', { class: 'grow' },
          h('strong', { text: formTitle(study, x.form) + (x.case ? ` · ${t('case')} ${x.case}` : '') }),
          h('p', { class: 'comment' }, h('strong', { text: t('supervisor_comment') }), ' ', x.comment || ''),
          h('span', { class: 'muted', text: [x.reviewed_by, x.reviewed_at ? when(Date.parse(x.reviewed_at)) : ''].filter(Boolean).join(', ') })),
        h('button', { type: 'button', class: 'small primary', 'data-action': 'correct', onclick: () => openReturned(study.id, x), text: t('correct') })))));
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
          : done ? null
          : forms.map((f) => h('button', { type: 'button', class: 'small primary', 'data-action': 'start-case',
            onclick: () => newResponse(study.id, f.id, f.latest_version, c.key), text: forms.length > 1 ? `${t('start')}: ${L(f.title)}` : t('start') })));
    };
    return h('div', { class: 'cases' }, h('h3', { text: t('my_cases') }),
      rows.length ? h('ul', { class: 'list' }, rows.map(item)) : h('p', { class: 'muted', text: t('no_cases') }));
  }

  /** Opens a returned response as a correction draft (kept if one for this revision exists). */
  async function openReturned(study, x) {
    const mine = await responses.get(x.id);
    if (!(mine && mine.correction && mine.correction.revision === x.revision && mine.status !== 'sent')) {
      await responses.put({ created: Date.now(), ...mine, id: x.id, study, form: x.form, version: x.version, case: x.case || undefined,
        answers: x.answers, status: 'draft', errors: [], refusal: null, page: 0, attempts: 0, nextAttemptAt: 0,
        correction: { revision: x.revision, comment: x.comment, by: x.reviewed_by } });
    }
    location.hash = '#/r/' + x.id;
  }

  function refreshHomeBadges() {
    for (const b of document.querySelectorAll('.offline-badge')) b.textContent = state.offlineReady ? t('offline_ready') : t('not_offline_ready');
  }

  function notice() {
    if (!state.notice) return null;
    const el = h('p', { class: 'banner ok', role: 'status', text: state.notice });
    state.notice = null;
    return el;
  }

  function when(ms) {
    return new Date(ms).toLocaleString(state.lang === 'es' ? 'es-CL' : 'en-GB', { dateStyle: 'short', timeStyle: 'short' });
  }

  function responseItem(r) {
    const open = r.status === 'draft' || r.status === 'refused';
    const scores = r.status === 'sent' && r.receipt && r.receipt.scores
      ? Object.entries(r.receipt.scores).map(([k, v]) => `${k}: ${v.value === null ? '—' : v.value}${v.category ? ` (${v.category})` : ''}`).join(', ')
      : '';
    return h('li', { 'data-response': r.id, 'data-status': r.status },
      badge(r.status),
      h('span', { class: 'grow' }, `${t('started')} ${when(r.created)}`, r.case ? ` · ${t('case')} ${r.case}` : '',
        r.correction ? ` · ${t('correction')}` : '', scores ? h('span', { class: 'muted', text: ` · ${scores}` }) : null),
      open ? h('button', { type: 'button', class: 'small', onclick: () => { location.hash = '#/r/' + r.id; }, text: t('open') }) : null,
      r.status === 'draft' ? h('button', { type: 'button', class: 'small danger', onclick: async () => { await responses.remove(r.id); home(); }, text: t('delete') }) : null);
  }

  async function refreshOutbox() {
    const box = document.getElementById('outbox');
    if (!box) return;
    const queued = (await responses.all()).filter((r) => r.status === 'queued').sort((a, b) => a.created - b.created);
    box.dataset.count = String(queued.length);
    put(box,
      h('h2', { id: 'outbox-title', text: t('outbox') }),
      state.authProblem ? h('p', { class: 'banner error', role: 'alert', text: t('sign_again') }) : null,
      h('p', { class: 'outbox-count', role: 'status', text: queued.length ? t('outbox_waiting', queued.length) : t('outbox_empty') }),
      queued.length ? h('ul', { class: 'list' }, queued.map((r) => h('li', { 'data-response': r.id, 'data-status': r.status },
        badge('queued'),
        h('span', { class: 'grow' }, `${r.study} / ${r.form}${r.case ? ` · ${r.case}` : ''} · ${when(r.created)}`,
          r.attempts ? h('span', { class: 'muted', text: ` · ${r.attempts} ${t('attempts')}, ${t('next_try')} ${when(r.nextAttemptAt)}` }) : null,
          r.lastError ? h('span', { class: 'muted', text: ` · ${r.lastError}` }) : null)))) : null,
      queued.length ? h('div', { class: 'actions' }, h('button', { type: 'button', disabled: state.syncing,
        onclick: () => sync({ now: true }), text: state.syncing ? t('syncing') : t('sync_now') })) : null);
  }

  async function newResponse(study, form, version, caseKey) {
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

  async function openResponse(id) {
    const record = await responses.get(id);
    if (!record || record.status === 'queued' || record.status === 'sent') {
      location.hash = '#/';
      return;
    }
    if (!record.startedAt && !record.correction) {
      record.startedAt = new Date().toISOString(); // for the interview's duration
      await responses.put(record);
    }
    main.replaceChildren(h('p', { class: 'muted', text: t('loading') }));
    let version;
    let evaluate;
    try {
      version = await get(versionPath(record.study, record.form, record.version));
      evaluate = await logicFor(version);
    } catch (e) {
      main.replaceChildren(h('p', { class: 'banner error', role: 'alert', text: t('not_available') }));
      return;
    }
    let title = record.form;
    try {
      const study = await get(`/api/v1/studies/${encodeURIComponent(record.study)}`);
      title = L((study.forms.find((f) => f.id === record.form) || {}).title) || title;
    } catch (_) { /* the id will do */ }

    const pageRoot = h('div', { class: 'page' });
    const session = new FormSession({
      version, answers: record.answers, serverErrors: record.status === 'refused' ? record.errors : [], evaluate,
      onUpdate: () => {
        if (current && current.session === session) {
          current.view.update();
          renderChrome();
          save();
        }
      },
    });
    const view = new PageView(pageRoot, session, { lang: state.lang, t, onStructure: () => { renderChrome(); save(); } });
    current = { record, session, view, page: Math.min(record.page || 0, session.pages.length), title, pageRoot, showProblems: false };
    await session.changed();
    renderForm();
  }

  let saveTimer = null;
  function save() {
    clearTimeout(saveTimer);
    const c = current;
    saveTimer = setTimeout(() => saveNow(c), 250);
  }
  function saveNow(c) {
    if (!c) return Promise.resolve();
    clearTimeout(saveTimer);
    c.record = { ...c.record, answers: c.session.answers, page: c.page, errors: c.session.serverErrors };
    return responses.put(c.record);
  }

  function visiblePages() {
    return current.session.pages.map((_, i) => i).filter((i) => current.session.pageVisible(i));
  }

  function renderForm() {
    const c = current;
    c.view.lang = state.lang;
    c.chrome = {
      progress: h('p', { class: 'progress', role: 'status' }),
      heading: h('h2', { class: 'section-title', tabindex: '-1' }),
      banner: h('div', { class: 'form-banner' }),
      pager: h('nav', { class: 'pager', 'aria-label': t('section', 1, 1) }),
    };
    put(main,
      h('h1', { text: c.title }), c.record.case ? h('p', { class: 'muted', text: `${t('case')} ${c.record.case}` }) : null,
      c.chrome.progress, c.chrome.heading, c.chrome.banner, c.pageRoot, c.chrome.pager);
    showPage(c.page, false);
  }

  function showPage(index, focus = true) {
    const c = current;
    const pages = visiblePages();
    if (index < c.session.pages.length && !pages.includes(index)) {
      index = pages.find((i) => i >= index) ?? c.session.pages.length;
    }
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

  /** Progress, section title, the banner (server refusal, problems on review) and the pager. */
  function renderChrome() {
    const c = current;
    if (!c || !c.chrome) return;
    const s = c.session;
    const pages = visiblePages();
    const reviewing = c.page >= s.pages.length;
    const position = reviewing ? pages.length + 1 : pages.indexOf(c.page) + 1;
    c.chrome.progress.textContent = t('section', position, pages.length + 1);
    c.chrome.heading.textContent = reviewing ? t('review_title') : L(s.pages[c.page].label) || t('general');

    const problems = s.problems();
    const items = [];
    if (c.record.correction) {
      items.push(h('div', { class: 'banner warn supervisor-comment', role: 'note' },
        h('strong', { text: t('supervisor_comment') }), ' ', c.record.correction.comment || ''));
    }
    if (s.failure) items.push(h('p', { class: 'banner error', role: 'alert', text: `${t('logic_failed')} ${s.failure.message}` }));
    if (c.record.status === 'refused' && s.serverErrors.length + (c.record.refusal ? 1 : 0) > 0) {
      items.push(problemList('error server-refusal', t('refused_banner') + (c.record.refusal ? ' ' + L(c.record.refusal) : ''),
        problems.filter((x) => x.server)));
    }
    if (reviewing) {
      const open = problems.filter((x) => !x.server);
      items.push(open.length ? problemList('error review-problems', t('problems'), open)
        : h('p', { class: 'banner ok', role: 'status', text: t('ready') }));
      const warnings = s.warnings();
      if (warnings.length) items.push(problemList('warn', t('warnings'), warnings));
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
          onclick: () => showPage(next === undefined ? s.pages.length : next), text: next === undefined ? t('review') : t('next') }));
    const exit = h('button', { type: 'button', 'data-action': 'save-exit', onclick: saveAndExit, text: t('save_exit') });
    c.chrome.pager.append(exit);
  }

  function problemList(kind, title, problems) {
    return h('div', { class: 'banner ' + kind, role: 'alert' }, h('strong', { text: title }),
      problems.length ? h('ul', {}, problems.map((x) => h('li', { 'data-problem-path': x.path },
        h('button', { type: 'button', class: 'link-like', onclick: () => goTo(x.path) }, questionLabel(x.path)), ': ', L(x.message)))) : null);
  }

  function questionLabel(p) {
    const s = current.session;
    const segs = segments(p);
    const parts = [];
    for (let i = segs.length; i > 0; i--) {
      const schema = s.schemaAt('/' + segs.slice(0, i).join('/'));
      if (schema && schema['x-label']) {
        parts.unshift(L(schema['x-label']) + (/^\d+$/.test(segs[i]) ? ` ${Number(segs[i]) + 1}` : ''));
        if (parts.length === 2) break;
      }
    }
    return parts.join(' › ') || p || t('general');
  }

  function goTo(p) {
    const c = current;
    showPage(c.session.pageOf(p), false);
    let el = null;
    for (let q = p; q && !el; q = q.replace(/\/[^/]*$/, '')) el = c.pageRoot.querySelector(`[data-path="${q}"]`);
    const target = el && (el.querySelector('input, select, textarea, button') || el);
    if (target) {
      target.scrollIntoView({ block: 'center' });
      target.focus();
    }
  }

  async function finalize() {
    const c = current;
    await c.session.idle();
    c.view.showRequired = true;
    // The server's earlier refusal does not block: the enumerator may have fixed it another way.
    const problems = c.session.problems().filter((x) => !x.server);
    if (problems.length || c.session.failure) {
      renderChrome();
      c.chrome.banner.querySelector('.banner')?.focus?.();
      return;
    }
    await saveNow(c);
    await responses.put({ ...c.record, answers: c.session.answers, status: 'queued', errors: [], refusal: null, attempts: 0, nextAttemptAt: 0,
      finalizedAt: Date.now(), completedAt: new Date().toISOString() });
    current = null;
    state.notice = t('finalized');
    location.hash = '#/';
    if (navigator.serviceWorker && navigator.serviceWorker.ready) {
      navigator.serviceWorker.ready.then((reg) => reg.sync && reg.sync.register('campo-outbox')).catch(() => {});
    }
    sync({ now: true });
  }

  async function saveAndExit() {
    const c = current;
    await c.session.idle();
    await saveNow(c);
    current = null;
    location.hash = '#/';
  }

  async function signOut(expired) {
    const pending = (await responses.all()).some((r) => r.status === 'queued' || r.status === 'draft');
    if (!expired && pending && !confirm(t('signout_pending'))) return;
    if (state.session && !expired) {
      // Ends the session on the server too; best effort (offline, the token just expires).
      await fetch('/api/v1/session', { method: 'DELETE', headers: auth(), signal: AbortSignal.timeout(5000) }).catch(() => {});
    }
    state.token = null;
    state.session = null;
    document.cookie = 'campo_session=; Path=/studies; SameSite=Strict; Max-Age=0';
    localStorage.removeItem('campo.token');
    localStorage.removeItem('campo.session');
    await caches.delete(DATA_CACHE).catch(() => {});
    state.offlineReady = false;
    localStorage.removeItem('campo.offlineReady');
    location.hash = '#/';
    route();
  }

  function route() {
    renderNet();
    const match = location.hash.match(/^#\/r\/([0-9a-f-]{36})$/);
    if (current && (!match || match[1] !== current.record.id)) {
      saveNow(current);
      current = null;
    }
    if (!state.token) return signIn();
    if (match) return openResponse(match[1]);
    return home();
  }

  document.getElementById('lang').addEventListener('click', () => {
    state.lang = state.lang === 'es' ? 'en' : 'es';
    localStorage.setItem('campo.lang', state.lang);
    renderNet();
    if (current && current.chrome) {
      renderForm();
    } else route();
  });
  window.addEventListener('hashchange', route);
  window.addEventListener('online', onOnline);
  window.addEventListener('offline', renderNet);

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('sw.js').catch((e) => console.warn('service worker not registered', e));
    navigator.serviceWorker.addEventListener('message', (e) => {
      if (e.data && e.data.type === 'sync') sync({ now: true });
    });
  }

  // For the browser tests: the open form's state, and a way to wait until it is evaluated.
  window.campoApp = {
    session: () => current && current.session,
    idle: () => (current ? current.session.idle() : Promise.resolve()),
    responses: () => responses.all(),
    sync: () => sync({ now: true }),
  };

  route();
  if (state.token && navigator.onLine) {
    warm().then(refreshHomeBadges).catch(() => {});
    sync({ now: true });
  } else if (state.token) {
    scheduleSync();
  }
})(window.Campo = window.Campo || {});
