/* app.js: the 単価診断 page. It reads the model's pick-lists from GET /api/v1/model, keeps
 * the profile (role, skills, certifications, years, language, a target rate) in the URL so
 * a result can be shared, asks POST /api/v1/whatif (or /api/v1/estimate on a server
 * without it) for the rate and draws it: 万円/月, the 80% band, the breakdown as bars
 * measured from the model's typical listing, "did you mean" for names the model does not
 * know, the changes that would raise the rate most (each applied with a click or Enter),
 * and the fewest additions that reach a target rate. No framework, no build step, nothing
 * from a CDN.
 *
 * The texts in both languages are in text.js, the what-if list and the path to a target
 * in whatif.js; index.html loads the three in that order.
 *
 * For tests and scrapers: #estimate carries data-estimate, data-low and data-high (the
 * numbers as the API gave them); #result has data-pending="0" once the shown result is the
 * answer for the current profile, and data-profile, the profile's JSON that was asked (the
 * what-if options are sent beside it). Each what-if item carries data-delta, data-estimate,
 * data-low, data-high, data-change, data-input and data-level (or data-value). */
'use strict';

const SET_INPUTS = ['role', 'skills', 'certs'];
const state = { lang: 'ja', role: [], skills: [], certs: [], years: null, target: null };
let model = null;          // GET /api/v1/model
const index = {};          // input id -> [{level, keys: [folded names]}]
let lastResult = null, seq = 0, timer = null;

const $ = (id) => document.getElementById(id);
const t = (key) => TEXT[state.lang][key];

/* Fold a name for matching as the library does (case, full-width letters, blanks and the
 * separators - _ . / ・), and more: NFKC also turns half-width katakana into full-width,
 * and hiragana becomes katakana, so that ぱいそん, typed before the IME converts it,
 * finds パイソン. */
function fold(s) {
  return s.normalize('NFKC').toLowerCase().replace(/[\s\-_./・･‐‑‒–—―−]/g, '')
    .replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60));
}

function levelName(input, level) {
  return level.name[state.lang] || level.name.en || level.id;
}

function buildIndex() {
  for (const input of model.inputs) {
    if (!input.levels) continue;
    index[input.id] = input.levels.map((level) => ({
      level,
      keys: [level.id, level.name.en, level.name.ja, ...level.aliases].filter(Boolean).map(fold)
    }));
  }
}

/* The level a name means, by an exact folded match on id, names or aliases, or null. */
function resolve(inputId, name) {
  const f = fold(name);
  if (!f || !index[inputId]) return null;
  const hit = index[inputId].find((e) => e.keys.includes(f));
  return hit ? hit.level : null;
}

/* Up to 8 levels whose names start with (then contain) what was typed. */
function candidates(inputId, typed) {
  const f = fold(typed);
  const scored = [];
  for (const e of index[inputId] || []) {
    let best = Infinity;
    e.keys.forEach((k) => {
      const at = k.indexOf(f);
      if (at === 0) best = Math.min(best, k.length);
      else if (at > 0) best = Math.min(best, 1000 + k.length);
    });
    if (f === '') best = 0;
    if (best < Infinity) scored.push([best, e.level]);
  }
  scored.sort((a, b) => a[0] - b[0]);
  return scored.slice(0, f === '' ? 200 : 8).map((s) => s[1]);
}

/* ---- Chips and type-ahead ---------------------------------------------------------- */

/* A chip is {id, name}: id is the level's id when the page knows the name, else null and
 * name is the text as typed (the server then lists it as unknown, with a suggestion). */
function addChip(inputId, name) {
  const level = resolve(inputId, name);
  const chip = level ? { id: level.id } : { id: null, name: name.trim() };
  if (!level && !chip.name) return;
  const list = state[inputId];
  const same = (c) => (chip.id ? c.id === chip.id : !c.id && fold(c.name) === fold(chip.name));
  if (inputId === 'role') list.length = 0;
  else if (list.some(same)) return;
  list.push(chip);
  changed();
}

function removeChip(inputId, i) {
  state[inputId].splice(i, 1);
  changed();
}

function chipLabel(inputId, chip) {
  if (!chip.id) return chip.name;
  const level = index[inputId].find((e) => e.level.id === chip.id).level;
  return levelName(inputId, level);
}

function renderChips(inputId) {
  const ul = $(inputId + '-chips');
  ul.textContent = '';
  state[inputId].forEach((chip, i) => {
    const li = document.createElement('li');
    li.className = chip.id ? 'chip' : 'chip chip-unknown';
    li.dataset.level = chip.id || '';
    const label = chipLabel(inputId, chip);
    const span = document.createElement('span');
    span.textContent = chip.id ? label : `${label} ${t('unknown_chip')}`;
    const x = document.createElement('button');
    x.type = 'button';
    x.className = 'chip-remove';
    x.textContent = '×';
    x.setAttribute('aria-label', `${t('remove')}: ${label}`);
    x.addEventListener('click', () => { removeChip(inputId, i); $(inputId + '-input').focus(); });
    li.append(span, x);
    ul.append(li);
  });
}

function setupCombo(inputId) {
  const box = $(inputId + '-input'), list = $(inputId + '-list');
  let active = -1, shown = [], moved = false;
  const close = () => { list.hidden = true; box.setAttribute('aria-expanded', 'false');
    box.removeAttribute('aria-activedescendant'); active = -1; };
  const highlight = (i) => {
    active = i;
    [...list.children].forEach((li, k) => li.setAttribute('aria-selected', String(k === i)));
    if (i >= 0) { box.setAttribute('aria-activedescendant', list.children[i].id);
      list.children[i].scrollIntoView({ block: 'nearest' }); }
  };
  const open = () => {
    moved = false;
    shown = candidates(inputId, box.value);
    list.textContent = '';
    shown.forEach((level, k) => {
      const li = document.createElement('li');
      li.id = `${inputId}-opt-${k}`;
      li.setAttribute('role', 'option');
      li.dataset.level = level.id;
      li.textContent = levelName(inputId, level);
      const other = state.lang === 'ja' ? level.name.en : level.name.ja;
      if (other && other !== li.textContent) {
        const small = document.createElement('small');
        small.textContent = other;
        li.append(' ', small);
      }
      li.addEventListener('mousedown', (ev) => { ev.preventDefault(); choose(k); });
      list.append(li);
    });
    list.hidden = shown.length === 0;
    box.setAttribute('aria-expanded', String(shown.length > 0));
    highlight(box.value.trim() && shown.length ? 0 : -1);
  };
  const choose = (k) => {
    addChip(inputId, shown[k].id);
    box.value = '';
    close();
  };
  /* Enter: the option picked with the arrow keys; else the name typed if the model knows
   * it; else the first option; else the text as typed (an unknown name, which the server
   * answers with a "did you mean"). */
  const commit = () => {
    const typed = box.value.trim();
    if (moved && shown[active]) choose(active);
    else if (typed && !resolve(inputId, typed) && shown[active]) choose(active);
    else if (typed) { typed.split(/[,、，]/).forEach((n) => n.trim() && addChip(inputId, n)); box.value = ''; close(); }
  };
  box.addEventListener('input', open);
  box.addEventListener('focus', open);
  // Leaving the box keeps what was typed; an option only highlighted is not taken.
  box.addEventListener('blur', () => { if (box.value.trim()) { moved = false; commit(); } close(); });
  box.addEventListener('keydown', (ev) => {
    if (ev.isComposing || ev.keyCode === 229) return; // the IME is still converting
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      if (list.hidden) open();
      const n = shown.length;
      if (n) highlight(((active < 0 && ev.key === 'ArrowUp' ? 0 : active) + (ev.key === 'ArrowDown' ? 1 : -1) + n) % n);
      moved = n > 0;
      ev.preventDefault();
    } else if (ev.key === 'Enter' || ev.key === ',' || ev.key === '、') {
      if (box.value.trim()) { commit(); ev.preventDefault(); }
      else if (ev.key === 'Enter') ev.preventDefault();
    } else if (ev.key === 'Escape') {
      close();
    } else if (ev.key === 'Backspace' && box.value === '' && state[inputId].length) {
      removeChip(inputId, state[inputId].length - 1);
    }
  });
}

/* ---- Years ------------------------------------------------------------------------- */

function yearsInput() { return model.inputs.find((i) => i.id === 'years'); }

function setupYears() {
  const y = yearsInput(), range = $('years-range'), num = $('years-number');
  if (!y) { $('field-years').hidden = true; return; }
  for (const el of [range, num]) { el.min = y.min; el.max = y.max; }
  num.min = 0; // the number box takes any value; the model clamps and says so
  num.removeAttribute('max');
  range.addEventListener('input', () => { num.value = range.value; setYears(range.value); });
  num.addEventListener('input', () => setYears(num.value));
}

function setYears(text) {
  const v = text === '' ? null : Number(text);
  const num = $('years-number');
  if (v !== null && !Number.isFinite(v)) { num.setAttribute('aria-invalid', 'true'); return; }
  num.removeAttribute('aria-invalid');
  state.years = v;
  if (v !== null) $('years-range').value = v;
  changed(false);
}

function renderYears() {
  const y = yearsInput();
  if (!y) return;
  const v = state.years === null ? y.default : state.years;
  if (document.activeElement !== $('years-number')) $('years-number').value = v;
  $('years-range').value = v;
  $('years-range').setAttribute('aria-valuetext', `${v} ${t('years_unit')}`);
}

/* ---- URL state --------------------------------------------------------------------- */

function names(list) { return list.map((c) => c.id || c.name); }

/* role=pmo&skills=java,aws&certs=pmp&years=8: commas left as they are, to be readable. */
function toQuery() {
  const parts = [];
  const add = (k, v) => parts.push(`${k}=${encodeURIComponent(v).replace(/%2C/g, ',')}`);
  if (state.role.length) add('role', names(state.role)[0]);
  if (state.skills.length) add('skills', names(state.skills).join(','));
  if (state.certs.length) add('certs', names(state.certs).join(','));
  if (state.years !== null) add('years', String(state.years));
  if (state.target !== null) add('target', String(state.target));
  if (state.lang !== 'ja') add('lang', state.lang);
  return parts.join('&');
}

function fromQuery(search) {
  const q = new URLSearchParams(search);
  state.lang = q.get('lang') === 'en' ? 'en' : 'ja';
  for (const id of SET_INPUTS) {
    state[id] = [];
    const v = q.get(id);
    if (!v || !index[id]) continue;
    for (const name of v.split(',')) {
      if (!name.trim()) continue;
      const level = resolve(id, name);
      state[id].push(level ? { id: level.id } : { id: null, name: name.trim() });
      if (id === 'role') break;
    }
  }
  const number = (key) => {
    const v = q.get(key);
    return v !== null && v !== '' && Number.isFinite(Number(v)) ? Number(v) : null;
  };
  state.years = number('years');
  const target = number('target');
  state.target = target !== null && target > 0 ? target : null;
}

/* ---- Estimating -------------------------------------------------------------------- */

function request() {
  const body = { lang: state.lang };
  if (state.role.length) body.role = names(state.role)[0];
  if (state.skills.length) body.skills = names(state.skills);
  if (state.certs.length) body.certs = names(state.certs);
  if (state.years !== null) body.years = state.years;
  return body;
}

/* The what-if request: the profile, the changes the page can apply (its inputs), five of
 * them, and the path to the target rate when one is set. Levels without evidence add
 * nothing, so they would rank below every change that helps: the page leaves them out. */
function whatifRequest(body) {
  const vary = model.inputs.map((i) => i.id).filter((id) => SET_INPUTS.includes(id) || id === 'years');
  const w = { ...body, top: 5, vary };
  if (state.target !== null) w.target_rate = state.target;
  return w;
}

/* Called on every change: the URL now, the estimate a moment later (typing fast sends one
 * request, not one per key). Only the answer to the latest request is shown. */
function changed(redrawChips = true) {
  if (redrawChips) SET_INPUTS.forEach(renderChips);
  renderYears();
  renderTarget();
  history.replaceState(null, '', toQuery() ? '?' + toQuery() : location.pathname);
  $('share-link').href = location.href;
  $('result').dataset.pending = '1';
  clearTimeout(timer);
  timer = setTimeout(estimate, 120);
}

async function post(path, body) {
  const r = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                body: JSON.stringify(body) });
  const data = await r.json();
  if (!r.ok) throw new Error(data.error ? data.error.message : r.statusText);
  return data;
}

/* One request: the what-if's answer is the estimate's object with "whatif" (and "target")
 * added. */
async function estimate() {
  const mine = ++seq, body = request();
  const whatif = model.capabilities && model.capabilities.whatif;
  try {
    const result = whatif ? await post('api/v1/whatif', whatifRequest(body))
                          : await post('api/v1/estimate', body);
    if (mine !== seq) return;
    lastResult = result;
    showError(null);
    renderResult(result);
    $('result').dataset.profile = JSON.stringify(body);
  } catch (e) {
    if (mine !== seq) return;
    showError(e.message);
  }
  if (mine === seq) $('result').dataset.pending = '0';
}

function showError(message) {
  $('error').hidden = !message;
  $('error').textContent = message ? TEXT[state.lang].error(message) : '';
}

/* ---- Drawing the result ------------------------------------------------------------ */

/* An amount as a reader wants it: 92.3万円 in Japanese, ¥923,000 in English. */
function money(x, sign = false) {
  const a = Math.abs(x), cur = model.currency || '', man = cur === 'JPY' && state.lang === 'ja';
  // An amount that shows as 0 gets no minus (as in engrate-estimate).
  const shows = man ? Math.round(a / 1000) > 0 : Math.round(a) > 0;
  const s = x < 0 && shows ? '-' : sign ? '+' : '';
  if (man) return `${s}${(a / 10000).toFixed(1)}万円`;
  const grouped = Math.round(a).toLocaleString('en-US');
  return cur === 'JPY' ? `${s}¥${grouped}` : `${s}${grouped} ${cur}`;
}

function renderResult(r) {
  const out = $('estimate');
  out.dataset.estimate = String(r.estimate);
  out.dataset.low = String(r.low);
  out.dataset.high = String(r.high);
  out.textContent = money(r.estimate) + t('per_month');
  $('peek').textContent = `${t('result')}: ${out.textContent} ↓`;
  $('peek').hidden = false;
  const level = Math.round(r.level * 100);
  $('band-text').textContent = TEXT[state.lang].band(level, money(r.low), money(r.high));
  drawBand(r);
  drawBreakdown(r);
  drawUnknown(r);
  drawNotes(r);
  drawWhatif(r);
}

/* The band on a scale from a little below low to a little above high. */
function drawBand(r) {
  const lo = r.low * 0.85, hi = r.high * 1.1, pos = (x) => `${((x - lo) / (hi - lo)) * 100}%`;
  $('band-range').style.left = pos(r.low);
  $('band-range').style.width = `${((r.high - r.low) / (hi - lo)) * 100}%`;
  $('band-mark').style.left = pos(r.estimate);
  $('band-low').textContent = money(r.low);
  $('band-high').textContent = money(r.high);
}

function inputOf(id) { return model.inputs.find((i) => i.id === id); }
function inputLabel(id) { const i = inputOf(id); return (i && i.label[state.lang]) || id; }

/* A row that takes an input's typical effect out of the breakdown (the API's contribution
 * with no level for an input that has levels): the model measures from a typical listing,
 * so a set's typical share, or a role not given, is subtracted here. */
function isReference(c) {
  const input = inputOf(c.input);
  return c.level === null && !!input && input.kind !== 'numeric';
}

/* As engrate-estimate labels the rows: the level's name, "経験年数: 8 年", and for a
 * reference row 「スキル: 平均的な案件の分を差し引き」 / "Skills: less the typical listing's". */
function termLabel(c) {
  if (isReference(c)) return TEXT[state.lang].less_typical(inputLabel(c.input), c.name);
  if (c.level === null && c.value !== null)
    return `${c.name}: ${c.value} ${t('years_unit')}`;
  return c.name;
}

/* The base: the estimate of the model's typical listing, said so, with a line on what the
 * bars then mean; a model without one starts from its intercept, just "基本額". */
function drawBase(base) {
  const ref = model.reference, name = ref && (ref.name[state.lang] || ref.name.en);
  $('base-label').textContent = ref ? TEXT[state.lang].base_of(name) : t('base');
  $('base-amount').textContent = base ? money(base.amount) : '';
  $('base-note').hidden = !ref;
  $('base-note').textContent = ref ? TEXT[state.lang].base_note(name) : '';
}

/* A horizontal bar of |x| on a scale where `biggest` fills it. */
function bar(x, biggest) {
  const outer = document.createElement('span');
  outer.className = 'term-bar';
  outer.setAttribute('aria-hidden', 'true');
  const fill = document.createElement('span');
  fill.className = 'term-fill';
  fill.style.width = `${(Math.abs(x) / biggest) * 100}%`;
  outer.append(fill);
  return outer;
}

/* The rows grouped by input in the model's order, each input's reference row after its
 * levels (the API gives them so; sorting keeps it true whatever the order). */
function grouped(terms) {
  const order = (c) => model.inputs.findIndex((i) => i.id === c.input);
  return terms.map((c, k) => [c, k])
    .sort((a, b) => order(a[0]) - order(b[0]) || isReference(a[0]) - isReference(b[0]) || a[1] - b[1])
    .map((e) => e[0]);
}

function drawBreakdown(r) {
  drawBase(r.contributions.find((c) => c.input === '(base)'));
  const terms = grouped(r.contributions.filter((c) => c.input !== '(base)'));
  const biggest = Math.max(1e-9, ...terms.map((c) => Math.abs(c.amount)));
  const ul = $('breakdown');
  ul.textContent = '';
  let previous = null;
  for (const c of terms) {
    const li = document.createElement('li');
    li.className = c.amount < 0 ? 'term negative' : 'term';
    if (isReference(c)) { li.classList.add('term-reference'); li.dataset.reference = '1'; }
    if (previous !== null && previous !== c.input) li.classList.add('term-first');
    previous = c.input;
    li.dataset.input = c.input;
    li.dataset.amount = String(c.amount);
    const label = document.createElement('span');
    label.className = 'term-label';
    label.textContent = termLabel(c);
    const amount = document.createElement('span');
    amount.className = 'term-amount';
    amount.textContent = money(c.amount, true);
    li.append(label, bar(c.amount, biggest), amount);
    if (c.no_evidence) {
      const note = document.createElement('small');
      note.className = 'term-note';
      note.textContent = t('no_evidence');
      li.append(note);
    }
    ul.append(li);
  }
}

/* "'jva' was not found. Did you mean [Java]?" under the field the name was typed in. */
function drawUnknown(r) {
  for (const id of SET_INPUTS) $(id + '-unknown').textContent = '';
  for (const s of r.suggestions) {
    const box = $(s.input + '-unknown');
    if (!box) continue;
    const p = document.createElement('p');
    p.append(TEXT[state.lang].not_found(s.given));
    if (s.suggestion) {
      const level = index[s.input].find((e) => e.level.id === s.suggestion).level;
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'suggestion';
      b.dataset.level = level.id;
      b.textContent = levelName(s.input, level);
      b.addEventListener('click', () => replaceUnknown(s.input, s.given, level.id));
      p.append(' ', t('did_you_mean'), ' ', b, state.lang === 'ja' ? '' : '?');
    }
    box.append(p);
  }
}

function replaceUnknown(inputId, given, levelId) {
  const list = state[inputId];
  const i = list.findIndex((c) => !c.id && c.name === given);
  if (i < 0) return;
  if (list.some((c) => c.id === levelId)) list.splice(i, 1);
  else list[i] = { id: levelId };
  changed();
  $(inputId + '-input').focus();
}

function drawNotes(r) {
  const ul = $('notes'), y = yearsInput();
  ul.textContent = '';
  const add = (text) => { const li = document.createElement('li'); li.textContent = text; ul.append(li); };
  if (r.flags.includes('missing')) add(t('missing_role'));
  if (y && r.flags.includes('defaulted')) add(TEXT[state.lang].years_default(y.default));
  if (y && r.flags.includes('clamped')) add(TEXT[state.lang].years_clamped(y.min, y.max));
  $('years-note').textContent = y && state.years === null ? TEXT[state.lang].years_default(y.default) : '';
}

/* ---- Language, start --------------------------------------------------------------- */

function applyLanguage() {
  document.documentElement.lang = state.lang;
  document.title = t('title');
  document.querySelectorAll('[data-t]').forEach((el) => { el.textContent = t(el.dataset.t); });
  document.querySelectorAll('[data-t-label]').forEach((el) => el.setAttribute('aria-label', t(el.dataset.tLabel)));
  const sw = $('lang-switch');
  sw.textContent = t('switch_to');
  sw.lang = state.lang === 'ja' ? 'en' : 'ja';
  if (model) {
    $('model-info').textContent = TEXT[state.lang].model(model);
    for (const input of model.inputs) {
      const label = document.querySelector(`label[for="${input.id}-input"], #${input.id}-label`);
      if (label && input.label[state.lang]) label.textContent = input.label[state.lang];
    }
  }
}

function setupPage() {
  $('profile').addEventListener('submit', (ev) => ev.preventDefault());
  $('lang-switch').addEventListener('click', () => {
    state.lang = state.lang === 'ja' ? 'en' : 'ja';
    applyLanguage();
    changed();
  });
  $('copy-link').addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(location.href); $('copy-status').textContent = t('copied'); }
    catch (e) { $('share-link').focus(); }
  });
  window.addEventListener('popstate', () => { fromQuery(location.search); applyLanguage(); changed(); });
}

/* The phone's bar hides while the result itself is on screen. */
function setupPeek() {
  if (!('IntersectionObserver' in window)) return;
  new IntersectionObserver((entries) => {
    document.body.classList.toggle('result-visible', entries[0].isIntersecting);
  }).observe($('result'));
}

async function start() {
  setupPage();
  setupPeek();
  try {
    const r = await fetch('api/v1/model');
    if (!r.ok) throw new Error(r.statusText);
    model = await r.json();
  } catch (e) {
    showError(e.message);
    return;
  }
  buildIndex();
  for (const id of SET_INPUTS) {
    if (index[id]) setupCombo(id);
    else $('field-' + id).hidden = true;
  }
  setupYears();
  setupWhatif();
  fromQuery(location.search);
  applyLanguage();
  document.body.dataset.ready = '1';
  changed();
}

document.addEventListener('DOMContentLoaded', start);
