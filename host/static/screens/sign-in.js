/* Signing in: a username and password (a session), or else a token from the coordinators.
 * Either way GET /api/v1/me checks it and tells the caller's roles. */
import { h, main } from '../dom.js';
import { t, L } from '../words.js';
import { loadMe } from '../api.js';
import { state } from '../state.js';

/** Shows the form; `enter(token, session, me)` is called once the server accepted the person. */
export function signIn({ enter }) {
  const user = h('input', { type: 'text', id: 'user', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { type: 'password', id: 'password', autocomplete: 'current-password' });
  const input = h('input', { type: 'password', id: 'token', autocomplete: 'off', 'aria-describedby': 'token-hint', spellcheck: 'false' });
  const error = h('p', { class: 'banner error', role: 'alert', hidden: true });
  const form = h('form', { class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    const name = user.value.trim();
    let token = input.value.trim();
    if (name && !password.value) return password.focus();
    if (!name && !token) return user.focus();
    error.hidden = true;
    try {
      let session = null;
      if (name) {
        const response = await fetch('/api/v1/session', { method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ user: name, password: password.value }) });
        const body = await response.json().catch(() => null);
        if (response.status === 429) throw new Error(t('too_many', response.headers.get('Retry-After') || '…'));
        if (response.status === 401) throw new Error(t('bad_password'));
        if (response.status !== 201) throw new Error(L({ es: body?.message, en: body?.message_en }) || `HTTP ${response.status}`);
        token = body.token;
        session = { user: body.user, expires_at: body.expires_at };
      }
      state.token = token;
      try {
        await loadMe();
      } catch (e) {
        state.token = null;
        throw e instanceof TypeError ? e : new Error(t('bad_token'));
      }
      enter(token, session);
    } catch (err) {
      error.textContent = err instanceof TypeError ? t('need_network') : err.message;
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
  main().replaceChildren(h('h1', { text: t('signin_title') }), form);
  user.focus();
}
