// The browser plugin loader (host/static/campo-plugin.js) against the server: the SAME .wasm
// files the host runs (studies/*/plugins/*.wasm), on `campo gen` responses and on partial ones
// (an enumerator halfway through), give exactly the server's logic result (POST …/evaluate) and
// the scores of the server's submission receipt.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startServer, generate, ROOT, STUDIES } from './harness.js';

const require = createRequire(import.meta.url);
const { Plugin, PluginError, unpack } = require('../../host/static/campo-plugin.js');

const N = Number(process.env.CAMPO_LOADER_N || 6);
let server;
let token;

// The modules are read before the server installs them, so both hold the same files.
const modules = new Map();
before(async () => {
  for (const f of forms()) for (const file of [f.logic, f.scoring].filter(Boolean)) modules.set(path.join(f.dir, file), fs.readFileSync(path.join(f.dir, file)));
  server = await startServer();
  token = server.token('enumerator');
});

after(async () => {
  await server?.close();
});

/** Every form of every study with its manifest's plugin files. */
function forms() {
  return STUDIES.flatMap((study) => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'studies', study, 'manifest.json'), 'utf8'));
    return manifest.forms.map((f) => ({ study, form: f.id, logic: f.logic, scoring: f.scoring, dir: path.join(ROOT, 'studies', study) }));
  });
}

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

/** A generated response and partial versions of it: the first k sections, and with one answer
 * removed, as an enumerator halfway through would have. */
function variants(answers, seed) {
  const keys = Object.keys(answers);
  const out = [answers];
  for (let k = 0; k < keys.length; k += Math.max(1, Math.floor(keys.length / 3))) {
    out.push(Object.fromEntries(keys.slice(0, k).map((key) => [key, answers[key]])));
  }
  const leaves = [];
  const walk = (v, p) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, c] of Object.entries(v)) walk(c, p.concat(k));
    else leaves.push(p);
  };
  walk(answers, []);
  if (leaves.length) {
    const drop = leaves[seed % leaves.length];
    const copy = structuredClone(answers);
    let parent = copy;
    for (const seg of drop.slice(0, -1)) parent = parent[seg];
    delete parent[drop[drop.length - 1]];
    out.push(copy);
  }
  return out;
}

function setPointer(obj, p, value) {
  const segs = p.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let v = obj;
  segs.forEach((s, i) => {
    if (i === segs.length - 1) v[s] = value;
    else v = v[s] ??= /^\d+$/.test(segs[i + 1]) ? [] : {};
  });
}

for (const f of forms()) {
  test(`${f.study}/${f.form}: the browser loader's logic and scores equal the server's`, async (t) => {
    const version = (await server.api('GET', `/api/v1/studies/${f.study}/forms/${f.form}`, token)).json;
    assert.ok(version, `the server has ${f.study}/${f.form}`);
    const envelope = (answers) => ({ study: f.study, form: f.form, version: version.version, answers, settings: version.settings });
    let logic = null;
    let scoring = null;
    if (f.logic) {
      const bytes = modules.get(path.join(f.dir, f.logic));
      assert.equal(sha256(bytes), version.logic_plugin, 'the server runs this very logic module');
      logic = await Plugin.load(bytes);
    }
    if (f.scoring) {
      const bytes = modules.get(path.join(f.dir, f.scoring));
      assert.equal(sha256(bytes), version.scoring_plugin, 'the server runs this very scoring module');
      scoring = await Plugin.load(bytes);
    }

    let bodies;
    try {
      bodies = generate(f.study, f.form, N, 7);
    } catch (e) {
      if (/knows no form|has no form/.test(String(e.stderr || e.message))) return t.skip('campo gen has no generator for this form');
      throw e;
    }
    for (const [i, body] of bodies.entries()) {
      if (logic) {
        for (const answers of variants(body.answers, i)) {
          const mine = await logic.call('logic', envelope(answers));
          const theirs = await server.api('POST', `/api/v1/studies/${f.study}/forms/${f.form}/evaluate`, token, { answers });
          assert.equal(theirs.status, 200, theirs.text);
          assert.deepEqual(mine, theirs.json, `logic differs for ${JSON.stringify(answers).slice(0, 200)}`);
        }
      }
      // Scores: computed values applied first, as the server does before scoring.
      const answers = structuredClone(body.answers);
      if (logic) for (const [p, v] of Object.entries((await logic.call('logic', envelope(answers))).computed || {})) setPointer(answers, p, v);
      const receipt = await server.api('POST', `/api/v1/studies/${f.study}/forms/${f.form}/submissions`, token,
        { id: crypto.randomUUID(), answers: body.answers, version: version.version });
      assert.equal(receipt.status, 201, receipt.text);
      if (scoring) {
        const mine = await scoring.call('score', envelope(answers));
        assert.deepEqual(mine.scores, receipt.json.scores, 'scores differ');
      }
    }
  });
}

test('nothing carries over between calls: the same input gives the same output after any other', async () => {
  const bytes = fs.readFileSync(path.join(ROOT, 'studies/ejemplo-hogares/plugins/ejemplo_hogares.wasm'));
  const plugin = await Plugin.load(bytes);
  const fresh = async (input) => (await Plugin.load(bytes)).call('logic', input);
  const a = { study: 'ejemplo-hogares', form: 'hogar', version: '1', answers: { consentimiento: 'si', miembros: [{ edad: 3 }] }, settings: {} };
  const b = { ...a, answers: { consentimiento: 'no', fuentes: ['ninguna', 'trabajo'], jefa: { nombre: 'x'.repeat(5000) } } };
  const first = await plugin.call('logic', a);
  await plugin.call('logic', b);
  await assert.rejects(plugin.call('logic', new TextEncoder().encode('{not json')), (e) => e instanceof PluginError && e.kind === 'refused');
  assert.deepEqual(await plugin.call('logic', a), first);
  assert.deepEqual(first, await fresh(a));
  assert.equal(plugin.memory.buffer.byteLength, plugin.pristine.length);
});

test('the packed result: pointer in the high half, length in the low 31 bits, bit 31 the error flag', () => {
  assert.deepEqual(unpack((5n << 32n) | 12n), { ptr: 5, len: 12, failed: false });
  assert.deepEqual(unpack((70000n << 32n) | 0x80000000n | 3n), { ptr: 70000, len: 3, failed: true });
  assert.deepEqual(unpack(BigInt.asIntN(64, (0x7fffffffn << 32n) | 0xffffffffn)), { ptr: 0x7fffffff, len: 0x7fffffff, failed: true });
});

test('the app plus one seed form (schema and logic plugin) stay under 300 KB gzipped', async () => {
  const { gzipSync } = await import('node:zlib');
  const gz = (file) => gzipSync(fs.readFileSync(file), { level: 9 }).length;
  const staticDir = path.join(ROOT, 'host/static');
  const app = fs.readdirSync(staticDir, { recursive: true }).map(String).filter((f) => fs.statSync(path.join(staticDir, f)).isFile())
    .reduce((sum, f) => sum + gz(path.join(staticDir, f)), 0);
  for (const f of forms().filter((f) => f.study !== 'ejemplo-hogares')) {
    const manifest = JSON.parse(fs.readFileSync(path.join(f.dir, 'manifest.json'), 'utf8'));
    const entry = manifest.forms.find((x) => x.id === f.form);
    const form = gz(path.join(f.dir, entry.schema)) + (entry.logic ? gz(path.join(f.dir, entry.logic)) : 0);
    console.log(`app ${app} B + ${f.study}/${f.form} ${form} B = ${app + form} B gzipped`);
    assert.ok(app + form < 300 * 1024, `${app + form} bytes`);
  }
});
