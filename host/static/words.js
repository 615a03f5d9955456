/* The app's own words, in Spanish and English (a form's texts may be in more languages: see
 * schema.js), and the app language chosen on this phone. */

const WORDS = {
  es: {
    switch_lang: 'English', signin_title: 'Ingresar', token: 'Token de encuestador(a)',
    token_hint: 'Péguelo tal como se lo entregó la coordinación del estudio.', signin: 'Ingresar',
    bad_token: 'El token no es válido o ya no está vigente.', need_network: 'Sin conexión: la primera vez necesita internet para ingresar.',
    studies: 'Mis estudios', new_response: 'Nueva respuesta', version: 'versión', offline_ready: 'Disponible sin conexión',
    not_offline_ready: 'Aún no está disponible sin conexión', outbox: 'Bandeja de salida', outbox_empty: 'No hay respuestas esperando envío.',
    outbox_waiting: (n) => (n === 1 ? '1 respuesta espera envío.' : `${n} respuestas esperan envío.`), sync_now: 'Sincronizar ahora',
    online: 'En línea', offline: 'Sin conexión', signout: 'Salir', signout_pending: 'Hay respuestas sin enviar; quedarán en este teléfono. ¿Salir igual?',
    draft: 'Borrador', queued: 'Por enviar', sent: 'Enviada', refused: 'No aceptada', returned: 'Devuelta', open: 'Abrir', delete: 'Eliminar',
    next_try: 'próximo intento', attempts: 'intentos', syncing: 'Enviando…', section: (i, n) => `Sección ${i} de ${n}`,
    previous: 'Anterior', next: 'Siguiente', review: 'Revisar', review_title: 'Revisión', save_exit: 'Guardar y salir',
    finalize: 'Finalizar', finalized: 'Respuesta finalizada: quedó en la bandeja de salida.', problems: 'Falta corregir:',
    ready: 'Todo listo para finalizar.', refused_banner: 'El servidor no aceptó esta respuesta. Corrija lo indicado y finalícela de nuevo:',
    add_item: 'Agregar', remove_item: 'Quitar', clear: 'Borrar respuesta', choose: '— Elija una opción —',
    choose_parent_first: 'Responda primero la pregunta anterior.', general: 'Preguntas generales', warnings: 'Advertencias:',
    logic_failed: 'No se pudo evaluar la lógica del formulario:', not_available: 'Este formulario no está disponible sin conexión todavía.',
    sign_again: 'Su sesión o token ya no es válido: ingrese de nuevo para enviar.', sent_scores: 'Puntajes', no_forms: 'Sin formularios.',
    started: 'iniciada', loading: 'Cargando…', go_to: 'Ir a la pregunta', conflict: 'El servidor ya tiene otra respuesta con este identificador.',
    user: 'Usuario', password: 'Contraseña', or_token: 'O bien, con un token:', bad_password: 'Usuario o contraseña incorrectos.',
    too_many: (s) => `Demasiados intentos fallidos: espere ${s} s y vuelva a intentar.`, signed_in_as: (u) => `Sesión de ${u}`,
    my_cases: 'Mis casos', no_cases: 'No tiene casos asignados.', team: 'equipo', case: 'Caso', done: 'Hecho', start: 'Iniciar',
    dashboard: 'Panel de trabajo de campo', returned_title: 'Devueltas para corregir', supervisor_comment: 'Comentario de la supervisión:', correct: 'Corregir', correction: 'corrección',
    my_responses: 'Mis respuestas', no_submit_role: 'Su rol en este estudio no envía respuestas: aquí no se crean respuestas nuevas.',
    cancel: 'Cancelar', undo: 'Deshacer', form_language: 'Idioma del formulario',
    end_title: 'Esta respuesta termina la entrevista',
    end_body: (n) => `Las preguntas que siguen ya no se harán.${n ? ` Las ${n} respuestas ya ingresadas quedan guardadas en el borrador y vuelven si cambia esta respuesta.` : ''} Puede deshacerlo.`,
    end_yes: 'Sí, terminar la entrevista', ended: (a) => `La entrevista termina aquí («${a}»).`,
    hid_answers: (n) => (n === 1 ? '1 respuesta quedó fuera por este cambio: sigue guardada y vuelve si lo deshace.' : `${n} respuestas quedaron fuera por este cambio: siguen guardadas y vuelven si lo deshace.`),
    remove_title: (x) => `¿Quitar ${x}?`, remove_body: 'Sus respuestas se borrarán de esta respuesta.', remove_yes: 'Quitar',
    delete_title: '¿Eliminar este borrador?', delete_body: 'Sus respuestas se borrarán de este teléfono; no se puede deshacer.',
    kept_hidden: 'Guardadas, pero no se enviarán (no corresponden con las respuestas actuales):',
    save_file: 'Guardar en archivo', edit: 'Editar', refusal: 'Motivo:', refused_status: (s) => `HTTP ${s}`,
    forbidden: 'El servidor rechazó el envío: su rol no permite enviar respuestas en este estudio.',
    summary_case: (k) => `Caso ${k}`, summary_started: (w) => `Iniciada ${w}`,
  },
  en: {
    switch_lang: 'Español', signin_title: 'Sign in', token: 'Enumerator token',
    token_hint: 'Paste it exactly as the study coordinators gave it to you.', signin: 'Sign in',
    bad_token: 'The token is not valid or has expired.', need_network: 'Offline: signing in the first time needs the internet.',
    studies: 'My studies', new_response: 'New response', version: 'version', offline_ready: 'Available offline',
    not_offline_ready: 'Not available offline yet', outbox: 'Outbox', outbox_empty: 'No responses are waiting to be sent.',
    outbox_waiting: (n) => (n === 1 ? '1 response is waiting to be sent.' : `${n} responses are waiting to be sent.`), sync_now: 'Sync now',
    online: 'Online', offline: 'Offline', signout: 'Sign out', signout_pending: 'Some responses are not sent yet; they stay on this phone. Sign out anyway?',
    draft: 'Draft', queued: 'Waiting', sent: 'Sent', refused: 'Not accepted', returned: 'Returned', open: 'Open', delete: 'Delete',
    next_try: 'next try', attempts: 'attempts', syncing: 'Sending…', section: (i, n) => `Section ${i} of ${n}`,
    previous: 'Previous', next: 'Next', review: 'Review', review_title: 'Review', save_exit: 'Save and exit',
    finalize: 'Finalize', finalized: 'Response finalized: it is in the outbox.', problems: 'Still to fix:',
    ready: 'Everything is ready to finalize.', refused_banner: 'The server did not accept this response. Fix what is marked and finalize it again:',
    add_item: 'Add', remove_item: 'Remove', clear: 'Clear answer', choose: '— Choose an option —',
    choose_parent_first: 'Answer the previous question first.', general: 'General questions', warnings: 'Warnings:',
    logic_failed: 'The form logic could not be evaluated:', not_available: 'This form is not available offline yet.',
    sign_again: 'Your session or token is no longer valid: sign in again to send.', sent_scores: 'Scores', no_forms: 'No forms.',
    started: 'started', loading: 'Loading…', go_to: 'Go to the question', conflict: 'The server already holds another response with this id.',
    user: 'Username', password: 'Password', or_token: 'Or with a token:', bad_password: 'Wrong username or password.',
    too_many: (s) => `Too many failed attempts: wait ${s} s and try again.`, signed_in_as: (u) => `Signed in as ${u}`,
    my_cases: 'My cases', no_cases: 'You have no cases assigned.', team: 'team', case: 'Case', done: 'Done', start: 'Start',
    dashboard: 'Fieldwork dashboard', returned_title: 'Returned for correction', supervisor_comment: "Supervisor's comment:", correct: 'Correct', correction: 'correction',
    my_responses: 'My responses', no_submit_role: 'Your role in this study does not submit responses: no new responses are started here.',
    cancel: 'Cancel', undo: 'Undo', form_language: 'Form language',
    end_title: 'This answer ends the interview',
    end_body: (n) => `The questions that follow will not be asked.${n ? ` The ${n} answers already given stay in the draft and come back if you change this answer.` : ''} You can undo it.`,
    end_yes: 'Yes, end the interview', ended: (a) => `The interview ends here ("${a}").`,
    hid_answers: (n) => (n === 1 ? '1 answer was set aside by this change: it is kept and comes back if you undo it.' : `${n} answers were set aside by this change: they are kept and come back if you undo it.`),
    remove_title: (x) => `Remove ${x}?`, remove_body: 'Their answers will be deleted from this response.', remove_yes: 'Remove',
    delete_title: 'Delete this draft?', delete_body: 'Its answers will be deleted from this phone; this cannot be undone.',
    kept_hidden: 'Kept, but not sent (they do not apply given the current answers):',
    save_file: 'Save to a file', edit: 'Edit', refusal: 'Reason:', refused_status: (s) => `HTTP ${s}`,
    forbidden: 'The server refused it: your role does not allow submitting responses in this study.',
    summary_case: (k) => `Case ${k}`, summary_started: (w) => `Started ${w}`,
  },
};

let current = localStorage.getItem('campo.lang') === 'en' ? 'en' : 'es';

export const lang = () => current;

export function setLang(code) {
  current = code === 'en' ? 'en' : 'es';
  localStorage.setItem('campo.lang', current);
  document.documentElement.lang = current;
}

/** A word of the app in its language. */
export function t(key, ...args) {
  const w = WORDS[current][key] ?? WORDS.es[key] ?? key;
  return typeof w === 'function' ? w(...args) : w;
}

/** A word in both languages, for what is stored and shown later in either (a refusal's reason). */
export function both(key, ...args) {
  const get = (l) => { const w = WORDS[l][key]; return typeof w === 'function' ? w(...args) : w; };
  return { es: get('es'), en: get('en') };
}

/** A text the server or the study gives ({es, en} or a string) in the app's language. */
export const L = (text) => (!text ? '' : typeof text === 'string' ? text : text[current] || text.es || text.en || Object.values(text)[0] || '');

/** A moment, short, in the app's language. */
export function when(ms) {
  return new Date(ms).toLocaleString(current === 'es' ? 'es-CL' : 'en-GB', { dateStyle: 'short', timeStyle: 'short' });
}
