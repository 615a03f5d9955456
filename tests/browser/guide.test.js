// The guide at /docs on a phone that has the app installed: the service worker leaves it to the
// network (it does not answer with the app), and keeps the pages read once for offline reading.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startServer, LAUNCH, PHONE } from './harness.js';
import { signIn, waitOfflineReady } from './driver.js';

let server;
let browser;

before(async () => {
  server = await startServer({ studies: ['ejemplo-hogares'] });
  browser = await chromium.launch(LAUNCH);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the guide is served next to the installed app, and a page read once opens offline', { timeout: 120000 }, async () => {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  await signIn(page, server.url, server.token('enumerator', 'ejemplo-hogares'));
  await waitOfflineReady(page);

  await page.goto(server.url + '/docs/enumerators/guia.html');
  await page.getByRole('heading', { name: 'Guía para encuestadores' }).waitFor();
  assert.equal(await page.locator('#net').count(), 0, 'the guide, not the app');

  await context.setOffline(true);
  await page.reload();
  await page.getByRole('heading', { name: 'Guía para encuestadores' }).waitFor();
  await context.close();
});
