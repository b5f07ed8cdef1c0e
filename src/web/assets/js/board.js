// The public board for the service hall (1920×1080): the map with the cells where tickets
// are being handled and the vehicles out on them (出勤点位, each in its coarse cell, never
// a vehicle on a hidden ticket: the engine leaves those out), the live progress table
// (whether the crew is waiting, en route or on site, the stage, elapsed against the limit,
// squad, officer badge, distance to site; tickets just archived as done) and the squad
// leaderboard. Both tables page when they hold more than fits; nothing is cut off, and map
// labels are moved apart (or a town's dropped) so none covers another. It reads only `/ws/board`
// and `GET /api/v1/board`, which carry no personal data; a board token is given in the URL
// (`?token=`) or entered once and kept on the screen.
import { initI18n, t, name, lang, onLangChange } from './i18n.js';
import { Api, tokens, signIn } from './api.js';
import { Stream } from './stream.js';
import { MapView, VEHICLE_COLOURS } from './map.js';
import { esc, distance, shortDuration, clock, percent } from './format.js';

/* global L */
// Rows per page to start with; fewer when they do not fit (measured after drawing).
const ROWS_PER_PAGE = 12;
const LEADERS_PER_PAGE = 10;
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
let perPage = ROWS_PER_PAGE;
let lbPage = 0;
let lbPerPage = LEADERS_PER_PAGE;
let vehicleLayer = null;
let labelKey = '';
let vehicleKey = '';

const isDone = (r) => r.progress === 'done';

/** The squad's median time to arrival: seconds under a minute, else minutes; none: —. */
function arrival(l) {
  const s = l.median_arrival_s ?? (l.median_arrival_minutes == null ? null : l.median_arrival_minutes * 60);
  if (s == null || !isFinite(s)) return '—';
  if (s < 60) return `${Math.round(s)} ${t('unit.s')}`;
  return `${(s / 60).toFixed(1)} ${t('unit.min')}`;
}

/** Shrinks the rows per page while the last row drawn runs past its panel. */
function fits(body, panel) {
  const last = body.lastElementChild;
  if (!last) return true;
  return last.getBoundingClientRect().bottom <= panel.getBoundingClientRect().bottom - 4;
}

function rowHtml(r, now) {
  const done = isDone(r);
  const e = elapsed(r, now);
  const share = r.limit_s ? Math.min(1, e / r.limit_s) : 0;
  const late = !done && (r.overdue || (r.limit_s && e > r.limit_s));
  const state = r.progress || 'waiting';
  const clockCell = done
    ? `<span class="done-mark">${esc(t('board.done'))}</span>`
    : `<div class="bar"><i style="width:${(share * 100).toFixed(1)}%"></i></div><span>${esc(shortDuration(e))} / ${r.limit_s ? esc(shortDuration(r.limit_s)) : '—'}</span>`;
  return `<tr class="${late ? 'late' : ''}${done ? ' done' : ''}" data-board-ticket="${esc(r.number)}" data-progress="${esc(state)}">
      <td class="num">${esc(r.number)}</td>
      <td class="summary-cell"><div class="summary">${esc(r.summary || `${r.town || ''} · ${r.category_name || ''}`)}</div></td>
      <td class="state-cell"><span class="state state-${esc(state)}" data-state="${esc(state)}">${esc(t(`board.state.${state}`))}</span><small class="stage-name">${esc(name('stage', r.stage) || r.stage_name)}</small></td>
      <td class="elapsed">${clockCell}</td>
      <td class="team"><span class="team-name">${esc(r.team_name || '—')}</span>${r.officer_badge ? `<small>${esc(r.officer_badge)}</small>` : ''}</td>
      <td class="num dist">${esc(distance(r.distance_to_site_m))}</td></tr>`;
}

/**
 * Vehicles out on shown tickets, each in its coarse cell, labelled with the ticket it is
 * on (its short number, as the cell shows it) and whether it is en route or on site; the
 * squad is in the row and the marker's title. Redrawn only when one changed.
 */
function drawVehicles(map, list, key) {
  if (!vehicleLayer) vehicleLayer = L.layerGroup().addTo(map.map);
  const out = list.filter((r) => r.vehicle && r.vehicle.cell_center);
  document.getElementById('vehicle-count').textContent = out.length ? t('board.vehicles', { n: out.length }) : '';
  if (key === vehicleKey) return;
  vehicleKey = key;
  vehicleLayer.clearLayers();
  for (const r of out) {
    const v = r.vehicle;
    const colour = VEHICLE_COLOURS[v.status] || '#1e88e5';
    const label = `${r.number.slice(-6)} ${t(`board.vehicle.${v.status}`)}`;
    const html = `<div class="board-veh" data-board-vehicle="${esc(r.number)}" data-status="${esc(v.status)}" title="${esc(r.team_name || '')}" style="--c:${colour}"><span class="veh-dot"></span><span class="veh-label">${esc(label)}</span></div>`;
    L.marker([v.cell_center.lat, v.cell_center.lng], { interactive: false, keyboard: false, icon: L.divIcon({ className: 'board-veh-icon', html, iconSize: null }) }).addTo(vehicleLayer);
  }
}

/**
 * Moves map labels apart: cell labels stay, vehicle labels and then town labels are
 * nudged to the nearest free spot around their point inside the map; one with no free
 * spot is hidden rather than drawn over another (or cut by the map's edge).
 */
export function declutter(root) {
  const groups = [['.cell-label span', false], ['.board-veh', true], ['.town-label span', true]];
  const placed = [];
  const box = root.getBoundingClientRect();
  const outside = (a) => a.left < box.left || a.right > box.right || a.top < box.top || a.bottom > box.bottom;
  const overlaps = (a) => outside(a) || placed.some((b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom);
  for (const [sel, movable] of groups) {
    for (const el of root.querySelectorAll(sel)) {
      el.style.translate = '';
      el.style.visibility = '';
      const r = el.getBoundingClientRect();
      if (!r.width) continue;
      if (!movable) { placed.push(r); continue; }
      const w = r.width + 2;
      const h = r.height + 2;
      const tries = [[0, 0], [0, -h], [0, h], [w / 2 + 4, 0], [-w / 2 - 4, 0], [w / 2, -h], [-w / 2, -h], [w / 2, h], [-w / 2, h], [0, -2 * h], [0, 2 * h], [w + 6, 0], [-w - 6, 0]];
      const spot = tries.find(([dx, dy]) => !overlaps({ left: r.left + dx, right: r.right + dx, top: r.top + dy, bottom: r.bottom + dy }));
      if (!spot) { el.style.visibility = 'hidden'; continue; }
      el.style.translate = `${spot[0]}px ${spot[1]}px`;
      placed.push({ left: r.left + spot[0], right: r.right + spot[0], top: r.top + spot[1], bottom: r.bottom + spot[1] });
    }
  }
}

function elapsed(r, now) {
  if (r.stage_entered_at) return (now - Date.parse(r.stage_entered_at)) / 1000;
  return r.elapsed_s ?? 0;
}

function render(map) {
  const now = Date.now();
  const list = [...rows.values()].sort((a, b) => (isDone(a) - isDone(b)) || (b.overdue - a.overdue) || (a.received_at || '').localeCompare(b.received_at || ''));
  const open = list.filter((r) => !isDone(r));
  document.getElementById('open-count').textContent = t('board.open', { n: open.length });
  const overdue = open.filter((r) => r.overdue || (r.limit_s && elapsed(r, now) > r.limit_s)).length;
  const oc = document.getElementById('overdue-count');
  oc.textContent = t('board.overdue', { n: overdue });
  oc.hidden = overdue === 0;
  const body = document.getElementById('rows');
  const panel = body.closest('section');
  for (;;) {
    const pages = Math.max(1, Math.ceil(list.length / perPage));
    page %= pages;
    document.getElementById('page').textContent = pages > 1 ? `${page + 1} / ${pages}` : '';
    const shown = list.slice(page * perPage, (page + 1) * perPage);
    body.innerHTML = shown.length ? shown.map((r) => rowHtml(r, now)).join('') : `<tr><td colspan="6" class="empty">${esc(t('board.empty'))}</td></tr>`;
    if (perPage <= 1 || fits(body, panel)) break;
    perPage -= 1;
  }
  const leaders = document.getElementById('leaders');
  const lbPanel = leaders.closest('section');
  for (;;) {
    const pages = Math.max(1, Math.ceil(leaderboard.length / lbPerPage));
    lbPage %= pages;
    document.getElementById('lb-page').textContent = pages > 1 ? `${lbPage + 1} / ${pages}` : '';
    const from = lbPage * lbPerPage;
    leaders.innerHTML = leaderboard.length === 0 ? `<tr><td colspan="5" class="empty">${esc(t('board.lb_empty'))}</td></tr>` : leaderboard.slice(from, from + lbPerPage).map((l, j) => {
      const i = from + j;
      return `<tr data-board-team="${esc(l.team_id)}"><td class="rank rank-${i + 1}">${i + 1}</td><td class="lb-team">${esc(l.team_name || l.team_id)}</td>
    <td class="num">${esc(l.closed)}</td><td class="num">${esc(arrival(l))}</td>
    <td class="num">${esc(percent(l.satisfaction_rate))}</td></tr>`;
    }).join('');
    if (lbPerPage <= 1 || fits(leaders, lbPanel)) break;
    lbPerPage -= 1;
  }
  document.getElementById('updated').textContent = generatedAt ? t('board.updated', { t: clock(new Date(generatedAt)) }) : '';
  map.setCells(list);
  const vehicles = `${lang()}|${list.filter((r) => r.vehicle).map((r) => `${r.number}:${r.vehicle.cell}:${r.vehicle.status}`).join(',')}`;
  drawVehicles(map, list, vehicles);
  const key = `${map.cellKey}|${vehicles}`;
  if (key !== labelKey) {
    labelKey = key;
    declutter(map.map.getContainer());
  }
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
  map.map.on('zoomend moveend', () => declutter(map.map.getContainer()));
  declutter(map.map.getContainer());
  stream.connect();
  window.hd = { stream, rows };
  onLangChange(() => { render(map); setConn(conn.dataset.state); });
  document.getElementById('clock').textContent = clock();
  setInterval(() => { document.getElementById('clock').textContent = clock(); render(map); }, 1000);
  setInterval(() => { page += 1; lbPage += 1; }, PAGE_MS);
}

main();
