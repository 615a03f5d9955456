/* Campo's enumerator app: the router, and what ties the screens together. One module per
 * concern: words, state, storage, api, outbox, the pure rules (pointer, relevance, numbers,
 * schema), form-session and form-view, dialog, and one per screen under screens/. */
import { state } from './state.js';
import { t, lang, setLang } from './words.js';
import { responses, recoverJournal } from './storage.js';
import { forgetData, auth } from './api.js';
import { sync, schedule } from './outbox.js';
import { signIn } from './screens/sign-in.js';
import { home, refreshOutbox } from './screens/home.js';

let formScreen = null; // screens/form.js, loaded the first time a form opens
const loadFormScreen = async () => (formScreen = formScreen || (await import('./screens/form.js')));

function renderNet() {
  const net = document.getElementById('net');
  net.textContent = navigator.onLine ? t('online') : t('offline');
  net.classList.toggle('offline', !navigator.onLine);
  const button = document.getElementById('lang');
  button.textContent = t('switch_lang');
  button.lang = lang() === 'es' ? 'en' : 'es';
  document.documentElement.lang = lang();
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
  sync({ now: true });
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
  for (const key of ['campo.token', 'campo.session', 'campo.me', 'campo.offlineReady']) localStorage.removeItem(key);
  await forgetData();
  state.offlineReady = false;
  state.me = null;
  location.hash = '#/';
  route();
}

function route() {
  renderNet();
  const match = location.hash.match(/^#\/r\/([0-9a-f-]{36})$/);
  if (formScreen && formScreen.isOpen() && (!match || match[1] !== formScreen.openId())) formScreen.closeForm();
  if (!state.token) return signIn({ enter });
  if (match) return loadFormScreen().then((f) => f.openResponse(match[1]));
  return home({ signOut });
}

document.getElementById('lang').addEventListener('click', () => {
  setLang(lang() === 'es' ? 'en' : 'es');
  renderNet();
  if (formScreen && formScreen.isOpen()) formScreen.renderForm();
  else route();
});
window.addEventListener('hashchange', route);
window.addEventListener('online', () => {
  renderNet();
  if (state.token) sync({ now: true });
});
window.addEventListener('offline', renderNet);
window.addEventListener('campo:outbox', (e) => {
  if (formScreen && formScreen.isOpen()) return;
  if (e.detail && e.detail.changed && document.getElementById('outbox')) home({ signOut });
  else refreshOutbox();
});
// A phone kills background tabs without warning: what was typed is saved when the page is hidden.
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden' && formScreen) formScreen.saveOnHide(); });
window.addEventListener('pagehide', () => { if (formScreen) formScreen.saveOnHide(); });

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('sw.js').catch((e) => console.warn('service worker not registered', e));
  navigator.serviceWorker.addEventListener('message', (e) => {
    if (e.data && e.data.type === 'sync') sync({ now: true });
  });
}

// For the browser tests: the open form's state, and a way to wait until it is evaluated.
window.campoApp = {
  session: () => formScreen && formScreen.openSession(),
  page: () => formScreen && formScreen.openPage(),
  idle: () => (formScreen && formScreen.openSession() ? formScreen.openSession().idle() : Promise.resolve()),
  responses: () => responses.all(),
  sync: () => sync({ now: true }),
};

document.documentElement.lang = lang();
recoverJournal().catch(() => {}).finally(() => {
  route();
  if (state.token && navigator.onLine) sync({ now: true });
  else if (state.token) schedule();
});
