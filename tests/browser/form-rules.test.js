// The app's pure rules, in Node, from the very modules the page loads (host/static/*.js):
// the shared relevance vectors (sdk/vectors/relevance.json, also run by the SDK and the server),
// numbers as people type them, what names a response, and the service worker's file list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './harness.js';
import { hidden, kept } from '../../host/static/relevance.js';
import { FormSession } from '../../host/static/form-session.js';
import { parseNumber, formatNumber } from '../../host/static/numbers.js';
import { summaryOf, commentTarget, formLanguages, textIn } from '../../host/static/schema.js';

const STATIC = path.join(ROOT, 'host/static');
const vectors = JSON.parse(fs.readFileSync(path.join(ROOT, 'sdk/vectors/relevance.json'), 'utf8'));

test('the shared relevance vectors: hidden() and what is kept', () => {
  assert.ok(vectors.rule.includes('hidden') && vectors.cases.length > 0);
  for (const c of vectors.cases) {
    for (const [p, want] of Object.entries(c.hidden)) assert.equal(hidden(p, c.fields), want, `${c.name}: ${p}`);
    assert.deepEqual(kept(c.answers, c.fields), c.kept, c.name);
  }
});

test('the shared relevance vectors: a form session hides the same questions and finalizes and sends `kept`', async () => {
  for (const c of vectors.cases) {
    const session = new FormSession({
      version: { schema: { type: 'object', properties: {} } }, answers: c.answers,
      evaluate: async () => ({ fields: c.fields, computed: {}, issues: [] }),
    });
    await session.changed();
    for (const [p, want] of Object.entries(c.hidden)) assert.equal(session.hidden(p), want, `${c.name}: ${p}`);
    assert.deepEqual(session.finalAnswers(), c.kept, c.name);
    assert.deepEqual(session.answers, c.answers, `${c.name}: the draft keeps every answer`);
  }
});

test('an answer hidden for a moment comes back; computed values follow the current answers', async () => {
  // A logic like the mujeres questionnaire's: under 18 ends the interview after the age.
  const logic = async (a) => {
    const age = a.edad;
    const out = { fields: {}, computed: {}, issues: [] };
    if (age !== undefined) out.computed['/resultado'] = age < 18 ? 'no_elegible' : 'elegible';
    if (age !== undefined && age < 18) out.fields['/trabajo'] = { relevant: false };
    return out;
  };
  const schema = { type: 'object', properties: { edad: { type: 'integer' }, resultado: { type: 'string', readOnly: true }, trabajo: { type: 'object', properties: { horas: { type: 'number' } } } } };
  const session = new FormSession({ version: { schema }, answers: { edad: 34, resultado: 'rechaza', trabajo: { horas: 1.5 } }, evaluate: logic });
  await session.changed();
  assert.deepEqual(session.finalAnswers(), { edad: 34, resultado: 'elegible', trabajo: { horas: 1.5 } }, 'a stale computed value is derived again');
  await session.set('/edad', 4);
  assert.deepEqual(session.finalAnswers(), { edad: 4, resultado: 'no_elegible' });
  assert.deepEqual(session.answers, { edad: 4, trabajo: { horas: 1.5 } }, 'the hidden answer stays in the draft');
  assert.deepEqual(session.keptHidden(), ['/trabajo']);
  await session.set('/edad', 43);
  assert.deepEqual(session.finalAnswers(), { edad: 43, resultado: 'elegible', trabajo: { horas: 1.5 } });
  await session.set('/edad', undefined);
  assert.deepEqual(session.finalAnswers(), { trabajo: { horas: 1.5 } }, 'no age: no computed result');
});

test('the logic may narrow a question\'s choices', async () => {
  const schema = { type: 'object', properties: { fruta: { type: 'string', enum: ['a', 'b', 'c'] } } };
  const session = new FormSession({ version: { schema }, answers: { fruta: 'c' }, evaluate: async () => ({ fields: {}, computed: {}, issues: [], choices: { '/fruta': ['a', 'b'] } }) });
  await session.changed();
  assert.deepEqual(session.choicesAt('/fruta').map((c) => c.code), ['a', 'b']);
  assert.deepEqual(session.problems().map((x) => [x.path, x.code]), [['/fruta', 'choice']], 'an answer no longer offered must be chosen again');
});

test('numbers as people type them: the locale\'s decimal mark, never another number', () => {
  const cl = { locale: 'es-CL' };
  assert.deepEqual(parseNumber('1,5', cl), { value: 1.5, grouped: false });
  assert.deepEqual(parseNumber('2,5', cl), { value: 2.5, grouped: false });
  assert.deepEqual(parseNumber('1.5', cl), { value: 1.5, grouped: false }, 'a keypad with only a point');
  assert.deepEqual(parseNumber('270.000', { locale: 'es-CL', integer: true }), { value: 270000, grouped: true });
  assert.deepEqual(parseNumber('270,000', { locale: 'es-CL', integer: true }), { error: 'integer' }, 'not 270');
  assert.deepEqual(parseNumber('1,5', { locale: 'en' }), { value: 1.5, grouped: false });
  assert.deepEqual(parseNumber('1,500', { locale: 'en' }), { value: 1500, grouped: true });
  assert.deepEqual(parseNumber('1,5', { locale: 'es-MX' }), { value: 1.5, grouped: false });
  for (const bad of ['12a', '1..5', '1,5,5', '1.5,3', '1 2', '--1', '+', 'e5', '1e5', 'Infinity']) {
    assert.ok(parseNumber(bad, cl).error, `"${bad}" is unreadable`);
  }
  assert.deepEqual(parseNumber('  ', cl), { empty: true });
  assert.equal(formatNumber(1.5, 'es-CL'), '1,5');
  assert.equal(formatNumber(1.5, 'en'), '1.5');
  assert.equal(formatNumber(270000, 'es-CL'), '270000');
});

test('what names a response: the answers the form names, choice labels in every language', () => {
  const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'studies/mujeres-migrantes-rm/schemas/cuestionario.schema.json'), 'utf8'));
  const answers = { identificacion: { a04_comuna: '13101', a05_edad: 34, a06_pais_nac: 'peru' } };
  assert.deepEqual(summaryOf(schema, answers), [], 'a form that names nothing: the app falls back on the case or the time');
  schema['x-summary'] = ['/identificacion/a04_comuna', '/identificacion/a05_edad', '/identificacion/a06_pais_nac', '/identificacion/a07_pais_otro'];
  const parts = summaryOf(schema, answers);
  assert.equal(parts.length, 3);
  assert.equal(textIn(parts[0], 'es'), 'Santiago');
  assert.equal(parts[1], 34);
  assert.equal(textIn(parts[2], 'en'), 'Peru');
});

test('a form\'s languages: x-languages with a default, else Spanish and English', () => {
  assert.deepEqual(formLanguages({}).languages.map((l) => l.code), ['es', 'en']);
  const declared = formLanguages({ 'x-languages': [{ code: 'es', name: 'Español' }, { code: 'ht', name: 'Kreyòl' }], 'x-default-language': 'es' });
  assert.deepEqual([declared.languages.map((l) => l.code), declared.fallback, declared.declared], [['es', 'ht'], 'es', true]);
  assert.equal(textIn({ es: 'Edad', ht: 'Laj' }, 'ht', 'es'), 'Laj');
  assert.equal(textIn({ es: 'Edad' }, 'ht', 'es'), 'Edad', 'a text without the language falls back on the default');
});

test('a returned response opens at the first question its review names, in questionnaire order', () => {
  const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'studies/3x1-migrantes/schemas/proyecto.schema.json'), 'utf8'));
  assert.equal(commentTarget(schema, { comment: 'Revisar el monto' }), null);
  assert.equal(commentTarget(schema, { comment: 'Revise p24_ap_federal y también p14_n_socios' }), '/club/p14_n_socios');
  assert.equal(commentTarget(schema, { comment: 'ver', comments: [{ path: '/convenio/p25_ap_estatal' }] }), '/convenio/p25_ap_estatal');
});

test('the service worker keeps every file of the app', () => {
  const sw = fs.readFileSync(path.join(STATIC, 'sw.js'), 'utf8');
  const listed = new Set(JSON.parse(sw.match(/const SHELL = (\[[^\]]*\])/s)[1].replace(/'/g, '"')));
  const files = fs.readdirSync(STATIC, { recursive: true }).map(String)
    .filter((f) => /\.(m?js|css|svg|webmanifest)$/.test(f) && f !== 'sw.js');
  assert.deepEqual(files.filter((f) => !listed.has(f)), [], 'files the service worker does not keep offline');
});
