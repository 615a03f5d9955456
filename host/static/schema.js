/* A form version's JSON Schema read as a questionnaire (README, "Enumerator app", lists the
 * keywords: x-label, x-hint, x-choices, x-choice-filter, readOnly; at the root x-languages,
 * x-default-language and x-summary). Pure functions, no DOM. */
import { segments, getAt, pointer } from './pointer.js';

export function typeOf(s) {
  return Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
}

/** What kind of question a schema node is. */
export function kindOf(s) {
  const type = typeOf(s);
  if (s.readOnly) return 'computed';
  if (type === 'object') return 'group';
  if (type === 'array') return s.items && typeOf(s.items) === 'object' ? 'repeat' : 'multi';
  if (s.enum || s['x-choices']) return 'choice';
  if (type === 'integer') return 'integer';
  if (type === 'number') return 'number';
  if (type === 'boolean') return 'boolean';
  if (s.format === 'date') return 'date';
  return 'text';
}

/** Pages: each top-level group is a section; consecutive top-level questions share a page. */
export function pagesOf(schema) {
  const pages = [];
  let loose = null;
  for (const [key, s] of Object.entries(schema.properties || {})) {
    if (kindOf(s) === 'group') {
      loose = null;
      pages.push({ keys: [key], label: s['x-label'] || null });
    } else {
      if (!loose) pages.push((loose = { keys: [], label: null }));
      loose.keys.push(key);
    }
  }
  return pages;
}

/** The schema node of the question at `p` (repeat indices step into `items`). */
export function schemaAt(schema, p) {
  let s = schema;
  for (const seg of segments(p)) {
    if (!s) return null;
    if (typeOf(s) === 'array') s = s.items;
    else s = (s.properties || {})[seg];
  }
  return s || null;
}

const YES_NO = [{ code: true, label: { es: 'Sí', en: 'Yes' } }, { code: false, label: { es: 'No', en: 'No' } }];

/** A question's choices, each {code, label, parent?}. */
export function choicesOf(s) {
  if (kindOf(s) === 'boolean') return YES_NO;
  const values = s.enum || (s.items && s.items.enum) || [];
  const labelled = s['x-choices'] || (s.items && s.items['x-choices']) || [];
  if (labelled.length) return labelled.map((c) => ({ code: c.code, label: c.label, parent: c.parent }));
  return values.map((v) => ({ code: v, label: String(v) }));
}

/** The languages of a form's texts: its `x-languages`, or Spanish and English. */
export function formLanguages(schema) {
  const declared = Array.isArray(schema && schema['x-languages'])
    ? schema['x-languages'].filter((l) => l && typeof l.code === 'string' && l.code) : [];
  if (!declared.length) return { languages: [{ code: 'es', name: 'Español' }, { code: 'en', name: 'English' }], fallback: 'es', declared: false };
  const codes = declared.map((l) => l.code);
  const fallback = codes.includes(schema['x-default-language']) ? schema['x-default-language'] : codes[0];
  return { languages: declared.map((l) => ({ code: l.code, name: typeof l.name === 'string' && l.name ? l.name : l.code })), fallback, declared: true };
}

/** A text of the form in language `lang`: a string, or an object keyed by language code. */
export function textIn(text, lang, fallback = 'es') {
  if (text === undefined || text === null) return '';
  if (typeof text !== 'object') return String(text);
  for (const code of [lang, fallback, 'es', 'en']) if (typeof text[code] === 'string' && text[code]) return text[code];
  return Object.values(text).find((v) => typeof v === 'string' && v) || '';
}

/** The label of an answered value: a choice's label, else the value itself (a Text). */
export function answerText(s, v) {
  if (v === undefined || v === null || v === '') return null;
  if (s && (s.enum || s['x-choices'] || (s.items && (s.items.enum || s.items['x-choices'])) || kindOf(s) === 'boolean')) {
    const choices = choicesOf(s);
    const label = (code) => (choices.find((c) => c.code === code) || { label: String(code) }).label;
    if (Array.isArray(v)) return v.map(label);
    return label(v);
  }
  return typeof v === 'object' ? null : v;
}

/** What names a response in lists: the answers at the schema's `x-summary` pointers, as Texts
 * (choice labels keyed by language) or plain values; empty when the form names none. */
export function summaryOf(schema, answers) {
  const pointers = Array.isArray(schema && schema['x-summary']) ? schema['x-summary'] : [];
  const parts = [];
  for (const p of pointers) {
    if (typeof p !== 'string') continue;
    const text = answerText(schemaAt(schema, p), getAt(answers, p));
    if (text === null || text === undefined) continue;
    if (Array.isArray(text)) parts.push(...text);
    else parts.push(text);
  }
  return parts;
}

/** A sort key that puts pointers in questionnaire order (the schema's order; repeat items by index). */
export function orderKey(schema, p) {
  const key = [];
  let s = schema;
  for (const seg of segments(p)) {
    if (!s) { key.push(Infinity); continue; }
    if (typeOf(s) === 'array') {
      key.push(/^\d+$/.test(seg) ? Number(seg) : Infinity);
      s = s.items;
    } else {
      const names = Object.keys(s.properties || {});
      const i = names.indexOf(seg);
      key.push(i < 0 ? Infinity : i);
      s = (s.properties || {})[seg];
    }
  }
  return key;
}

export function compareOrder(a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = i < a.length ? a[i] : -1;
    const y = i < b.length ? b[i] : -1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

// ---- Messages of the client's own schema checks (the server's wording where it has one) ------
export const MSG = {
  required: () => ({ es: 'Esta pregunta es obligatoria', en: 'This question is required' }),
  integer: () => ({ es: 'Debe ser un número entero', en: 'Must be a whole number' }),
  number: () => ({ es: 'Debe ser un número', en: 'Must be a number' }),
  unreadable: (text) => ({ es: `No se entiende «${text}» como número: corríjalo`, en: `"${text}" cannot be read as a number: please correct it` }),
  minimum: (n) => ({ es: `Debe ser al menos ${n}`, en: `Must be at least ${n}` }),
  maximum: (n) => ({ es: `Debe ser como máximo ${n}`, en: `Must be at most ${n}` }),
  multipleOf: (n) => ({ es: `Debe ser múltiplo de ${n}`, en: `Must be a multiple of ${n}` }),
  minLength: (n) => ({ es: `Escriba al menos ${n} caracteres`, en: `Write at least ${n} characters` }),
  maxLength: (n) => ({ es: `Escriba como máximo ${n} caracteres`, en: `Write at most ${n} characters` }),
  pattern: () => ({ es: 'El formato no es válido', en: 'The format is not valid' }),
  minItems: (n) => ({ es: `Elija al menos ${n}`, en: `Choose at least ${n}` }),
  maxItems: (n) => ({ es: `Como máximo ${n}`, en: `At most ${n}` }),
  date: () => ({ es: 'Escriba una fecha válida', en: 'Enter a valid date' }),
};

/** The schema's own limits on one answered value, for feedback before the server sees it. */
export function checkValue(s, v) {
  const kind = kindOf(s);
  if (kind === 'integer' || kind === 'number' || (kind === 'computed' && typeof v === 'number')) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return MSG.number();
    if (typeOf(s) === 'integer' && !Number.isInteger(v)) return MSG.integer();
    if (s.minimum !== undefined && v < s.minimum) return MSG.minimum(s.minimum);
    if (s.maximum !== undefined && v > s.maximum) return MSG.maximum(s.maximum);
    if (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum) return MSG.minimum(s.exclusiveMinimum);
    if (s.exclusiveMaximum !== undefined && v >= s.exclusiveMaximum) return MSG.maximum(s.exclusiveMaximum);
    if (s.multipleOf && Math.abs(v / s.multipleOf - Math.round(v / s.multipleOf)) > 1e-9) return MSG.multipleOf(s.multipleOf);
  }
  if (typeof v === 'string') {
    const n = [...v].length;
    if (s.minLength !== undefined && n < s.minLength) return MSG.minLength(s.minLength);
    if (s.maxLength !== undefined && n > s.maxLength) return MSG.maxLength(s.maxLength);
    if (s.pattern) {
      try { if (!new RegExp(s.pattern, 'u').test(v)) return MSG.pattern(); } catch (_) { /* the server decides */ }
    }
    if (s.format === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(v)) return MSG.date();
  }
  if (Array.isArray(v) && kind === 'multi') {
    if (s.minItems !== undefined && v.length < s.minItems) return MSG.minItems(s.minItems);
    if (s.maxItems !== undefined && v.length > s.maxItems) return MSG.maxItems(s.maxItems);
  }
  return null;
}

/** The pointer of a filter's parent question, taking repeat indices from the dependent. */
export function relatedPointer(filterPath, dependentSegs) {
  const target = segments(filterPath.startsWith('/') ? filterPath : '/' + filterPath);
  const out = [];
  let d = 0;
  for (const t of target) {
    while (d < dependentSegs.length && /^\d+$/.test(dependentSegs[d]) && out.length === d) out.push(dependentSegs[d++]);
    out.push(t);
    if (dependentSegs[d] === t) d++;
    else d = dependentSegs.length;
  }
  return pointer(out);
}

/** Where a returned response opens: the first question (in questionnaire order) that the
 * review names, in `comments: [{path}]` when the server gives them, else by its id or pointer in
 * the comment's text. */
export function commentTarget(schema, correction) {
  if (!correction) return null;
  const paths = [];
  for (const x of Array.isArray(correction.comments) ? correction.comments : []) if (x && typeof x.path === 'string') paths.push(x.path);
  const text = String(correction.comment || '');
  const index = new Map();
  const walk = (s, segs) => {
    for (const [k, child] of Object.entries((s && s.properties) || {})) {
      const here = segs.concat(k);
      if (!index.has(k)) index.set(k, pointer(here));
      if (child.type === 'object') walk(child, here);
      else if (child.type === 'array' && child.items && child.items.type === 'object') walk(child.items, here.concat('0'));
    }
  };
  walk(schema, []);
  for (const m of text.matchAll(/\/?[A-Za-z_][\w/]*/g)) {
    const word = m[0];
    if (word.startsWith('/') && schemaAt(schema, word)) paths.push(word);
    else if (index.has(word)) paths.push(index.get(word));
  }
  if (!paths.length) return null;
  return paths.sort((a, b) => compareOrder(orderKey(schema, a), orderKey(schema, b)))[0];
}
