/* whatif.js: the 単価診断 page's what-if parts, drawn from POST /api/v1/whatif's answer
 * (docs/api.md): the changes that would raise the rate most, ranked with bars, each a
 * button that applies it to the profile; and the fewest additions that reach a target
 * rate typed in 万円 (or the currency), with a button that applies them all. It uses
 * app.js's state, money(), bar() and changed(). */
'use strict';

/* What change c does, as a person says it: 「Rubyを追加すると」「PMPを取得すると」
 * 「職種をPMにすると」「経験年数が11年になると」; "Add Ruby", "Get PMP", ... */
function changeLabel(c) {
  const T = TEXT[state.lang], label = inputLabel(c.input);
  if (c.change === 'add') return c.input === 'certs' ? T.change_cert(c.name) : T.change_add(c.name);
  if (c.level !== null) return T.change_level(label, c.name);
  return c.input === 'years' ? T.change_years(c.value) : T.change_number(label, c.value);
}

/* Make change c part of the profile, as the server made it: a level added after the
 * others, another level for a categorical input, the new number. */
function applyChange(c) {
  if (c.change === 'add' && state[c.input] && !state[c.input].some((x) => x.id === c.level))
    state[c.input].push({ id: c.level });
  else if (c.change === 'role' && state[c.input]) state[c.input] = [{ id: c.level }];
  else if (c.change === 'years' && c.input === 'years') state.years = c.value;
}

/* One item of a list of changes: a button that applies it, with its label, a bar, the
 * change in the estimate and the estimate it gives. */
function changeItem(c, biggest, onPress) {
  const T = TEXT[state.lang], label = changeLabel(c);
  const li = document.createElement('li');
  li.className = c.delta < 0 ? 'change negative' : 'change';
  for (const k of ['change', 'input', 'delta', 'estimate', 'low', 'high'])
    li.dataset[k] = String(c[k]);
  if (c.level !== null) li.dataset.level = c.level;
  else li.dataset.value = String(c.value);
  const b = document.createElement('button');
  b.type = 'button';
  const text = document.createElement('span');
  text.className = 'change-label';
  text.textContent = T.whatif_item(label, money(c.delta, true));
  const then = document.createElement('span');
  then.className = 'change-then';
  then.textContent = T.whatif_then(money(c.estimate) + t('per_month'));
  b.append(text, bar(c.delta, biggest), then);
  if (c.no_evidence) {
    const note = document.createElement('small');
    note.className = 'term-note';
    note.textContent = t('no_evidence');
    b.append(note);
  }
  b.setAttribute('aria-label', T.whatif_press(label, money(c.delta, true) + t('per_month'),
                                              money(c.estimate) + t('per_month')));
  b.addEventListener('click', onPress);
  li.append(b);
  return li;
}

/* Set when an item was pressed: once the new result is drawn, focus goes to the first
 * item of the new list, so that Enter again takes the next best change. */
let focusWhatif = false;

/* The changes that raise the estimate most (POST /api/v1/whatif's "whatif"), ranked. */
function drawWhatif(r) {
  const items = Array.isArray(r.whatif) ? r.whatif : null;
  $('whatif').hidden = items === null;
  const ul = $('whatif-list');
  ul.textContent = '';
  if (!items) return;
  const biggest = Math.max(1e-9, ...items.map((c) => Math.abs(c.delta)));
  for (const c of items)
    ul.append(changeItem(c, biggest, () => { applyChange(c); focusWhatif = true; changed(); }));
  if (!items.length) {
    const li = document.createElement('li');
    li.className = 'change-none';
    li.textContent = t('whatif_none');
    ul.append(li);
  }
  drawPath(r);
  if (focusWhatif) {
    focusWhatif = false;
    (ul.querySelector('button') || $('whatif-title')).focus();
  }
}

/* The fewest additions that reach the target rate ("target"), and whether they do. */
function drawPath(r) {
  const T = TEXT[state.lang], target = r.target, ul = $('path-list');
  ul.textContent = '';
  $('path-apply').hidden = !target || target.path.length === 0;
  if (!target) { $('target-summary').textContent = ''; return; }
  const steps = target.path, n = steps.length;
  const last = n ? steps[n - 1].estimate : r.estimate;
  const biggest = Math.max(1e-9, ...steps.map((c) => Math.abs(c.delta)));
  steps.forEach((c, k) => ul.append(changeItem(c, biggest, () => {
    steps.slice(0, k + 1).forEach(applyChange);
    changed();
  })));
  const shown = money(last) + t('per_month');
  $('target-summary').textContent = target.reached && n === 0 ? T.target_already(shown)
    : target.reached ? T.target_reached(shown, n)
    : T.target_short(shown, n, money(target.rate - last));
  $('target-summary').dataset.reached = String(target.reached);
}

/* The target box shows 万円 in Japanese for a model in yen, else the currency itself; the
 * state (and the URL) keeps the amount in the currency. */
function targetFactor() { return model.currency === 'JPY' && state.lang === 'ja' ? 10000 : 1; }

function renderTarget() {
  const box = $('target-input');
  $('target-unit').textContent = model.currency === 'JPY' ? t('target_unit_yen')
                                                           : `${model.currency}${t('per_month')}`;
  if (document.activeElement !== box)
    box.value = state.target === null ? '' : String(state.target / targetFactor());
}

function setupWhatif() {
  $('target-input').addEventListener('input', (ev) => {
    const text = ev.target.value.trim(), v = Number(text);
    const ok = text === '' || (Number.isFinite(v) && v > 0);
    if (ok) ev.target.removeAttribute('aria-invalid'); else ev.target.setAttribute('aria-invalid', 'true');
    if (!ok) return;
    state.target = text === '' ? null : v * targetFactor();
    changed(false);
  });
  $('path-apply').addEventListener('click', () => {
    if (lastResult && lastResult.target) lastResult.target.path.forEach(applyChange);
    focusWhatif = true;
    changed();
  });
}
