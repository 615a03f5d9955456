// Drives the enumerator app like an enumerator would, generically from the form's schema, so a
// `campo gen` body of any study can be typed in through the UI.
import assert from 'node:assert/strict';

export async function idle(page) {
  await page.waitForFunction(() => document.body.dataset.evaluating === '0' && (!window.campoApp || true));
  await page.evaluate(() => window.campoApp && window.campoApp.idle());
}

export async function signIn(page, url, token) {
  await page.goto(url + '/');
  await page.getByLabel(/Token/).fill(token);
  await page.getByRole('button', { name: 'Ingresar' }).click();
  await page.locator('section.study').first().waitFor();
}

/** Fills the username and password and presses Ingresar; the caller waits for what follows. */
export async function signInWithPassword(page, url, user, password) {
  await page.goto(url + '/');
  await page.getByLabel('Usuario').fill(user);
  await page.getByLabel('Contraseña').fill(password);
  await page.getByRole('button', { name: 'Ingresar' }).click();
}

/** Starts a response for one of "Mis casos". */
export async function startCase(page, key) {
  await page.locator(`li[data-case="${key}"] [data-action=start-case]`).click();
  await page.locator('.page').waitFor();
  await idle(page);
}

/** Opens a response sent back for correction (from "Devueltas para corregir"). */
export async function openReturned(page, id) {
  await page.locator(`li[data-returned="${id}"] [data-action=correct]`).click();
  await page.locator('[data-action=save-exit]').waitFor(); // the page shown may be the review
  await idle(page);
}

/** Waits until the app has cached what it needs to work offline. */
export async function waitOfflineReady(page) {
  await page.waitForFunction(() => document.body.dataset.offlineReady === '1' && navigator.serviceWorker.controller !== null, null, { timeout: 30000 });
}

export async function newResponse(page, study, form) {
  await page.locator(`section[data-study="${study}"] [data-form="${form}"] [data-action=new]`).click();
  await page.locator('.page').waitFor();
  await idle(page);
}

const esc = (s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1');
const isObject = (v) => v && typeof v === 'object' && !Array.isArray(v);

/** Types `answers` into the open form, page by page, in the schema's order. A question that is
 * hidden when its turn comes (its relevance depends on a later answer) is tried again after. */
export async function fillAnswers(page, answers) {
  const schema = await page.evaluate(() => window.campoApp.session().schema);
  const ordered = (s, v) => Object.keys(s.properties || {}).filter((k) => v[k] !== undefined);
  let deferred = [];
  const fillAt = async (s, p, v) => {
    const el = page.locator(`[data-path="${p}"]`);
    if ((await el.count()) === 0) {
      assert.ok(isObject(v), `no question ${p} on this page`);
      for (const k of ordered(s, v)) await fillAt(s.properties[k], `${p}/${esc(k)}`, v[k]);
      return;
    }
    if (!(await el.isVisible())) {
      deferred.push([s, p, v]);
      return;
    }
    const kind = await el.getAttribute('data-kind');
    if (kind === 'computed') return;
    if (kind === 'group') {
      for (const k of ordered(s, v)) await fillAt(s.properties[k], `${p}/${esc(k)}`, v[k]);
      return;
    }
    if (kind === 'repeat') {
      for (let i = await page.locator(`[data-path^="${p}/"][data-kind=item]`).count(); i < v.length; i++) {
        await el.locator(':scope > [data-action=add]').click();
        await idle(page);
      }
      for (let i = 0; i < v.length; i++) {
        for (const k of ordered(s.items, v[i])) await fillAt(s.items.properties[k], `${p}/${i}/${esc(k)}`, v[i][k]);
      }
      return;
    }
    if (kind === 'choice' || kind === 'boolean') {
      const select = el.locator('select');
      if (await select.count()) {
        const value = await select.locator(`option[data-code="${String(v)}"]`).getAttribute('value');
        await select.selectOption(value);
      } else {
        await el.locator(`input[value="${String(v)}"]`).check();
      }
    } else if (kind === 'multi') {
      for (const code of v) await el.locator(`input[value="${String(code)}"]`).check();
    } else {
      await el.locator('input, textarea').fill(String(v));
    }
    await idle(page);
  };
  for (const key of ordered(schema, answers)) {
    await showQuestion(page, `/${esc(key)}`);
    await fillAt(schema.properties[key], `/${esc(key)}`, answers[key]);
    for (let round = 0; round < 3 && deferred.length; round++) {
      const again = deferred;
      deferred = [];
      for (const [s, p, v] of again) await fillAt(s, p, v);
    }
    assert.deepEqual(deferred.map((d) => d[1]), [], 'questions still hidden after the whole page was filled');
  }
}

/** Goes forward (or back) until the page holding question `p` is shown. */
export async function showQuestion(page, p) {
  const here = page.locator(`[data-path="${p}"], [data-path^="${p}/"]`);
  // Back when the question's page comes before the one shown (the app tells both), else forward.
  let back = await page.evaluate((p) => {
    const app = window.campoApp;
    return app.page ? app.session().pageOf(p) < app.page() : null; // null: the app does not say
  }, p);
  for (let i = 0; i < 40 && (await here.count()) === 0; i++) {
    const next = page.locator('[data-action=next]');
    const prev = page.locator('[data-action=prev]');
    if (back === null && (await prev.isDisabled())) back = false;
    if (back !== false || !(await next.count())) await prev.click();
    else await next.click();
    await idle(page);
  }
  assert.ok((await here.count()) > 0, `no page shows ${p}`);
}

/** Goes to the review page and finalizes; returns to the home screen. */
export async function finalize(page) {
  for (let i = 0; i < 40 && (await page.locator('[data-action=finalize]').count()) === 0; i++) {
    await page.locator('[data-action=next]').click();
    await idle(page);
  }
  await page.locator('[data-action=finalize]').click();
  await page.locator('#outbox').waitFor();
}

/** The response id of the form that is open. */
export async function openResponseId(page) {
  return page.evaluate(() => location.hash.replace('#/r/', ''));
}

/** Waits until the outbox holds `n` responses. */
export async function outboxCount(page, n, timeout = 30000) {
  await page.waitForFunction((n) => {
    const box = document.getElementById('outbox');
    return box && box.dataset.count === String(n);
  }, n, { timeout });
}

/** The stored status of every response in the app's IndexedDB. */
export async function storedResponses(page) {
  return page.evaluate(() => window.campoApp.responses());
}

/** Relevance the server computes for `answers` (POST …/evaluate) and what the page shows. */
export async function compareWithServer(page, server, token, study, form) {
  // What the app would send (hidden answers left out, computed values in place), and the logic
  // result the app shows for it.
  const { answers, logic } = await page.evaluate(() => {
    const s = window.campoApp.session();
    return { answers: s.finalAnswers(), logic: s.logic };
  });
  const r = await server.api('POST', `/api/v1/studies/${study}/forms/${form}/evaluate`, token, { answers });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(logic, r.json, 'the browser ran the logic plugin and got exactly what the server got');
  const hiddenByServer = (p) => {
    const segs = p.split('/').slice(1);
    for (let i = segs.length; i > 0; i--) {
      const f = r.json.fields['/' + segs.slice(0, i).join('/')];
      if (f && f.relevant === false) return true;
    }
    return false;
  };
  const shown = await page.$$eval('.page [data-path]', (els) => els.map((el) => [el.dataset.path, !el.hidden && !el.closest('[hidden]')]));
  for (const [p, visible] of shown) assert.equal(visible, !hiddenByServer(p), `${p} is ${visible ? 'shown' : 'hidden'}, the server says ${visible ? 'hidden' : 'relevant'}`);
  return r.json;
}
