// The statistics page: headline rates, the stage Pareto, handling hours per category,
// satisfaction and returns per category, handling hours and tickets per squad and per
// department, and the trend over time, for a date range (local days, UTC+8); the guide's
// time limits per category; any table as CSV (fetched with the token, saved as a file;
// the engine's CSV carries a BOM for Excel and a name beside every id).
import { initI18n, t, name, onLangChange, categoryName } from './i18n.js';
import { Api, tokens, signIn, query } from './api.js';
import { pareto, hbars, pairs, series, num } from './charts.js';
import { esc, percent, LIMIT_STAGES, stageLimits } from './format.js';

async function checkToken(token) {
  try {
    await new Api(token).get('/stats/rates?to=1970-01-02T00:00:00Z');
  } catch (e) {
    throw new Error(e.status === 403 ? t('auth.role') : e.status === 401 ? t('auth.bad') : e.message);
  }
}

/** `YYYY-MM-DD` (a local date) to the RFC 3339 instant of its local midnight (UTC+8). */
const instant = (date, plusDays = 0) => new Date(Date.parse(`${date}T00:00:00+08:00`) + plusDays * 86400000).toISOString();
const localDate = (d) => new Date(d.getTime() + 8 * 3600000).toISOString().slice(0, 10);

let data = null;
let catalog = [];
let guide = null;


/** The guide's time limits, hours per stage, for each category at its default grade. */
function limitsTable() {
  if (!guide || !catalog.length) return `<p class="hint">${esc(t('stats.no_data'))}</p>`;
  const head = `<tr><th>${esc(t('stats.col.category'))}</th><th>${esc(t('stats.col.grade'))}</th>${LIMIT_STAGES.map((s) => `<th>${esc(name('stage', s))}</th>`).join('')}<th>${esc(t('stats.col.total'))}</th></tr>`;
  const hours = (v) => (v == null ? '—' : num(v));
  const body = catalog.map((c) => {
    const { limits: l, own } = stageLimits(c, c.urgency, guide.sla_hours);
    return `<tr data-limits="${esc(c.code)}"${own ? ' class="own"' : ''}><td>${esc(categoryName(c.code, catalog))}</td><td>${esc(name('grade', c.urgency) || c.urgency)}</td>${LIMIT_STAGES.map((st) => `<td class="num">${esc(hours(l[st]))}</td>`).join('')}<td class="num">${esc(hours(l.total))}</td></tr>`;
  }).join('');
  return `<table class="limits"><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function render() {
  if (!data) return;
  const { stages, categories, rates, trend, teams } = data;
  document.getElementById('rates').innerHTML = [
    ['stats.tickets', rates.tickets],
    ['stats.response_rate', percent(rates.response_rate)],
    ['stats.resolution_rate', percent(rates.resolution_rate)],
    ['stats.satisfaction_rate', percent(rates.satisfaction_rate)],
    ['stats.rework_rate', percent(rates.rework_rate)],
  ].map(([k, v]) => `<div class="rate"><div class="rate-v">${esc(v)}</div><div class="rate-k">${esc(t(k))}</div></div>`).join('');
  const empty = `<p class="hint">${esc(t('stats.no_data'))}</p>`;
  document.getElementById('chart-pareto').innerHTML = stages.length
    ? pareto(stages.map((s) => ({ label: name('stage', s.stage), value: s.total_hours, cumulative: s.cumulative_share })), { unit: '' })
    : empty;
  const cats = categories.categories.filter((c) => c.key !== 'unclassified').sort((a, b) => b.mean_handling_hours - a.mean_handling_hours);
  document.getElementById('chart-handling').innerHTML = cats.length
    ? hbars(cats.map((c) => ({ label: categoryName(c.key, catalog), value: c.mean_handling_hours })), { unit: ` ${t('unit.h')}` })
    : empty;
  document.getElementById('chart-rates').innerHTML = cats.length
    ? pairs(cats.map((c) => ({ label: categoryName(c.key, catalog), sat: c.satisfaction_rate, returns: c.returns })), [
      { key: 'sat', label: t('stats.satisfaction_rate'), max: 1, fmt: (v) => percent(v) },
      { key: 'returns', label: t('stats.returns'), fmt: (v) => String(v ?? 0) },
    ])
    : empty;
  const groupBars = (rows, label) => rows.length
    ? hbars(rows.map((r) => ({ label: label(r), value: r.mean_handling_hours, tickets: r.tickets })), {
      fmt: (v, d) => `${num(v)} ${t('unit.h')} · ${t('stats.tickets_n', { n: d.tickets })}`,
      right: 150,
    })
    : empty;
  const bySize = (a, b) => b.tickets - a.tickets || a.key.localeCompare(b.key);
  document.getElementById('chart-teams').innerHTML = groupBars([...teams].sort(bySize), (r) => r.name || r.key);
  document.getElementById('chart-departments').innerHTML = groupBars([...categories.departments].sort(bySize), (r) => name('department', r.key) || r.name || r.key);
  document.getElementById('limits').innerHTML = limitsTable();
  document.getElementById('chart-trend').innerHTML = trend.length
    ? series(trend, { bars: 'received', line: 'answered', legend: [t('stats.received'), t('stats.answered')] })
    : empty;
}

async function main() {
  initI18n(document.getElementById('lang'));
  let token = tokens.staff();
  if (token) { try { await checkToken(token); } catch { token = null; tokens.clearStaff(); } }
  if (!token) { token = await signIn(document.getElementById('signin'), checkToken); tokens.setStaff(token); }
  document.getElementById('signout').addEventListener('click', () => { tokens.clearStaff(); location.reload(); });
  const api = new Api(token);
  try { guide = await api.get('/catalog'); catalog = guide.categories; } catch { catalog = []; }
  const form = document.getElementById('range');
  const now = new Date();
  form.from.value = localDate(new Date(now.getTime() - 29 * 86400000));
  form.to.value = localDate(now);
  const params = () => ({ from: instant(form.from.value), to: instant(form.to.value, 1) });

  async function load() {
    const p = params();
    try {
      const [stages, categories, rates, trend, teams] = await Promise.all([
        api.get(`/stats/stages${query(p)}`),
        api.get(`/stats/categories${query(p)}`),
        api.get(`/stats/rates${query(p)}`),
        api.get(`/stats/trend${query({ ...p, bucket: form.bucket.value })}`),
        api.get(`/stats/teams${query(p)}`),
      ]);
      data = { stages, categories, rates, trend, teams };
      render();
      document.body.dataset.loaded = 'true';
    } catch (e) {
      toast(e.message);
    }
  }

  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  document.getElementById('csv').addEventListener('click', async () => {
    const kind = document.getElementById('csv-kind').value;
    const p = { ...params(), format: 'csv', ...(kind === 'trend' ? { bucket: form.bucket.value } : {}) };
    const res = await fetch(`/api/v1/stats/${kind}${query(p)}`, { headers: { Authorization: `Bearer ${token}` } });
    if (!res.ok) { toast(`HTTP ${res.status}`); return; }
    const url = URL.createObjectURL(await res.blob());
    const a = Object.assign(document.createElement('a'), { href: url, download: `${kind}-${form.from.value}-${form.to.value}.csv` });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
  onLangChange(render);
  await load();
}

function toast(text) {
  const el = Object.assign(document.createElement('div'), { className: 'toast error', textContent: text });
  document.getElementById('toasts').appendChild(el);
  setTimeout(() => el.remove(), 8000);
}

main();
