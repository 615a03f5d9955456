// Forms that never lose an answer (issue "Enumerator forms that never lose an answer"), in
// Debian's Chromium at 360 px with touch and the es-CL locale, typing like a person: keys one at a
// time with pauses, Backspace, select-and-retype. Each case here lost or misread data before.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, generate, campo, campoWithInput, LAUNCH, PHONE, ROOT, outputPath } from './harness.js';
import { signIn, signInWithPassword, newResponse, fillAnswers, finalize, idle, outboxCount, storedResponses, showQuestion, openResponseId } from './driver.js';

const STUDY = 'mujeres-migrantes-rm';
const FORM = 'cuestionario';
const SUBMISSIONS = `/api/v1/studies/${STUDY}/forms/${FORM}/submissions`;
let server;
let browser;
let enumerator;
let supervisor;
let admin;

// The questionnaire in three languages, with the answers that name a response (x-summary).
const bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'campo-idiomas-'));
const LANGS = 'mujeres-idiomas';
function threeLanguages() {
  fs.cpSync(path.join(ROOT, 'studies', STUDY), bundle, { recursive: true });
  const manifestPath = path.join(bundle, 'manifest.json');
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  manifest.id = LANGS;
  fs.writeFileSync(manifestPath, JSON.stringify(manifest));
  const schemaPath = path.join(bundle, manifest.forms[0].schema);
  const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
  schema['x-languages'] = [{ code: 'es', name: 'Español' }, { code: 'en', name: 'English' }, { code: 'ht', name: 'Kreyòl ayisyen' }];
  schema['x-default-language'] = 'es';
  schema['x-summary'] = ['/identificacion/a04_comuna', '/identificacion/a05_edad'];
  const consent = schema.properties.identificacion.properties.a01_consent;
  consent['x-label'].ht = 'Èske ou dakò patisipe nan entèvyou a?';
  consent['x-choices'][0].label.ht = 'Wi';
  consent['x-choices'][1].label.ht = 'Non';
  fs.writeFileSync(schemaPath, JSON.stringify(schema));
  return bundle;
}

before(async () => {
  server = await startServer({ studies: [STUDY, threeLanguages()] });
  enumerator = server.token('enumerator', STUDY);
  supervisor = server.token('supervisor', STUDY);
  admin = server.token('admin');
  browser = await chromium.launch(LAUNCH);
});

after(async () => {
  await browser?.close();
  await server?.close();
  fs.rmSync(bundle, { recursive: true, force: true });
});

async function phone() {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return { context, page };
}

/** How many answers (leaves; each repeat item's answers counted) a response holds. */
function leaves(v) {
  if (Array.isArray(v)) return v.some((x) => x && typeof x === 'object') ? v.reduce((n, x) => n + leaves(x), 0) : 1;
  if (v && typeof v === 'object') return Object.values(v).reduce((n, x) => n + leaves(x), 0);
  return v === undefined ? 0 : 1;
}

/** A generated, eligible respondent of 34 with one other household member (two people). */
function respondent() {
  for (const body of generate(STUDY, FORM, 80, 5)) {
    const a = body.answers;
    const id = a.identificacion || {};
    const year = Number(String(id.a02_fecha).slice(0, 4));
    if (id.a14_resultado === 'elegible' && a.hogar && a.hogar.b01_n_personas === 2 && a.hogar.b_miembros?.length === 1
      && id.a08_anio_llegada >= year - 35 && id.a06_pais_nac !== 'otro') {
      id.a05_edad = 34;
      return a;
    }
  }
  throw new Error('campo gen gave no eligible respondent of a two-person household');
}

const draft = (page) => page.evaluate(() => window.campoApp.session().answers);
const sent = (page) => page.evaluate(() => window.campoApp.idle().then(() => window.campoApp.session().finalAnswers()));
/** Answers without the computed result and without empty groups (`campo gen` writes `redes: {}`). */
const withoutComputed = (a) => {
  const c = structuredClone(a);
  delete c.identificacion.a14_resultado;
  for (const [k, v] of Object.entries(c)) if (v && typeof v === 'object' && !Array.isArray(v) && !Object.keys(v).length) delete c[k];
  return c;
};

/** Selects what the field holds and types `text` a key at a time, as a thumb does. */
async function retype(input, text, delay = 200) {
  await input.click();
  await input.selectText();
  await input.pressSequentially(text, { delay });
}

test('retyping the age 34 → 43 through "4" (under 18) keeps every answer; only what is sent leaves them out', { timeout: 240000 }, async () => {
  const { context, page } = await phone();
  await signIn(page, server.url, enumerator);
  await newResponse(page, STUDY, FORM);
  const id = await openResponseId(page);
  const answers = respondent();
  await fillAnswers(page, answers);
  await idle(page);
  const before = await draft(page);
  const n = leaves(before);
  assert.ok(n >= 30, `the respondent has ${n} answers`);

  await showQuestion(page, '/identificacion/a05_edad');
  const age = page.locator('[data-path="/identificacion/a05_edad"] input');
  await age.click();
  await age.selectText();
  await age.pressSequentially('4', { delay: 200 });
  await idle(page);
  // At "4" she is under 18: the interview would end after the age, but nothing is deleted.
  assert.equal(leaves(await draft(page)), n, 'every answer is still in the draft at "4"');
  assert.equal(await page.locator('[data-path="/identificacion/a14_resultado"] output').textContent(), 'No elegible: menor de 18 años');
  const atFour = await sent(page);
  assert.deepEqual(Object.keys(atFour), ['identificacion'], 'what would be sent at "4" is the screening alone');
  await page.screenshot({ path: outputPath('age-at-4-360.png'), fullPage: true });

  await age.pressSequentially('3', { delay: 200 });
  await idle(page);
  const after43 = await draft(page);
  assert.equal(leaves(after43), n, 'every answer is back at 43');
  assert.equal(after43.identificacion.a05_edad, 43);
  const expected = withoutComputed(answers);
  expected.identificacion.a05_edad = 43;
  assert.deepEqual(withoutComputed(await sent(page)), expected, 'what is sent is everything she answered');
  assert.equal(await page.locator('[data-path="/identificacion/a14_resultado"] output').textContent(), 'Elegible: continúa la entrevista');

  // Saved as typed, and the server takes it whole.
  await page.waitForFunction(async (id) => (await window.campoApp.responses()).find((r) => r.id === id)?.answers?.identificacion?.a05_edad === 43, id);
  await finalize(page);
  await outboxCount(page, 0);
  const stored = await server.api('GET', `${SUBMISSIONS}/${id}/revisions`, admin);
  assert.equal(stored.status, 200, stored.text);
  const last = stored.json.revisions[stored.json.revisions.length - 1];
  assert.deepEqual(withoutComputed(last.answers), expected, 'the server stored every answer');
  assert.equal(last.answers.identificacion.a14_resultado, 'elegible');
  // The list shows the scores with the labels the form version declares, never their keys.
  const scores = page.locator(`li[data-response="${id}"][data-status=sent] dl.scores`);
  await scores.waitFor();
  assert.match(await scores.textContent(), /Índice de autonomía económica \(IAE, 0–100\)/);
  assert.doesNotMatch(await scores.textContent(), /autonomia_economica/);
  await page.screenshot({ path: outputPath('sent-with-scores-360.png'), fullPage: true });
  await context.close();
});

test('backspacing the household size 2 and typing 3 keeps the member entered, on screen and in the draft', { timeout: 240000 }, async () => {
  const { context, page } = await phone();
  await signIn(page, server.url, enumerator);
  await newResponse(page, STUDY, FORM);
  const answers = respondent();
  await fillAnswers(page, { identificacion: answers.identificacion, hogar: answers.hogar });
  const member = answers.hogar.b_miembros[0];
  const size = page.locator('[data-path="/hogar/b01_n_personas"] input');
  await size.click();
  await size.press('End');
  await size.press('Backspace');
  await idle(page);
  assert.deepEqual((await draft(page)).hogar.b_miembros, [member], 'an empty household size hides the roster but keeps its member');
  await size.pressSequentially('3', { delay: 150 });
  await idle(page);
  assert.deepEqual((await draft(page)).hogar.b_miembros, [member]);
  const card = page.locator('[data-path="/hogar/b_miembros/0"]');
  assert.ok(await card.isVisible(), 'the member is on screen');
  assert.equal(await card.locator('[data-path="/hogar/b_miembros/0/b04_edad"] input').inputValue(), String(member.b04_edad));
  assert.equal(await page.locator('[data-path="/hogar/b_miembros/1"]').count(), 0, 'no card without data');
  await page.locator('[data-path="/hogar/b_miembros"] > .msg').filter({ hasText: 'debe tener 2' }).waitFor();

  // Back to 2, then removing the member is asked first; "Cancelar" keeps her.
  await retype(size, '2', 150);
  await idle(page);
  await card.locator('[data-action=remove]').click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('¿Quitar').waitFor();
  await page.screenshot({ path: outputPath('remove-member-asked-360.png') });
  await dialog.getByRole('button', { name: 'Cancelar' }).click();
  await idle(page);
  assert.deepEqual((await draft(page)).hogar.b_miembros, [member], 'a cancelled removal removes nothing');
  await context.close();
});

test('consent "No" asks first and can be undone; "Sí" again brings every answer back and the result follows', { timeout: 240000 }, async () => {
  const { context, page } = await phone();
  await signIn(page, server.url, enumerator);
  await newResponse(page, STUDY, FORM);
  const answers = respondent();
  await fillAnswers(page, { identificacion: answers.identificacion, hogar: answers.hogar });
  await showQuestion(page, '/identificacion/a01_consent');
  const before = await draft(page);
  const consent = page.locator('[data-path="/identificacion/a01_consent"]');
  const result = page.locator('[data-path="/identificacion/a14_resultado"] output');

  await consent.getByText('No', { exact: true }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('heading', { name: 'Esta respuesta termina la entrevista' }).waitFor();
  assert.match(await dialog.textContent(), /quedan guardadas/);
  await page.screenshot({ path: outputPath('consent-no-asked-360.png') });
  await dialog.getByRole('button', { name: 'Cancelar' }).click();
  await idle(page);
  assert.ok(await consent.locator('input[value=si]').isChecked(), 'cancelled: still "Sí"');
  assert.deepEqual(await draft(page), before);

  await consent.getByText('No', { exact: true }).click();
  await dialog.getByRole('button', { name: 'Sí, terminar la entrevista' }).click();
  await idle(page);
  assert.equal(await result.textContent(), 'No acepta participar');
  assert.equal(await page.locator('[data-path="/identificacion/a05_edad"]').isVisible(), false);
  const undo = page.locator('.banner.undo');
  await undo.waitFor();
  assert.deepEqual((await draft(page)).hogar, before.hogar, 'the household answers are kept');
  assert.deepEqual(await sent(page), { identificacion: { a01_consent: 'no', a14_resultado: 'rechaza' } });
  await page.screenshot({ path: outputPath('consent-no-undo-360.png'), fullPage: true });

  await undo.getByRole('button', { name: 'Deshacer' }).click();
  await idle(page);
  assert.deepEqual(await draft(page), before, 'undone: every answer is back');
  assert.equal(await result.textContent(), 'Elegible: continúa la entrevista');

  // "No" again, then "Sí" (no undo): the same answers, the result derived again.
  await consent.getByText('No', { exact: true }).click();
  await dialog.getByRole('button', { name: 'Sí, terminar la entrevista' }).click();
  await idle(page);
  await consent.getByText('Sí', { exact: true }).click();
  await idle(page);
  assert.deepEqual(await draft(page), before);
  assert.equal(await result.textContent(), 'Elegible: continúa la entrevista', 'never a stale "rechaza"');
  assert.equal(await page.locator('[data-path="/identificacion/a05_edad"] input').inputValue(), '34');
  await context.close();
});

test('"1,5" typed in an hours question is 1.5 hours; an unreadable value is an error, never another number', { timeout: 240000 }, async () => {
  const { context, page } = await phone();
  await signIn(page, server.url, enumerator);
  await newResponse(page, STUDY, FORM);
  const answers = respondent();
  await fillAnswers(page, { identificacion: answers.identificacion });
  await showQuestion(page, '/tiempo/d01_h_domestico');
  const question = page.locator('[data-path="/tiempo/d01_h_domestico"]');
  const hours = question.locator('input');
  assert.equal(await hours.getAttribute('inputmode'), 'decimal', 'the phone shows its numeric keypad');
  const value = () => page.evaluate(() => window.campoApp.session().answers.tiempo?.d01_h_domestico);

  await hours.pressSequentially('1,5', { delay: 150 });
  await idle(page);
  assert.equal(await value(), 1.5);
  assert.equal(await question.locator('.msg.error').count(), 0, 'no error for 1,5');
  await retype(hours, '2,5', 150);
  await idle(page);
  assert.equal(await value(), 2.5);
  assert.equal(await question.locator('.msg.error').count(), 0, 'not "Debe ser como máximo 18"');
  await hours.press('Backspace');
  await idle(page);
  assert.equal(await value(), 2, '"2," is 2 while she types');
  await hours.pressSequentially('.5', { delay: 150 });
  await idle(page);
  assert.equal(await value(), undefined, '"2,.5" is not a number: nothing is recorded');
  await question.locator('.msg.error').filter({ hasText: 'No se entiende «2,.5» como número' }).waitFor();
  await page.screenshot({ path: outputPath('hours-unreadable-360.png') });
  await retype(hours, '1.5', 150);
  await idle(page);
  assert.equal(await value(), 1.5, 'a keypad with only a point: 1.5');
  await page.locator('[data-path="/tiempo/d02_h_cuidado"] input').click();
  assert.equal(await hours.inputValue(), '1,5', 'shown back with the decimal comma of es-CL');
  assert.equal(await question.locator('.msg.error').count(), 0);
  await context.close();
});

test('a supervisor is not offered a new response; a refusal on sync says why in Spanish and English, stays editable and can be saved to a file', { timeout: 240000 }, async () => {
  const { context, page } = await phone();
  // A supervisor from the start: no "Nueva respuesta", and a word on why.
  await signIn(page, server.url, supervisor);
  assert.equal(await page.locator('[data-action=new]').count(), 0);
  await page.locator('section.study .no-submit').waitFor();
  await page.evaluate(() => localStorage.clear());

  // An enumerator finalizes offline; meanwhile she becomes a supervisor: the server refuses.
  campoWithInput(['user', 'create', 'rosa', '--name', 'Rosa Quispe', '--db', server.db], 'clave-de-rosa-123\n');
  campo(['user', 'grant', 'rosa', '--study', STUDY, '--role', 'enumerator', '--db', server.db]);
  await signInWithPassword(page, server.url, 'rosa', 'clave-de-rosa-123');
  await page.locator('section.study [data-action=new]').waitFor();
  await newResponse(page, STUDY, FORM);
  const id = await openResponseId(page);
  await page.locator('[data-path="/identificacion/a01_consent"]').getByText('No', { exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Sí, terminar la entrevista' }).click();
  await idle(page);
  await context.setOffline(true);
  await finalize(page);
  await outboxCount(page, 1);
  campo(['user', 'grant', 'rosa', '--study', STUDY, '--role', 'supervisor', '--db', server.db]);
  await context.setOffline(false);
  const item = page.locator(`li[data-response="${id}"][data-status=refused]`);
  await item.waitFor({ timeout: 30000 });
  await outboxCount(page, 0);
  assert.match(await item.locator('.refusal').textContent(), /su rol no permite enviar respuestas en este estudio/);
  await page.locator('section.study .no-submit').waitFor();
  assert.equal(await page.locator('[data-action=new]').count(), 0, 'her role now: no new response');
  assert.doesNotMatch(await page.locator('main').textContent(), /token ya no es válido/);
  await page.screenshot({ path: outputPath('refused-role-360.png'), fullPage: true });
  await page.getByRole('button', { name: 'English' }).click();
  await item.locator('.refusal').filter({ hasText: 'your role does not allow submitting responses in this study' }).waitFor();
  await page.getByRole('button', { name: 'Español' }).click();

  // Never stuck: saved to a file, and open for editing.
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`li[data-response="${id}"] [data-action=save-file]`).click()]);
  const file = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  assert.equal(file.id, id);
  assert.deepEqual(file.answers, { identificacion: { a01_consent: 'no', a14_resultado: 'rechaza' } });
  assert.equal(file.refusal.status, 403);
  assert.match(file.refusal.en, /role/);
  await page.locator(`li[data-response="${id}"] [data-action=open]`).click();
  await page.locator('.server-refusal').filter({ hasText: 'su rol no permite' }).waitFor();
  await showQuestion(page, '/identificacion/a01_consent');
  assert.ok(await page.locator('[data-path="/identificacion/a01_consent"] input[value=si]').isEnabled(), 'editable');

  // Home again: her role now, so no new response.
  await page.locator('[data-action=save-exit]').click();
  await page.locator('#outbox').waitFor();
  await page.reload();
  await page.locator('section.study .no-submit').waitFor();
  assert.equal(await page.locator('[data-action=new]').count(), 0);
  await context.close();
});

test('an answer typed 50 ms before the tab is killed survives', { timeout: 240000 }, async () => {
  const { context, page } = await phone();
  await signIn(page, server.url, enumerator);
  await newResponse(page, STUDY, FORM);
  const id = await openResponseId(page);
  await page.locator('[data-path="/identificacion/a01_consent"] input[value=si]').check();
  await idle(page);
  const age = page.locator('[data-path="/identificacion/a05_edad"] input');
  await age.pressSequentially('3', { delay: 120 });
  await age.press('4');
  await page.waitForTimeout(50);
  await page.close();

  const again = await context.newPage();
  await again.goto(server.url + '/');
  await again.locator(`li[data-response="${id}"][data-status=draft]`).waitFor();
  const stored = (await storedResponses(again)).find((r) => r.id === id);
  assert.equal(stored.answers.identificacion.a05_edad, 34, JSON.stringify(stored.answers));
  await again.locator(`li[data-response="${id}"] [data-action=open]`).click();
  await again.locator('.page').waitFor();
  await idle(again);
  assert.equal(await again.locator('[data-path="/identificacion/a05_edad"] input').inputValue(), '34');
  await context.close();
});

test('focus: the heading of a form when it opens, the first problem after a refused finalize; "Falta corregir" in questionnaire order; a returned response opens at the question its comment names', { timeout: 240000 }, async () => {
  const { context, page } = await phone();
  await signIn(page, server.url, enumerator);
  await newResponse(page, STUDY, FORM);
  assert.equal(await page.evaluate(() => document.activeElement.matches('h1.form-title')), true, 'the heading has the focus');
  const answers = respondent();
  await fillAnswers(page, { identificacion: { a01_consent: 'si', a05_edad: 34, a06_pais_nac: answers.identificacion.a06_pais_nac } });
  for (let i = 0; i < 20 && !(await page.locator('[data-action=finalize]').count()); i++) {
    await page.locator('[data-action=next]').click();
    await idle(page);
  }
  const order = await page.locator('.review-problems [data-problem-path]').evaluateAll((els) => els.map((e) => e.dataset.problemPath));
  const schema = await page.evaluate(() => window.campoApp.session().schema);
  const key = (p) => { let s = schema; return p.split('/').slice(1).map((seg) => { const keys = Object.keys(s.properties || {}); s = (s.properties || {})[seg] || {}; return keys.indexOf(seg); }); };
  const sorted = [...order].sort((a, b) => { const x = key(a); const y = key(b); for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? -1) !== (y[i] ?? -1)) return (x[i] ?? -1) - (y[i] ?? -1); return 0; });
  assert.ok(order.length > 3);
  assert.deepEqual(order, sorted, '"Falta corregir" follows the questionnaire');
  assert.equal(order[0], '/identificacion/a02_fecha');
  await page.locator('[data-action=finalize]').click();
  await page.waitForFunction(() => document.activeElement.closest('[data-path="/identificacion/a02_fecha"]') !== null);
  await page.screenshot({ path: outputPath('refused-finalize-focus-360.png') });

  // Sent back by a supervisor whose comment names the age: the correction opens there.
  const [body] = generate(STUDY, FORM, 1, 77);
  const id = crypto.randomUUID();
  const posted = await server.api('POST', SUBMISSIONS, enumerator, { ...body, id });
  assert.equal(posted.status, 201, posted.text);
  const review = await server.api('POST', `${SUBMISSIONS}/${id}/review`, supervisor, { state: 'has_issues', comment: 'Revise la edad (a05_edad): no cuadra con el año de llegada' });
  assert.equal(review.status, 200, review.text);
  await page.goto(server.url + '/');
  await page.locator(`li[data-returned="${id}"] [data-action=correct]`).click();
  await page.locator('.supervisor-comment').waitFor();
  await page.waitForFunction(() => document.activeElement.closest('[data-path="/identificacion/a05_edad"]') !== null);
  await page.screenshot({ path: outputPath('returned-opens-at-comment-360.png') });
  await context.close();
});

test('a form in three languages, and responses named by the answers the form names; deleting asks first', { timeout: 240000 }, async () => {
  const { context, page } = await phone();
  await signIn(page, server.url, server.token('enumerator', LANGS));
  await newResponse(page, LANGS, FORM);
  const id = await openResponseId(page);
  const choice = page.locator('#form-lang');
  assert.deepEqual(await choice.locator('option').allTextContents(), ['Español', 'English', 'Kreyòl ayisyen']);
  await choice.selectOption('ht');
  const consent = page.locator('[data-path="/identificacion/a01_consent"]');
  await consent.locator('legend').filter({ hasText: 'Èske ou dakò' }).waitFor();
  assert.deepEqual(await consent.locator('.choice span').allTextContents(), ['Wi', 'Non']);
  await consent.getByText('Wi', { exact: true }).click();
  await idle(page);
  assert.match(await page.locator('[data-path="/identificacion/a05_edad"] label').textContent(), /años cumplidos/, 'a text without Kreyòl falls back on Spanish');
  assert.equal(await page.getByRole('button', { name: 'Siguiente' }).count(), 1, "the app's own words stay Spanish");
  await page.screenshot({ path: outputPath('form-kreyol-360.png'), fullPage: true });
  await fillAnswers(page, { identificacion: { a03_region: '13', a04_comuna: '13101', a05_edad: 34 } });
  await page.locator('[data-action=save-exit]').click();
  const item = page.locator(`li[data-response="${id}"][data-status=draft]`);
  await item.waitFor();
  assert.equal(await item.locator('.summary').textContent(), 'Santiago · 34');
  assert.equal(await item.locator('.badge').textContent(), 'Borrador');
  await page.screenshot({ path: outputPath('drafts-named-360.png'), fullPage: true });
  await item.locator('[data-action=delete]').click();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancelar' }).click();
  assert.equal(await item.count(), 1, 'not deleted without a yes');
  await item.locator('[data-action=delete]').click();
  await page.getByRole('dialog').getByRole('button', { name: 'Eliminar' }).click();
  await item.waitFor({ state: 'detached' });
  assert.equal((await storedResponses(page)).filter((r) => r.id === id).length, 0);
  await context.close();
});
