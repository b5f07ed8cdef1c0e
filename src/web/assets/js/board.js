// The public board for the service hall (1920×1080): the map with the cells where tickets
// are being handled, the live progress table (stage, elapsed against the limit, squad,
// officer badge, distance to site) and the squad leaderboard. It reads only `/ws/board`
// and `GET /api/v1/board`, which carry no personal data; a board token is given in the URL
// (`?token=`) or entered once and kept on the screen.
import { initI18n, t, name, onLangChange } from './i18n.js';
import { Api, tokens, signIn } from './api.js';
import { Stream } from './stream.js';
import { MapView } from './map.js';
import { esc, distance, shortDuration, clock, percent } from './format.js';

const ROWS_PER_PAGE = 12;
const PAGE_MS = 10000;
const POLL_MS = 5000;

async function checkToken(token) {
  try {
    await new Api(token).get('/board');
  } catch (e) {
    throw new Error(e.status === 403 ? t('auth.role') : e.status === 401 ? t('auth.bad') : e.message);
  }
}

const rows = new Map();
let leaderboard = [];
let generatedAt = null;
let page = 0;

function elapsed(r, now) {
  if (r.stage_entered_at) return (now - Date.parse(r.stage_entered_at)) / 1000;
  return r.elapsed_s ?? 0;
}

function render(map) {
  const now = Date.now();
  const list = [...rows.values()].sort((a, b) => (b.overdue - a.overdue) || (a.received_at || '').localeCompare(b.received_at || ''));
  document.getElementById('open-count').textContent = t('board.open', { n: list.length });
  const overdue = list.filter((r) => r.overdue || (r.limit_s && elapsed(r, now) > r.limit_s)).length;
  const oc = document.getElementById('overdue-count');
  oc.textContent = t('board.overdue', { n: overdue });
  oc.hidden = overdue === 0;
  const pages = Math.max(1, Math.ceil(list.length / ROWS_PER_PAGE));
  page %= pages;
  document.getElementById('page').textContent = pages > 1 ? `${page + 1} / ${pages}` : '';
  const shown = list.slice(page * ROWS_PER_PAGE, (page + 1) * ROWS_PER_PAGE);
  const body = document.getElementById('rows');
  body.innerHTML = shown.length ? shown.map((r) => {
    const e = elapsed(r, now);
    const share = r.limit_s ? Math.min(1, e / r.limit_s) : 0;
    const late = r.overdue || (r.limit_s && e > r.limit_s);
    return `<tr class="${late ? 'late' : ''}" data-board-ticket="${esc(r.number)}">
      <td class="num">${esc(r.number)}</td>
      <td><div class="summary">${esc(r.summary || `${r.town || ''} · ${r.category_name || ''}`)}</div></td>
      <td><span class="stage stage-${esc(r.stage)}">${esc(name('stage', r.stage) || r.stage_name)}</span></td>
      <td class="elapsed"><div class="bar"><i style="width:${(share * 100).toFixed(1)}%"></i></div><span>${esc(shortDuration(e))} / ${r.limit_s ? esc(shortDuration(r.limit_s)) : '—'}</span></td>
      <td class="team">${esc(r.team_name || '—')}${r.officer_badge ? `<br><small>${esc(r.officer_badge)}</small>` : ''}</td>
      <td class="num dist">${esc(distance(r.distance_to_site_m))}</td></tr>`;
  }).join('') : `<tr><td colspan="6" class="empty">${esc(t('board.empty'))}</td></tr>`;
  document.getElementById('leaders').innerHTML = leaderboard.length === 0 ? `<tr><td colspan="5" class="empty">${esc(t('board.lb_empty'))}</td></tr>` : leaderboard.map((l, i) => `<tr><td class="rank rank-${i + 1}">${i + 1}</td><td>${esc(l.team_name || l.team_id)}</td>
    <td class="num">${esc(l.closed)}</td><td class="num">${l.median_arrival_minutes == null ? '—' : `${esc(l.median_arrival_minutes.toFixed(1))} ${esc(t('unit.min'))}`}</td>
    <td class="num">${esc(percent(l.satisfaction_rate))}</td></tr>`).join('');
  document.getElementById('updated').textContent = generatedAt ? t('board.updated', { t: clock(new Date(generatedAt)) }) : '';
  map.setCells(list);
}

async function main() {
  initI18n(document.getElementById('lang'));
  let token = tokens.board();
  if (token) {
    try { await checkToken(token); tokens.setBoard(token); } catch { token = null; tokens.clearBoard(); }
  }
  if (!token) {
    token = await signIn(document.getElementById('signin'), checkToken);
    tokens.setBoard(token);
  }
  if (new URLSearchParams(location.search).has('token')) history.replaceState(null, '', location.pathname);
  const api = new Api(token);
  const map = new MapView(document.getElementById('map'), api, { big: true });
  const conn = document.getElementById('conn');
  const setConn = (s) => { conn.dataset.state = s; conn.textContent = t(`conn.${s}`); };
  const snapshot = (f) => {
    rows.clear();
    for (const r of f.tickets || []) rows.set(r.id, r);
    leaderboard = f.leaderboard || [];
    generatedAt = f.generated_at || new Date().toISOString();
    render(map);
  };
  let polling = null;
  const poll = async () => {
    try { snapshot(await api.get('/board')); if (!stream.isOpen()) setConn('polling'); } catch { if (!stream.isOpen()) setConn('offline'); }
  };
  const stream = new Stream('/ws/board', token, {
    status: (s) => {
      setConn(s);
      // The token was revoked: the screen says so and stops (no polling, no retry).
      if (s === 'signed_out') { clearInterval(polling); polling = null; tokens.clearBoard(); return; }
      if (s === 'live') { clearInterval(polling); polling = null; } else if (!polling) { polling = setInterval(poll, POLL_MS); poll(); }
    },
    snapshot,
    frame: (f) => {
      generatedAt = new Date().toISOString();
      if (f.type === 'board.ticket') rows.set(f.ticket.id, f.ticket);
      else if (f.type === 'board.removed') rows.delete(f.id);
      else if (f.type === 'board.leaderboard') leaderboard = f.leaderboard || [];
      else if (f.type === 'board.distance') for (const d of f.rows || []) { const r = rows.get(d.id); if (r) r.distance_to_site_m = d.distance_to_site_m; }
      render(map);
    },
  });
  try { await map.loadArea(7); } catch { /* the table still works */ }
  stream.connect();
  window.hd = { stream, rows };
  onLangChange(() => { render(map); setConn(conn.dataset.state); });
  document.getElementById('clock').textContent = clock();
  setInterval(() => { document.getElementById('clock').textContent = clock(); render(map); }, 1000);
  setInterval(() => { page += 1; }, PAGE_MS);
}

main();
