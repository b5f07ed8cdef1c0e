// The crews' phone page, `/field`. A field token signs in: a vehicle's, or a staff member's
// (`GET /me` says which vehicle, if any, it drives). Two sockets carry it:
// - `/ws/field` (stream.js, resumed with `since`): the tickets and groups of this sign-in;
// - `/ws/vehicle` (field-vehicle.js), when there is a vehicle: offers, duty status, arrival,
//   and the phone's positions when this is the crew phone that reports them (the engine
//   picks one per vehicle and says so in `hello` and `reporting` frames; the others see
//   offers and tickets alike).
// A staff member in no crew (an account manager in a group) gets the tickets and groups
// without the vehicle parts. Everything goes through the public API and sockets.
//
// The token is kept in localStorage: the page is installed on the crew's own phone and
// must open where there is no network. A revoked token (close 4001) signs the phone out and
// forgets the token, the queued fixes and the reports being written.
import { t, name, categoryName, initI18n, onLangChange } from './i18n.js';
import { Api, ApiError } from './api.js';
import { Stream } from './stream.js';
import { esc } from './format.js';
import { FixQueue, Gps } from './field-gps.js';
import { VehicleLink } from './field-vehicle.js';
import { OfferRing, unlockSound } from './field-offer.js';
import { TicketScreen } from './field-ticket.js';
import { forgetKeptReports } from './field-report.js';

const TOKEN_KEY = 'hd.field.token';
const ME_KEY = 'hd.field.me';
const CATALOG_KEY = 'hd.field.catalog';
const CLOSED = new Set(['archived', 'transferred', 'merged']);

const $ = (sel) => document.querySelector(sel);

const state = {
  me: null,
  catalog: null,
  tickets: new Map(),
  vehicle: null, // { status, ticket_id } as the vehicle socket and the tickets tell it
  fieldState: 'connecting',
  vehicleState: null,
  gpsError: null,
  accuracy: null,
  signedOut: false,
};

let api;
let stream;
let link;
let queue;
let gps;
let ring;
let screen;

function toast(text, kind = 'ok') {
  const el = document.createElement('div');
  el.className = `toast ${kind}`;
  el.textContent = text;
  $('#toasts').append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4000);
}

function showConn() {
  const states = [state.fieldState, state.vehicleState].filter(Boolean);
  const worst = ['signed_out', 'offline', 'reconnecting', 'connecting', 'live'].find((s) => states.includes(s)) || 'connecting';
  const shown = navigator.onLine === false ? 'offline' : worst;
  $('#conn').dataset.state = shown;
  $('#conn').textContent = t(`conn.${shown}`);
}

async function checkToken(token) {
  const me = await new Api(token).get('/me');
  if (me.role !== 'field') throw new ApiError(403, { code: 'field_only' });
  return me;
}

function signIn(message) {
  return new Promise((resolve) => {
    const dialog = $('#signin');
    const form = dialog.querySelector('form');
    const input = form.querySelector('input');
    const error = dialog.querySelector('.signin-error');
    error.textContent = message || '';
    dialog.hidden = false;
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      try {
        const me = await checkToken(token);
        input.value = '';
        dialog.hidden = true;
        resolve({ token, me });
      } catch (e) {
        error.textContent = e.code === 'field_only' ? t('field.field_only') : e.status === 401 ? t('auth.bad') : e.message;
      }
    };
  });
}

/** Forgets the sign-in and what the phone kept for it. */
function forget() {
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(ME_KEY);
  queue?.clear();
  forgetKeptReports();
}

/** The token was revoked: nothing of the tickets stays on the screen or the phone. */
function signedOut() {
  if (state.signedOut) return; // both sockets say so
  state.signedOut = true;
  state.fieldState = 'signed_out';
  forget();
  stream?.stop();
  link?.stop();
  gps?.stop();
  ring?.hide('signed_out');
  screen?.close();
  state.tickets.clear();
  $('#tickets').innerHTML = '';
  for (const pane of document.querySelectorAll('#ticket [data-pane]')) pane.innerHTML = '';
  $('#home').hidden = true;
  $('#ticket').hidden = true;
  $('#duty').hidden = true;
  $('#signout').hidden = true;
  showConn();
  signIn(t('auth.revoked')).then(({ token, me }) => {
    localStorage.setItem(TOKEN_KEY, token);
    localStorage.setItem(ME_KEY, JSON.stringify(me));
    location.reload();
  });
}

/** The staff ids this sign-in speaks for (its own, or its vehicle's crew). */
function mine() {
  const me = state.me;
  if (me.staff) return [me.staff.id];
  return (me.vehicle?.crew || []).map((c) => c.id);
}

// ---- the phone's position ----

function here() {
  return gps?.last ? { lat: gps.last.lat, lng: gps.last.lng } : null;
}

function onDuty() {
  return state.vehicle && !['off_duty', 'out_of_service'].includes(state.vehicle.status);
}

/** Watches the position while on duty (to report it) or while a ticket is open (to find it). */
function followGps() {
  if (!gps) return;
  if (onDuty() || $('#ticket').hidden === false) gps.start();
  else gps.stop();
  renderDuty();
}

function onFix(fix, accuracy) {
  state.gpsError = null;
  state.accuracy = accuracy;
  if (link?.reportsPositions && onDuty()) queue.push(fix);
  screen?.moved();
  renderDuty();
}

// ---- rendering ----

function renderWho() {
  const me = state.me;
  const who = me.staff ? `${me.staff.name}${me.vehicle ? ` · ${me.vehicle.plate}` : ''}` : me.vehicle?.plate || me.subject;
  $('#who').textContent = who;
}

function renderDuty() {
  const card = $('#duty');
  if (!state.me?.vehicle) { card.hidden = true; return; }
  card.hidden = false;
  const v = state.vehicle;
  $('#plate').textContent = state.me.vehicle.plate;
  $('#vstatus').textContent = v ? name('vehicle', v.status) : '—';
  $('#vstatus').dataset.status = v?.status || '';
  const toggle = $('#duty-toggle');
  toggle.hidden = !v || !['off_duty', 'available', 'returning'].includes(v.status);
  toggle.textContent = v?.status === 'off_duty' ? t('field.go_on_duty') : t('field.go_off_duty');
  const parts = [];
  if (state.gpsError) parts.push(t(`field.gps_${state.gpsError}`));
  else if (gps?.on) parts.push(state.accuracy != null ? t('field.gps_on', { m: Math.round(state.accuracy) }) : t('field.gps_waiting'));
  else parts.push(t('field.gps_off'));
  if (queue?.length) parts.push(t('field.gps_queued', { n: queue.length }));
  $('#gps').textContent = parts.join(' · ');
  $('#gps').dataset.queued = String(queue?.length || 0);
  $('#reporter').textContent = link ? t(link.reportsPositions ? 'field.reporter_me' : 'field.reporter_other') : '';
  $('#reporter').dataset.reporter = String(!!link?.reportsPositions);
}

function ticketRow(tk) {
  const returned = tk.status === 'reporting' && tk.report?.returned;
  const category = categoryName(tk.category, state.catalog?.categories) || tk.category_name || t('field.uncategorised');
  const where = tk.location?.approximate_place || tk.location?.address_text || '';
  return `<li data-ticket-id="${esc(tk.id)}" data-status="${esc(tk.status)}" class="${returned ? 'returned' : ''}">
    <div class="tl-top"><span class="badge grade-${esc(tk.urgency || 'IV')}">${esc(name('grade', tk.urgency))}</span>
      <strong>${esc(category)}</strong><span class="vstatus">${esc(name('status', tk.status))}</span></div>
    <div class="tl-sub">${esc(tk.number)} · ${esc(where)}${returned ? ` · <span class="warn">${esc(t('field.returned_short'))}</span>` : ''}</div></li>`;
}

function renderTickets() {
  const list = [...state.tickets.values()].filter((tk) => !CLOSED.has(tk.status))
    .sort((a, b) => (b.id === state.vehicle?.ticket_id) - (a.id === state.vehicle?.ticket_id) || String(b.updated_at).localeCompare(String(a.updated_at)));
  $('#tickets').innerHTML = list.map(ticketRow).join('');
  $('#no-tickets').hidden = list.length > 0;
  for (const li of $('#tickets').querySelectorAll('li')) li.onclick = () => openTicket(li.dataset.ticketId);
}

// ---- screens ----

async function openTicket(id) {
  let tk = state.tickets.get(id);
  if (!tk) {
    try { tk = await api.get(`/tickets/${id}`); state.tickets.set(id, tk); } catch (e) { toast(e.message, 'error'); return; }
  }
  $('#home').hidden = true;
  $('#ticket').hidden = false;
  $('#back').hidden = false;
  if (location.hash !== `#t=${id}`) history.pushState(null, '', `#t=${id}`);
  screen.open(tk);
  followGps();
  window.scrollTo(0, 0);
}

function showHome() {
  screen.close();
  $('#ticket').hidden = true;
  $('#home').hidden = false;
  $('#back').hidden = true;
  renderTickets();
  followGps();
}

function route() {
  const m = /^#t=(.+)$/.exec(location.hash);
  if (m) openTicket(m[1]);
  else showHome();
}

// ---- the sockets ----

function ticketChanged(tk) {
  state.tickets.set(tk.id, tk);
  vehicleFollows(tk);
  if (!$('#home').hidden) renderTickets();
  screen.update(tk);
}

function startStream(token) {
  stream = new Stream('/ws/field', token, {
    status: (s) => {
      state.fieldState = s;
      showConn();
      if (s === 'signed_out') signedOut();
    },
    snapshot: (f) => {
      state.tickets = new Map(f.tickets.map((tk) => [tk.id, tk]));
      renderTickets();
      if (screen.tk && state.tickets.has(screen.tk.id)) screen.update(state.tickets.get(screen.tk.id));
    },
    frame: (f) => {
      if (f.ticket?.id) ticketChanged(f.ticket);
      if (f.group && f.ticket_id) screen.groupChanged(f.ticket_id);
    },
  });
  stream.connect();
}

function startVehicle(token) {
  const v = state.me.vehicle;
  queue = new FixQueue(`hd.field.fixes.${v.id}`);
  queue.onChange(() => renderDuty());
  gps = new Gps(onFix, (e) => { state.gpsError = e.code; renderDuty(); });
  link = new VehicleLink(token, queue, {
    state: (s) => {
      state.vehicleState = s === 'replaced' ? 'offline' : s;
      $('#replaced').hidden = s !== 'replaced';
      showConn();
      if (s === 'signed_out') signedOut();
    },
    hello: (f) => {
      state.vehicle = { status: f.status, ticket_id: f.ticket_id };
      if (f.reports_positions === false) queue.clear();
      followGps();
      renderTickets();
    },
    offer: (f) => {
      if (ring.offer?.offer_id === f.offer_id) return;
      ring.show(f);
    },
    cancelled: (f) => {
      if (ring.offer?.offer_id === f.offer_id) {
        ring.hide('cancelled');
        toast(t('field.offer_withdrawn', { reason: f.reason || '' }), 'warn');
      }
    },
    answered: (f) => {
      if (ring.offer?.offer_id === f.offer_id) {
        ring.hide('answered');
        toast(t(f.accepted ? 'field.offer_taken_elsewhere' : 'field.offer_declined_elsewhere'), 'warn');
        if (f.accepted) openTicket(f.ticket_id);
      }
    },
    ticket: (f) => {
      if (state.vehicle) state.vehicle.ticket_id = f.ticket_id;
    },
    reporting: (reports) => {
      // Another phone of the vehicle reports its positions now: what this one kept is old.
      if (!reports) queue.clear();
      renderDuty();
    },
    fixError: (f) => {
      // Fixes the engine already took, sent again after a reconnect, come back out of order.
      if (f.code !== 'fix_rejected') toast(f.message, 'warn');
    },
  });
  link.connect();
  $('#duty-toggle').onclick = async () => {
    const next = state.vehicle?.status === 'off_duty' ? 'available' : 'off_duty';
    try {
      const ack = await link.setStatus(next);
      state.vehicle.status = ack.status || next;
      followGps();
    } catch (e) {
      toast(e.message, 'error');
    }
  };
  $('#reconnect').onclick = () => link.resume();
}

/**
 * The vehicle's status follows its ticket between `hello`s (the vehicle socket pushes no
 * status): sent once accepted, on site at arrival, free again once the on-site record is
 * filed (the crew writes the report on the way back).
 */
function vehicleFollows(tk) {
  if (!state.vehicle || tk.assignment?.vehicle_id !== state.me.vehicle?.id) return;
  const status = { en_route: 'en_route', on_site: 'on_site', reporting: 'returning' }[tk.status];
  if (!status || (status === 'returning' && state.vehicle.ticket_id !== tk.id)) return;
  state.vehicle = { ...state.vehicle, status, ticket_id: status === 'returning' ? null : tk.id };
  followGps();
}

// ---- start ----

async function start() {
  initI18n($('#lang'));
  unlockSound();
  onLangChange(() => { renderDuty(); renderTickets(); ring.render(); screen.render(); showConn(); });
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/field-sw.js', { scope: '/field' }).catch(() => {});
  window.addEventListener('online', () => { showConn(); if (link && !link.ws && !link.stopped) { clearTimeout(link.timer); link.connect(); } });
  window.addEventListener('offline', showConn);

  let token = localStorage.getItem(TOKEN_KEY);
  let me = null;
  if (token) {
    try {
      me = await checkToken(token);
    } catch (e) {
      // No network: the page works from what it knew (fixes queue up); a refused token
      // signs in again.
      if (e.status === 0) me = JSON.parse(localStorage.getItem(ME_KEY) || 'null');
      if (!me) token = null;
    }
  }
  if (!token || !me) {
    ({ token, me } = await signIn());
  }
  localStorage.setItem(TOKEN_KEY, token);
  localStorage.setItem(ME_KEY, JSON.stringify(me));
  state.me = me;
  api = new Api(token);
  try {
    state.catalog = await api.get('/catalog');
    localStorage.setItem(CATALOG_KEY, JSON.stringify(state.catalog));
  } catch {
    state.catalog = JSON.parse(localStorage.getItem(CATALOG_KEY) || 'null');
  }
  renderWho();
  $('#signout').hidden = false;
  $('#signout').onclick = () => {
    forget();
    location.reload();
  };
  ring = new OfferRing($('#offer'), {
    accept: async (o) => { await link.accept(o.offer_id); openTicket(o.ticket.id); },
    decline: (o, reason) => link.decline(o.offer_id, reason),
    catalog: () => state.catalog?.categories,
  });
  screen = new TicketScreen($('#ticket'), {
    api,
    catalog: () => state.catalog,
    guide: async (code) => state.catalog?.categories?.find((c) => c.code === code) || api.get(`/catalog/${code}`),
    here,
    arrive: async (tk) => {
      if (link && state.vehicle?.ticket_id === tk.id) await link.arrived();
      else await api.post(`/tickets/${tk.id}/arrive`, {});
      toast(t('field.arrival_sent'));
    },
    toast,
    mine: mine(),
  });
  $('#back').onclick = () => history.back();
  window.addEventListener('popstate', route);
  if (me.vehicle) startVehicle(token);
  startStream(token);
  // For the page's own tests and for support: what the page holds now.
  window.hd = { state, get stream() { return stream; }, get link() { return link; }, get queue() { return queue; } };
  route();
  renderDuty();
  showConn();
}

start();
