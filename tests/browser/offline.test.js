// Offline-first in a real browser: after one online visit, the app opens with no network and
// no server, responses are started, kept as drafts and finalized, survive a browser restart
// (IndexedDB in a persistent profile), and sync when the network returns, each stored once,
// even when the first answer from the server is lost on the way back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, generate, LAUNCH, PHONE, outputPath } from './harness.js';
import { signIn, waitOfflineReady, newResponse, fillAnswers, finalize, idle, outboxCount, storedResponses, openResponseId } from './driver.js';

let server;
let context; // the browser of the moment, closed in after() whatever happens
let token;
let admin;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'campo-profile-'));

before(async () => {
  server = await startServer({ studies: ['ejemplo-hogares'] });
  token = server.token('enumerator', 'ejemplo-hogares');
  admin = server.token('admin');
});

after(async () => {
  await context?.close().catch(() => {});
  await server?.close();
  fs.rmSync(profile, { recursive: true, force: true });
});

async function launch() {
  context = await chromium.launchPersistentContext(profile, { ...LAUNCH, ...PHONE });
  const page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return { context, page };
}

async function storedTimes(id) {
  const r = await server.api('GET', '/api/v1/studies/ejemplo-hogares/forms/hogar/export.csv?format=csv', admin);
  assert.equal(r.status, 200, r.text);
  return r.text.split('\n').filter((line) => line.includes(id)).length;
}

test('two responses finalized offline survive a browser restart and are stored once each when the network returns', { timeout: 300000 }, async () => {
  // One online visit: sign in; the app caches itself, the form version and its plugin.
  let { page } = await launch();
  await signIn(page, server.url, token);
  await waitOfflineReady(page);

  // The network goes away (and the server with it).
  await server.stop();
  await context.setOffline(true);
  await page.reload();
  await page.locator('section.study').first().waitFor();
  assert.equal((await page.locator('#net').textContent()).trim(), 'Sin conexión');

  const [first, second] = generate('ejemplo-hogares', 'hogar', 2, 41);
  // The first is started, saved as a draft, reopened and finalized.
  await newResponse(page, 'ejemplo-hogares', 'hogar');
  const a = await openResponseId(page);
  await fillAnswers(page, { consentimiento: first.answers.consentimiento, fecha: first.answers.fecha });
  await page.locator('[data-action=save-exit]').click();
  await page.locator(`li[data-response="${a}"][data-status=draft]`).getByRole('button', { name: 'Abrir' }).click();
  await page.locator('.page').waitFor();
  await idle(page);
  await fillAnswers(page, first.answers);
  await finalize(page);
  await outboxCount(page, 1);
  // The second in one go.
  await newResponse(page, 'ejemplo-hogares', 'hogar');
  const b = await openResponseId(page);
  await fillAnswers(page, second.answers);
  await finalize(page);
  await outboxCount(page, 2);
  await page.screenshot({ path: outputPath('offline-outbox-360.png'), fullPage: true });

  // The browser restarts, still offline: the outbox is still there.
  await context.close();
  ({ page } = await launch());
  await context.setOffline(true);
  await page.goto(server.url + '/');
  await outboxCount(page, 2);
  const kept = (await storedResponses(page)).filter((r) => r.status === 'queued').map((r) => r.id).sort();
  assert.deepEqual(kept, [a, b].sort());

  // The network returns, but the server's first answer is lost on the way back: the retry (same
  // client id) must not store the response twice.
  await server.start();
  let lost = 0;
  await page.route('**/submissions', async (route) => {
    if (lost++ === 0) {
      await route.fetch();
      await route.abort('connectionreset');
    } else await route.continue();
  });
  await context.setOffline(false);
  await outboxCount(page, 0, 60000);
  const statuses = Object.fromEntries((await storedResponses(page)).map((r) => [r.id, r.status]));
  assert.equal(statuses[a], 'sent');
  assert.equal(statuses[b], 'sent');
  assert.ok(lost >= 3, 'one answer was lost and retried');
  assert.equal(await storedTimes(a), 1);
  assert.equal(await storedTimes(b), 1);
  await context.close();
});
