/* Numbers as people type them. The decimal mark is the locale's (a comma in Chile, a point in
 * Mexico or in English); "1,5" is never 15. What cannot be read is an error, never another
 * number. Pure functions, no DOM: Node's tests load this module as the page does.
 *
 * Reading, with the locale's decimal mark D and its group mark G:
 * - D once: the decimal mark ("1,5" in es-CL is 1.5; a trailing D while typing, "1,", is 1);
 * - G only between groups of three digits ("1.500" in es-CL is 1500; spaces group too);
 * - the other mark, once, where it cannot be grouping: a decimal mark too ("1.5" in es-CL is 1.5,
 *   for keypads that only have a point);
 * - anything else is unreadable ("1.5,3", "12a", "1..5"); an integer question refuses a fraction. */

const SPACES = /[\s\u00a0\u202f]/;

/** The locale for numbers: the language's, with the device's region when it speaks that language. */
export function numberLocale(lang, deviceLanguages = []) {
  const region = deviceLanguages.find((l) => l && l.toLowerCase().split('-')[0] === String(lang).toLowerCase());
  return region || lang || 'es';
}

/** The decimal and group marks of a locale. */
export function marks(locale) {
  let parts = [];
  try {
    parts = new Intl.NumberFormat(locale).formatToParts(12345.6);
  } catch (_) { /* an unknown locale: the point */ }
  const find = (type, fallback) => (parts.find((p) => p.type === type) || { value: fallback }).value;
  return { decimal: find('decimal', '.'), group: find('group', ',') };
}

/** Groups of three after the first (1 to 3 digits), split by one kind of mark. */
function grouped(digits, mark) {
  const groups = digits.split(mark);
  return groups.length > 1 && /^\d{1,3}$/.test(groups[0]) && groups.slice(1).every((g) => /^\d{3}$/.test(g));
}

/**
 * Reads `text` typed in `locale`. Returns `{ empty: true }`, `{ value, grouped }` (grouped: a
 * group mark was read as such, so the app shows the number back), or `{ error: 'number' |
 * 'integer' }`.
 */
export function parseNumber(text, { locale = 'es', integer = false } = {}) {
  let t = String(text ?? '').trim().replace(/\u2212/g, '-');
  if (t === '') return { empty: true };
  let sign = '';
  if (/^[+-]/.test(t)) { sign = t[0] === '-' ? '-' : ''; t = t.slice(1).trim(); }
  if (!/^[\d.,\s\u00a0\u202f]+$/.test(t) || !/\d/.test(t) || !/^[\d.,]/.test(t)) return { error: 'number' };
  const { decimal, group } = marks(locale);
  const D = decimal === ',' ? ',' : '.';
  const other = D === ',' ? '.' : ',';
  const G = SPACES.test(group) ? ' ' : group; // the locale's group mark; spaces group in every locale
  const compact = t.replace(/[\s\u00a0\u202f]+/g, ' ');
  let whole = compact;
  let fraction = null;
  const dParts = compact.split(D);
  if (dParts.length > 2) return { error: 'number' };
  if (dParts.length === 2) {
    [whole, fraction] = dParts;
  } else if (compact.includes(other) && !(G === other && grouped(compact, other))) {
    // The other mark where it cannot be grouping: a decimal mark, once.
    const oParts = compact.split(other);
    if (oParts.length > 2) return { error: 'number' };
    [whole, fraction] = oParts;
  }
  if (fraction !== null && !/^\d*$/.test(fraction)) return { error: 'number' };
  let wasGrouped = false;
  if (whole === '' && fraction) whole = '0'; // ",5"
  if (!/^\d+$/.test(whole)) {
    // Digits in groups of three, split by one mark: a space, or the locale's group mark.
    const kinds = new Set(whole.replace(/\d/g, ''));
    const [mark] = kinds;
    if (kinds.size !== 1 || (mark !== ' ' && mark !== G) || !grouped(whole, mark)) return { error: 'number' };
    whole = whole.split(mark).join('');
    wasGrouped = true;
  }
  if (integer && fraction !== null && fraction !== '') return { error: 'integer' };
  const value = Number(`${sign}${whole}${fraction ? '.' + fraction : ''}`);
  if (!Number.isFinite(value)) return { error: 'number' };
  return { value: Object.is(value, -0) ? 0 : value, grouped: wasGrouped };
}

/** A number as the input shows it back: the locale's decimal mark, no grouping. */
export function formatNumber(value, locale = 'es') {
  if (typeof value !== 'number' || !Number.isFinite(value)) return value === undefined || value === null ? '' : String(value);
  try {
    return new Intl.NumberFormat(locale, { useGrouping: false, maximumFractionDigits: 20 }).format(value);
  } catch (_) {
    return String(value);
  }
}

/** A number to read (computed values, scores): the locale's marks, with grouping. */
export function displayNumber(value, locale = 'es') {
  try {
    return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(value);
  } catch (_) {
    return String(value);
  }
}
