// Study management in the enumerator app, in a real browser (Debian's Chromium, 360 px) against
// the real server: a person signs in with her password (a wrong one and too many are refused in
// her language), sees the cases assigned to her, answers one (the response carries the case and
// when it was started and finished), gets it back from a supervisor with a comment, corrects it
// (a refused correction shows its error on the question) and the server keeps both revisions;
// sign-out ends the session on the server. And the supervisors' dashboard at 360 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, campo, campoWithInput, generate, LAUNCH, PHONE, outputPath } from './harness.js';
import {
  signInWithPassword, startCase, openReturned, fillAnswers, finalize, idle, outboxCount, storedResponses,
  openResponseId, showQuestion, waitOfflineReady,
} from './driver.js';

const STUDY = '3x1-migrantes';
const PASSWORD = 'clave-de-lucia-2026';
const SUBMISSIONS = `/api/v1/studies/${STUDY}/forms/proyecto/submissions`;

let server;
let browser;
let context; // Lucía's phone, kept from one step to the next
let page;
let admin;
let supervisor;
let id; // her response for case JAL-001
let body;

before(async () => {
  server = await startServer({ studies: [STUDY] });
  const db = ['--db', server.db];
  for (const [team, name] of [['jalisco', 'Jalisco'], ['zacatecas', 'Zacatecas']]) campo(['team', 'add', STUDY, team, '--name', name, ...db]);
  campoWithInput(['user', 'create', 'lucia', '--name', 'Lucía Pérez', ...db], `${PASSWORD}\n`);
  campo(['user', 'grant', 'lucia', '--study', STUDY, '--role', 'enumerator', ...db]);
  campoWithInput(['user', 'create', 'pedro', '--name', 'Pedro Ruiz', ...db], 'clave-de-pedro-2026\n');
  campoWithInput(['user', 'create', 'sofia', '--name', 'Sofía Díaz', ...db], 'clave-de-sofia-2026\n');
  campo(['user', 'grant', 'sofia', '--study', STUDY, '--role', 'supervisor', ...db]);
  const cases = path.join(server.dir, 'casos.csv');
  fs.writeFileSync(cases, 'key,form,team,enumerator,municipio,localidad\n'
    + 'JAL-001,proyecto,jalisco,lucia,Tlaquepaque,San Pedro\nZAC-001,proyecto,zacatecas,lucia,Jerez,Centro\n'
    + 'ZAC-002,proyecto,zacatecas,,Fresnillo,Plateros\n');
  campo(['cases', 'import', STUDY, cases, ...db]);
  admin = server.token('admin');
  supervisor = server.token('supervisor', STUDY);
  browser = await chromium.launch(LAUNCH);
  context = await browser.newContext(PHONE);
  page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The analysts' CSV as objects, one per response. */
async function exported() {
  const r = await server.api('GET', `/api/v1/studies/${STUDY}/forms/proyecto/export.csv?format=csv`, admin);
  assert.equal(r.status, 200, r.text);
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < r.text.length; i++) {
    const ch = r.text[i];
    if (quoted) {
      if (ch === '"' && r.text[i + 1] === '"') cell += ch, i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(cell), cell = '';
    else if (ch === '\n') row.push(cell.replace(/\r$/, '')), rows.push(row), row = [], cell = '';
    else cell += ch;
  }
  if (cell || row.length) rows.push([...row, cell]);
  const [header, ...data] = rows;
  return data.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i]])));
}

const caseKeys = () => page.$$eval(`section[data-study="${STUDY}"] li[data-case]`, (els) => els.map((e) => [e.dataset.case, e.dataset.done]));

test('a wrong password and too many attempts are refused in Spanish and English; the right one shows her cases', { timeout: 240000 }, async () => {
  await signInWithPassword(page, server.url, 'lucia', 'no-es-mi-clave');
  await page.getByRole('alert').filter({ hasText: 'Usuario o contraseña incorrectos' }).waitFor();
  await page.screenshot({ path: outputPath('sign-in-refused-360.png'), fullPage: true });
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByLabel('Username').fill('lucia');
  await page.getByLabel('Password').fill('not-my-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Wrong username or password' }).waitFor();
  await page.getByRole('button', { name: 'Español' }).click();

  // Pedro fails often enough that the server makes him wait (4 s by now): the app says how long.
  for (let refused = 0; refused < 5;) {
    const r = await fetch(`${server.url}/api/v1/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'pedro', password: 'mala' }) });
    if (r.status === 401) refused++;
    else await sleep(Number(r.headers.get('retry-after')) * 1000 + 100);
  }
  await signInWithPassword(page, server.url, 'pedro', 'otra-mala');
  const wait = await page.getByRole('alert').filter({ hasText: /Demasiados intentos fallidos: espere \d+ s/ }).textContent();
  console.log('too many attempts:', wait);

  await signInWithPassword(page, server.url, 'lucia', PASSWORD);
  await page.locator(`section[data-study="${STUDY}"] li[data-case]`).first().waitFor();
  assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem('campo.session')).user), 'lucia');
  await page.getByRole('heading', { name: 'Mis casos' }).waitFor();
  assert.deepEqual(await caseKeys(), [['JAL-001', '0'], ['ZAC-001', '0']], 'her two cases, not the unassigned one');
  const jalisco = await page.locator('li[data-case="JAL-001"]').textContent();
  for (const text of ['jalisco', 'municipio', 'Tlaquepaque', 'localidad', 'San Pedro']) assert.ok(jalisco.includes(text), `${text} in ${jalisco}`);
  await page.screenshot({ path: outputPath('cases-360.png'), fullPage: true });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the page is ${width} px wide`);

  // Offline, the cases are still there (the last list is kept with the study data).
  await waitOfflineReady(page);
  await context.setOffline(true);
  await page.reload();
  await page.locator('li[data-case]').first().waitFor();
  assert.deepEqual(await caseKeys(), [['JAL-001', '0'], ['ZAC-001', '0']]);
  await context.setOffline(false);
});

test('a response for a case is stored with the case and the times it was started and finished', { timeout: 240000 }, async () => {
  await page.goto(server.url + '/#/');
  await startCase(page, 'JAL-001');
  id = await openResponseId(page);
  [body] = generate(STUDY, 'proyecto', 1, 51);
  await fillAnswers(page, body.answers);
  await finalize(page);
  await outboxCount(page, 0);
  const stored = (await storedResponses(page)).find((r) => r.id === id);
  assert.equal(stored.status, 'sent', JSON.stringify(stored));
  assert.equal(stored.case, 'JAL-001');
  assert.ok(Date.parse(stored.startedAt) <= Date.parse(stored.completedAt), `${stored.startedAt} .. ${stored.completedAt}`);
  // Done: after the open one.
  await page.locator('li[data-case="JAL-001"][data-done="1"]').waitFor();
  assert.deepEqual(await caseKeys(), [['ZAC-001', '0'], ['JAL-001', '1']]);

  const rows = (await exported()).filter((r) => r.submission_id === id);
  assert.equal(rows.length, 1);
  assert.deepEqual([rows[0].case, rows[0].team, rows[0].review, rows[0].revision, rows[0].enumerator], ['JAL-001', 'jalisco', 'received', '1', 'lucia']);
  const dashboard = await server.api('GET', `/studies/${STUDY}/dashboard?format=json`, supervisor);
  assert.equal(dashboard.status, 200, dashboard.text);
  assert.notEqual(dashboard.json.median_duration_minutes, null, 'started_at and completed_at were stored');
  assert.equal(dashboard.json.totals.cases_done, 1);
});

test('a response sent back is corrected in the app; a refused correction shows its error; the server keeps two revisions', { timeout: 240000 }, async () => {
  const review = await server.api('POST', `${SUBMISSIONS}/${id}/review`, supervisor, { state: 'has_issues', comment: 'Revisar el monto' });
  assert.equal(review.status, 200, review.text);
  await page.reload();
  const item = page.locator(`li[data-returned="${id}"]`);
  await item.waitFor();
  await page.getByRole('heading', { name: 'Devueltas para corregir' }).waitFor();
  assert.match(await item.locator('.comment').textContent(), /Revisar el monto/);
  await page.screenshot({ path: outputPath('returned-360.png'), fullPage: true });
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('heading', { name: 'Returned for correction' }).waitFor();
  await page.getByRole('heading', { name: 'My cases' }).waitFor();
  assert.match(await item.textContent(), /Supervisor's comment: Revisar el monto/);
  await page.getByRole('button', { name: 'Español' }).click();
  await page.getByRole('heading', { name: 'Mis casos' }).waitFor();

  await openReturned(page, id);
  await page.locator('.supervisor-comment').filter({ hasText: 'Revisar el monto' }).waitFor();
  const loaded = await page.evaluate(() => window.campoApp.session().answers);
  assert.deepEqual(loaded.club, body.answers.club, 'the stored answers are in the form');
  const socios = body.answers.club.p14_n_socios + 3;
  await showQuestion(page, '/club/p14_n_socios');
  await page.locator('[data-path="/club/p14_n_socios"] input').fill(String(socios));
  await idle(page);

  // On its way the correction is changed into one the logic refuses (fewer than 10 members).
  await page.route(`**${SUBMISSIONS}/${id}`, async (route) => {
    const sent = JSON.parse(route.request().postData());
    sent.answers.club.p14_n_socios = 9;
    await route.continue({ postData: JSON.stringify(sent) });
  }, { times: 1 });
  await finalize(page);
  await page.locator(`li[data-response="${id}"][data-status=refused]`).waitFor();
  await openReturned(page, id);
  await page.locator('.server-refusal [data-problem-path="/club/p14_n_socios"] button').click();
  await page.locator('[data-path="/club/p14_n_socios"] .msg.error').waitFor();
  await page.screenshot({ path: outputPath('correction-refused-360.png'), fullPage: true });

  await finalize(page);
  await outboxCount(page, 0);
  await page.locator(`li[data-response="${id}"][data-status=sent]`).waitFor();
  assert.equal(await page.locator('li[data-returned]').count(), 0, 'nothing left to correct');

  const revisions = await server.api('GET', `${SUBMISSIONS}/${id}/revisions`, supervisor);
  assert.equal(revisions.status, 200, revisions.text);
  assert.equal(revisions.json.revisions.length, 2);
  assert.equal(revisions.json.revisions[1].answers.club.p14_n_socios, socios);
  assert.equal(revisions.json.review, 'received');
  const [row] = (await exported()).filter((r) => r.submission_id === id);
  assert.deepEqual([row.revision, row.case, row['club/p14_n_socios']], ['2', 'JAL-001', String(socios)]);
});

test('signing out ends the session on the server and forgets it on the phone', { timeout: 240000 }, async () => {
  await page.goto(server.url + '/#/');
  await page.locator('li[data-case]').first().waitFor();
  const token = await page.evaluate(() => localStorage.getItem('campo.token'));
  assert.equal((await server.api('GET', '/api/v1/me', token)).status, 200);
  page.once('dialog', (d) => d.accept());
  await page.locator('[data-action=signout]').click();
  await page.getByLabel('Usuario').waitFor();
  assert.deepEqual(await page.evaluate(() => [localStorage.getItem('campo.token'), localStorage.getItem('campo.session')]), [null, null]);
  assert.equal((await server.api('GET', '/api/v1/me', token)).status, 401, 'the session token no longer works');
  await context.close();
});

test('the supervisors\' dashboard at 360 px: figures drawn, no sideways scrolling', { timeout: 240000 }, async () => {
  const phone = await browser.newContext({ ...PHONE, extraHTTPHeaders: { Authorization: `Bearer ${supervisor}` } });
  const dashboard = await phone.newPage();
  const response = await dashboard.goto(`${server.url}/studies/${STUDY}/dashboard`);
  assert.equal(response.status(), 200);
  assert.ok((await dashboard.locator('svg').count()) >= 1, 'at least one figure');
  const width = await dashboard.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the dashboard is ${width} px wide`);
  const shot = outputPath('dashboard-360.png');
  await dashboard.screenshot({ path: shot, fullPage: true });
  console.log('dashboard screenshot:', shot);
  await phone.close();
});

test('a supervisor signs in with her password and follows the link to her study\'s dashboard', { timeout: 240000 }, async () => {
  const phone = await browser.newContext(PHONE);
  const app = await phone.newPage();
  await signInWithPassword(app, server.url, 'sofia', 'clave-de-sofia-2026');
  const link = app.locator(`section[data-study="${STUDY}"] a.dashboard-link`);
  await link.waitFor();
  assert.equal(await link.textContent(), 'Panel de trabajo de campo');
  // Following a link sends no Authorization header: the sign-in's HttpOnly cookie carries her.
  await link.click();
  await app.waitForURL(/\/studies\/3x1-migrantes\/dashboard/);
  await app.getByRole('heading', { name: /Evaluación del Programa 3x1/ }).waitFor();
  assert.ok((await app.locator('svg').count()) >= 1);
  assert.equal(await app.evaluate(() => document.cookie.includes('campo_session')), false, 'the cookie is HttpOnly');
  await phone.close();

  // An enumerator sees no such link.
  const other = await browser.newContext(PHONE);
  const enumerator = await other.newPage();
  await signInWithPassword(enumerator, server.url, 'pedro', 'clave-de-pedro-2026');
  await enumerator.getByRole('heading', { name: 'Mis estudios' }).waitFor();
  assert.equal(await enumerator.locator('a.dashboard-link').count(), 0);
  await other.close();
});
