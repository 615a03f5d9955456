// The enumerator app in a real browser (Debian's Chromium, headless) against the real server:
// sign in, fill and submit a response of each study, skip logic as the server computes it, a
// refusal shown on its question, the language switch and the 360 px layout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startServer, generate, LAUNCH, PHONE, outputPath } from './harness.js';
import { signIn, newResponse, fillAnswers, finalize, idle, outboxCount, storedResponses, compareWithServer, showQuestion, openResponseId } from './driver.js';

let server;
let browser;
let token; // an enumerator of every study
let admin;

before(async () => {
  server = await startServer();
  token = server.token('enumerator');
  admin = server.token('admin');
  browser = await chromium.launch(LAUNCH);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function phone() {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return { context, page };
}

/** How many times the server stored the response `id` (from the analysts' CSV). */
async function storedTimes(study, form, id) {
  const r = await server.api('GET', `/api/v1/studies/${study}/forms/${form}/export.csv?format=csv`, admin);
  assert.equal(r.status, 200, r.text);
  return r.text.split('\n').filter((line) => line.includes(id)).length;
}

test('signing in with a token shows the studies of that token; a bad token is refused', { timeout: 240000 }, async () => {
  const { context, page } = await phone();
  await page.goto(server.url + '/');
  await page.getByLabel(/Token/).fill('campo_not_a_real_token');
  await page.getByRole('button', { name: 'Ingresar' }).click();
  await page.getByRole('alert').filter({ hasText: 'no es válido' }).waitFor();

  await signIn(page, server.url, server.token('enumerator', 'mujeres-migrantes-rm'));
  assert.deepEqual(await page.$$eval('section.study', (els) => els.map((e) => e.dataset.study)), ['mujeres-migrantes-rm']);
  await page.getByRole('heading', { name: 'Mis estudios' }).waitFor();
  await context.close();
});

for (const [study, form, seed] of [['ejemplo-hogares', 'hogar', 11], ['mujeres-migrantes-rm', 'cuestionario', 12], ['3x1-migrantes', 'proyecto', 13]]) {
  test(`a response of ${study}/${form} is filled in the browser and submitted once`, { timeout: 240000 }, async () => {
    const { context, page } = await phone();
    await signIn(page, server.url, token);
    const [body] = generate(study, form, 1, seed);
    await newResponse(page, study, form);
    const id = await openResponseId(page);
    await fillAnswers(page, body.answers);
    await compareWithServer(page, server, token, study, form);
    await finalize(page);
    await outboxCount(page, 0);
    const stored = (await storedResponses(page)).find((r) => r.id === id);
    assert.equal(stored.status, 'sent', JSON.stringify(stored));
    assert.ok(stored.receipt && stored.receipt.scores, 'the receipt with its scores is kept');
    assert.equal(await storedTimes(study, form, id), 1);
    await page.screenshot({ path: outputPath(`${study}-sent-360.png`), fullPage: true });
    await context.close();
  });
}

test('skip logic hides and shows questions as answers change, exactly as the server computes it', { timeout: 240000 }, async () => {
  const { context, page } = await phone();
  await signIn(page, server.url, token);
  await newResponse(page, 'ejemplo-hogares', 'hogar');
  const fecha = page.locator('[data-path="/fecha"]');
  await page.locator('[data-path="/consentimiento"] input[value=no]').check();
  // Declining ends the interview: the app asks first.
  await page.getByRole('dialog').getByRole('button', { name: /terminar/ }).click();
  await idle(page);
  assert.equal(await fecha.isVisible(), false, 'declining consent hides the rest');
  await compareWithServer(page, server, token, 'ejemplo-hogares', 'hogar');
  await page.locator('[data-path="/consentimiento"] input[value=si]').check();
  await idle(page);
  assert.equal(await fecha.isVisible(), true);
  await compareWithServer(page, server, token, 'ejemplo-hogares', 'hogar');

  await showQuestion(page, '/fuentes');
  const ingreso = page.locator('[data-path="/ingreso_mensual"]');
  await page.locator('[data-path="/fuentes"] input[value=ninguna]').check();
  await idle(page);
  assert.equal(await ingreso.isVisible(), false, 'no income source: no income question');
  await compareWithServer(page, server, token, 'ejemplo-hogares', 'hogar');
  await page.locator('[data-path="/fuentes"] input[value=ninguna]').uncheck();
  await page.locator('[data-path="/fuentes"] input[value=trabajo]').check();
  await idle(page);
  assert.equal(await ingreso.isVisible(), true);
  await compareWithServer(page, server, token, 'ejemplo-hogares', 'hogar');

  // A repeat group: members are added and removed; the computed household size follows.
  const add = page.locator('[data-path="/miembros"] > [data-action=add]');
  await add.click();
  await idle(page);
  await add.click();
  await idle(page);
  assert.equal(await page.locator('[data-path="/n_personas"] output').textContent(), '3');
  await page.locator('[data-path="/miembros/0"] [data-action=remove]').click();
  await idle(page);
  assert.equal(await page.locator('[data-path="/n_personas"] output').textContent(), '2');
  await compareWithServer(page, server, token, 'ejemplo-hogares', 'hogar');

  // The seed studies: every answer of a generated response, one at a time, agrees with the server.
  for (const [study, form, seed] of [['mujeres-migrantes-rm', 'cuestionario', 21], ['3x1-migrantes', 'proyecto', 22]]) {
    await page.goto(server.url + '/#/');
    await page.locator('section.study').first().waitFor();
    await newResponse(page, study, form);
    const [body] = generate(study, form, 1, seed);
    const first = Object.keys(body.answers)[0];
    await fillAnswers(page, { [first]: body.answers[first] });
    await compareWithServer(page, server, token, study, form);
  }
  await context.close();
});

test('a response the server refuses comes back with the error on its question', { timeout: 240000 }, async () => {
  const { context, page } = await phone();
  await signIn(page, server.url, token);
  const [body] = generate('ejemplo-hogares', 'hogar', 1, 31);
  await newResponse(page, 'ejemplo-hogares', 'hogar');
  const id = await openResponseId(page);
  await fillAnswers(page, body.answers);
  // On its way, the body is changed into one the server refuses (as if the form changed under the
  // enumerator): the head of household's age out of range.
  await page.route('**/submissions', async (route) => {
    const sent = JSON.parse(route.request().postData());
    sent.answers.jefa.edad = 7;
    await route.continue({ postData: JSON.stringify(sent) });
  }, { times: 1 });
  await finalize(page);
  const refused = page.locator(`li[data-response="${id}"][data-status=refused]`);
  await refused.waitFor();
  assert.equal(await storedTimes('ejemplo-hogares', 'hogar', id), 0);
  await refused.getByRole('button', { name: 'Abrir' }).click();
  await page.locator('.server-refusal').waitFor();
  await page.locator('.server-refusal [data-problem-path="/jefa/edad"] button').click();
  const question = page.locator('[data-path="/jefa/edad"]');
  await question.locator('.msg.error').waitFor();
  assert.ok(await question.evaluate((el) => el.classList.contains('invalid')));
  await page.screenshot({ path: outputPath('refused-on-question-360.png'), fullPage: true });

  // Fixed and finalized again: stored once, under the same client id.
  await question.locator('input').fill(String(body.answers.jefa.edad));
  await idle(page);
  assert.equal(await question.locator('.msg.error').count(), 0);
  await finalize(page);
  await outboxCount(page, 0);
  await page.locator(`li[data-response="${id}"][data-status=sent]`).waitFor();
  assert.equal(await storedTimes('ejemplo-hogares', 'hogar', id), 1);
  await context.close();
});

test('the app at 360 px: no sideways scrolling, large targets, English on request', { timeout: 240000 }, async () => {
  const { context, page } = await phone();
  await signIn(page, server.url, token);
  await page.screenshot({ path: outputPath('home-360.png'), fullPage: true });
  await newResponse(page, 'mujeres-migrantes-rm', 'cuestionario');
  await page.locator('[data-path="/identificacion/a01_consent"] input[value=si]').check();
  await idle(page);
  await page.screenshot({ path: outputPath('form-360.png'), fullPage: true });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the page is ${width} px wide`);
  const small = await page.$$eval('button:not([hidden]), .choice, input[type=text], input[type=number], input[type=date], select', (els) =>
    els.filter((e) => e.offsetParent !== null).map((e) => [e.textContent.trim() || e.outerHTML.slice(0, 60), e.getBoundingClientRect().height]).filter(([, hgt]) => hgt < 44));
  assert.deepEqual(small, [], 'every touch target is at least 44 px high');
  await page.getByRole('button', { name: 'English' }).click();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  await page.getByRole('button', { name: 'Next' }).waitFor();
  await page.screenshot({ path: outputPath('form-360-en.png'), fullPage: true });
  await context.close();
});

/** A plugin that never returns: ABI v1's exports, and a `campo_logic` that loops forever. */
function runawayPlugin() {
  const str = (s) => [s.length, ...Buffer.from(s)];
  const section = (id, body) => [id, body.length, ...body];
  const vec = (items) => [items.length, ...items.flat()];
  const exp = (name, index) => [...str(name), 0x00, index];
  return [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 0, 0], [0x60, 1, 0x7f, 1, 0x7f], [0x60, 2, 0x7f, 0x7f, 0], [0x60, 2, 0x7f, 0x7f, 1, 0x7e]])),
    ...section(3, vec([[0], [1], [2], [3]])),
    ...section(5, vec([[0x01, 1, 1]])),
    ...section(7, vec([[...str('memory'), 0x02, 0], exp('campo_abi_v1', 0), exp('campo_alloc', 1), exp('campo_dealloc', 2), exp('campo_logic', 3)])),
    ...section(10, vec([[2, 0, 0x0b], [5, 0, 0x41, 0x80, 0x08, 0x0b], [2, 0, 0x0b], [9, 0, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x42, 0x00, 0x0b]]))];
}

test('a runaway plugin is stopped by the watchdog and the page stays responsive', { timeout: 240000 }, async () => {
  const { context, page } = await phone();
  await signIn(page, server.url, token);
  const outcome = await page.evaluate(async (bytes) => {
    const runner = new CampoPlugin.Runner({ scriptUrl: 'campo-plugin.js', timeoutMs: 300, loadMs: 2000 });
    const started = performance.now();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    let kind = null;
    try {
      await runner.call('runaway', new Uint8Array(bytes), 'logic', { study: 's', form: 'f', version: '1', answers: {}, settings: {} });
    } catch (e) {
      kind = e.kind;
    }
    clearInterval(ticker);
    return { kind, ms: performance.now() - started, ticks, worker: runner.worker };
  }, runawayPlugin());
  assert.equal(outcome.kind, 'timeout');
  assert.ok(outcome.ms < 5000, `stopped after ${outcome.ms} ms`);
  assert.ok(outcome.ticks > 3, 'the page kept running while the plugin looped');
  assert.equal(outcome.worker, null, 'the worker was terminated');
  await context.close();
});
