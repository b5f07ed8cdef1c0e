// The dispatch console: sign-in, the live stream (or HTTP polling while the socket is
// down), the map, the queue, the detail panel, the unit status board, and grade I alerts
// (grouped, with a count) that stay on screen, flashing, until someone acknowledges them.
import { initI18n, t, onLangChange, categoryName } from './i18n.js';
import { Api, tokens, signIn } from './api.js';
import { Stream } from './stream.js';
import { ViewSync } from './console-cells.js';
import { MapView } from './map.js';
import { ConsoleState, pollSnapshot } from './console-state.js';
import { Queue } from './console-queue.js';
import { Detail } from './console-detail.js';
import { UnitBoard } from './console-units.js';
import { PlacePanel } from './console-place.js';
import { FeedPanel } from './console-feed.js';
import { esc, clock } from './format.js';

const POLL_MS = 4000;
const ACK_KEY = 'hd.ackedAlerts';

async function checkToken(token) {
  const api = new Api(token);
  try {
    await api.get('/tickets?limit=1');
  } catch (e) {
    throw new Error(e.status === 403 ? t('auth.role') : e.status === 401 ? t('auth.bad') : e.message);
  }
}

function toast(text, kind = 'ok') {
  const box = document.getElementById('toasts');
  const el = document.createElement('div');
  el.className = `toast ${kind}`;
  el.textContent = text;
  box.appendChild(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4000);
}

/**
 * Grade I alerts, grouped: one alert area with the count and every pending alert listed
 * (each one acknowledged on its own, or all at once). One alert per ticket: a later reason
 * joins the pending one. Nothing is dropped: an alert leaves only when acknowledged, and
 * acknowledged tickets are remembered for the tab so a resume does not raise them again.
 */
class Alerts {
  constructor(root) {
    this.root = root;
    this.pending = [];
    this.acked = new Set(JSON.parse(sessionStorage.getItem(ACK_KEY) || '[]'));
    root.addEventListener('click', (ev) => {
      const b = ev.target.closest('[data-act]');
      if (b?.dataset.act === 'ack') this.ack(b.dataset.key);
      else if (b?.dataset.act === 'ack-all') this.ackAll();
    });
  }

  raise(reason, ticket) {
    if (!ticket || this.acked.has(ticket.id)) return;
    const pending = this.pending.find((a) => a.ticket.id === ticket.id);
    if (pending) { pending.reasons.add(reason); pending.ticket = ticket; }
    else this.pending.push({ key: ticket.id, reasons: new Set([reason]), ticket });
    // A burst (a load run, a resume) is drawn once, not once per alert.
    if (!this.drawing) {
      this.drawing = true;
      queueMicrotask(() => { this.drawing = false; this.render(); });
    }
  }

  remember(keys) {
    for (const k of keys) this.acked.add(k);
    sessionStorage.setItem(ACK_KEY, JSON.stringify([...this.acked].slice(-2000)));
  }

  /** Acknowledges one alert (the first when no key is given) and opens its ticket. */
  ack(key) {
    const i = key ? this.pending.findIndex((a) => a.key === key) : 0;
    const [a] = i >= 0 ? this.pending.splice(i, 1) : [];
    if (a) {
      this.remember([a.key]);
      this.onAck?.(a.ticket.id);
    }
    this.render();
  }

  ackAll() {
    this.remember(this.pending.map((a) => a.key));
    this.pending = [];
    this.render();
  }

  render() {
    const n = this.pending.length;
    document.body.classList.toggle('alerting', n > 0);
    this.root.hidden = n === 0;
    const body = this.root.querySelector('.alert-body');
    // A hidden alert keeps no ticket text (it may quote the reporter).
    if (!n) { body.innerHTML = ''; return; }
    this.root.querySelector('.alert-count').textContent = t('alert.pending', { n });
    this.root.querySelector('[data-act="ack-all"]').hidden = n < 2;
    body.innerHTML = this.pending.map((a) => {
      const tk = a.ticket;
      return `<li class="alert-item" data-alert-key="${esc(a.key)}">
        <div class="alert-main">
          ${[...a.reasons].map((r) => `<div class="alert-reason">${esc(t(r === 'no_vehicle' ? 'alert.no_vehicle' : 'alert.new_grade_i'))}</div>`).join('')}
          <div class="alert-number" data-alert-ticket="${esc(tk.id)}">${esc(tk.number)}</div>
          <div class="alert-cat">${esc(categoryName(tk.category, this.catalog) || tk.category_name || '')}</div>
          <div class="alert-text">${esc(tk.location?.address_text || '')}</div>
          <div class="alert-text">${esc((tk.description || '').slice(0, 120))}</div>
        </div>
        <button class="alert-ack" data-act="ack" data-key="${esc(a.key)}">${esc(t('alert.ack'))}</button>
      </li>`;
    }).join('');
  }
}

async function main() {
  initI18n(document.getElementById('lang'));
  let token = tokens.staff();
  if (token) {
    try { await checkToken(token); } catch { token = null; tokens.clearStaff(); }
  }
  if (!token) {
    token = await signIn(document.getElementById('signin'), checkToken);
    tokens.setStaff(token);
  }
  document.getElementById('signout').addEventListener('click', () => { tokens.clearStaff(); location.reload(); });

  const api = new Api(token);
  const state = new ConsoleState();
  const conn = document.getElementById('conn');
  const setConn = (s) => { conn.dataset.state = s; conn.textContent = t(`conn.${s}`); };
  let catalog = [];
  let reasons = [];
  let slaHours = {};
  try {
    const guide = await api.get('/catalog');
    catalog = guide.categories;
    reasons = guide.return_reasons || [];
    slaHours = guide.sla_hours || {};
  } catch (e) { toast(e.message, 'error'); }

  let detail;
  const map = new MapView(document.getElementById('map'), api, { retailers: true, onTicket: (id) => select(id) });
  const queue = new Queue(document.getElementById('queue'), state, (id) => select(id));
  queue.setCategories(catalog);
  const alerts = new Alerts(document.getElementById('alert'));
  alerts.catalog = catalog;
  alerts.onAck = (id) => select(id);

  let polling = null;
  const stream = new Stream('/ws/console', token, {
    status: (s) => {
      if (s === 'signed_out') return signedOut();
      setConn(s === 'live' ? 'live' : polling ? 'polling' : s);
      // Each new socket is told what the map shows.
      if (s === 'live') sync.send();
      if (s === 'live') stopPolling(); else startPolling();
    },
    hello: (f) => { role = f.role; document.body.dataset.role = f.role; },
    snapshot: (f) => state.replace(f),
    frame: (f) => {
      if (f.type === 'vehicle.cells') return sync.draw(f);
      state.apply(f);
      if (f.type === 'vehicle.moved') sync.viewMoves(f);
    },
  });
  const sync = new ViewSync(map, stream);
  let role = null;
  const ctx = { api, stream, state, catalog, reasons, slaHours, map, toast, refresh: () => redraw(), role: () => role, select: (id) => select(id) };
  const place = new PlacePanel(document.getElementById('detail'), ctx);
  ctx.place = place;
  detail = new Detail(document.getElementById('detail'), ctx);
  ctx.detail = detail;
  const units = new UnitBoard(document.getElementById('units'), ctx);
  const unitsToggle = document.getElementById('units-toggle');
  unitsToggle.addEventListener('click', () => {
    const open = units.root.hidden;
    units.root.hidden = !open;
    unitsToggle.classList.toggle('active', open);
    document.querySelector('.map-wrap').classList.toggle('units-open', open);
    if (open) { units.fillSelects(); units.render(); }
  });
  units.load();
  // The platform feed's parked messages (supervisors; hidden for other roles).
  new FeedPanel(document.getElementById('feed'), document.getElementById('feed-toggle'), ctx).load();
  window.hd = { state, stream, map, api, units, alerts, sync };

  function select(id) {
    queue.select(id);
    const prev = detail.id;
    detail.show(id);
    if (prev) { const p = state.tickets.get(prev); if (p) map.setTicket(p, false); }
    const tk = state.tickets.get(id);
    if (tk) { map.setTicket(tk, true); map.focus(tk.location?.position, 12); }
    place.show(tk || { id });
  }

  function redraw() {
    queue.render();
    map.clearTickets();
    for (const tk of state.tickets.values()) map.setTicket(tk, tk.id === detail.id);
    map.clearVehicles();
    for (const v of state.vehicles.values()) map.setVehicle(v);
    detail.render();
    units.render();
  }

  // A burst of ticket frames (a load run, a resume) redraws the queue once per 100 ms, not
  // once per frame, so the tab keeps up with the stream.
  let queueTimer = null;
  function renderQueueSoon() {
    if (queueTimer) return;
    queueTimer = setTimeout(() => { queueTimer = null; queue.render(); }, 100);
  }

  state.on((c) => {
    if (c.kind === 'replace') redraw();
    else if (c.kind === 'vehicles') {
      for (const m of c.moves) {
        const v = state.vehicles.get(m.vehicle_id) || m;
        if (sync.draws(v, c.from === 'moved')) map.setVehicle(v);
      }
      // The shown ticket's live distance follows its vehicle.
      const assigned = detail.ticket()?.assignment?.vehicle_id;
      if (detail.tab === 'overview' && c.moves.some((m) => m.vehicle_id === assigned)) detail.render();
      units.schedule();
    }
    else if (c.kind === 'ticket') {
      const tk = state.tickets.get(c.id);
      if (tk) map.setTicket(tk, tk.id === detail.id); else map.removeTicket(c.id);
      renderQueueSoon();
      detail.changed(c.frame);
      if (c.id === detail.id && tk) place.show(tk);
      units.schedule();
    } else if (c.kind === 'alert') alerts.raise(c.reason, c.ticket);
    else if (c.kind === 'notice') toast(t('alert.overdue', { n: c.ticket?.number || '' }), 'warn');
  });

  async function pollOnce() {
    try {
      const polled = await pollSnapshot(api);
      // A poll answered after the stream came back is older than what the stream has
      // said since (its snapshot, then deltas): it would put back what they took away.
      if (stream.isOpen()) return;
      state.replace(polled, { fromPoll: true });
      setConn('polling');
    } catch (e) {
      if (!stream.isOpen()) setConn('offline');
      if (e.status === 401) { tokens.clearStaff(); location.reload(); }
    }
  }
  // The token was revoked: say so and stop; nothing retries with it. What the screen
  // holds (reporters' names and phones among it) goes with the token: the queue, the map,
  // the detail and any alert are emptied, and the sign-in dialog asks for a new token.
  function signedOut() {
    stopPolling();
    tokens.clearStaff();
    setConn('signed_out');
    alerts.pending = [];
    alerts.render();
    units.roster = new Map();
    units.staff = new Map();
    state.replace({});
    detail.id = null;
    detail.closed = null;
    redraw();
    toast(t('auth.revoked'), 'error');
    const dialog = document.getElementById('signin');
    signIn(dialog, checkToken).then((fresh) => { tokens.setStaff(fresh); location.reload(); });
    dialog.querySelector('.signin-error').textContent = t('auth.revoked');
  }
  function startPolling() {
    if (polling) return;
    polling = setInterval(pollOnce, POLL_MS);
    pollOnce();
  }
  function stopPolling() {
    clearInterval(polling);
    polling = null;
  }

  try { await map.loadArea(7); } catch (e) { toast(e.message, 'error'); }
  stream.connect();
  onLangChange(() => { queue.fillSelects(); units.fillSelects(); redraw(); setConn(conn.dataset.state); alerts.render(); });
  setInterval(() => { queue.tick(); units.schedule(); document.getElementById('clock').textContent = clock(); }, 1000);
  document.getElementById('clock').textContent = clock();
}

main();
