/* Who is signed in on this phone and what the app knows about them, kept across restarts in
 * localStorage (the token, a password session, the caller's roles for offline use). */

export const state = {
  token: localStorage.getItem('campo.token'),
  // A password sign-in: { user, expires_at }; null for a token given by the coordinators.
  session: JSON.parse(localStorage.getItem('campo.session') || 'null'),
  // GET /api/v1/me: { name, admin, roles: [{study, role, team}] }; the last copy offline.
  me: JSON.parse(localStorage.getItem('campo.me') || 'null'),
  notice: null,
  authProblem: false,
  syncing: false,
  offlineReady: localStorage.getItem('campo.offlineReady') === '1',
};

export function rememberMe(me) {
  state.me = me;
  if (me) localStorage.setItem('campo.me', JSON.stringify(me));
  else localStorage.removeItem('campo.me');
}

/** Enumerators and admins submit responses (the server allows POST …/submissions to them). */
export function canSubmit(study) {
  const me = state.me;
  if (!me) return true; // not known yet (first visit offline): the server decides on sync
  return !!me.admin || (me.roles || []).some((r) => (r.role === 'enumerator' || r.role === 'admin') && (r.study === null || r.study === study));
}

/** Supervisors, analysts and admins get the study's fieldwork dashboard. */
export function seesDashboard(study) {
  const me = state.me;
  return !!me && (!!me.admin || (me.roles || []).some((r) => r.role === 'admin'
    || ((r.role === 'supervisor' || r.role === 'analyst') && (r.study === null || r.study === study))));
}
