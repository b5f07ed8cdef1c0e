// The unit status board: every registered vehicle (not only the available ones) with its
// plate, squad, crew, status, online or offline, the age of its last fix and the ticket it
// is on — sortable by any column, filtered by status, squad, online and text. It follows
// the console's live state (snapshot, `vehicle.status`, `vehicle.moved`), so it changes as
// the stream does; the roster (squad names, crews) is read over HTTP. Clicking a row
// centres the map on that vehicle.
import { t, name } from './i18n.js';
import { esc, duration } from './format.js';
import { VEHICLE_COLOURS, OFFLINE_COLOUR } from './map.js';

const STATUSES = ['available', 'offered', 'en_route', 'on_site', 'returning', 'off_duty', 'out_of_service'];
// Busy first when sorted by status: what a dispatcher looks for.
const STATUS_RANK = Object.fromEntries(['en_route', 'on_site', 'offered', 'returning', 'available', 'off_duty', 'out_of_service'].map((s, i) => [s, i]));
const COLUMNS = ['plate', 'team', 'crew', 'status', 'online', 'fix', 'ticket'];

/** Marks of a vehicle in a nearest list (busy, declined, offline, stale), as HTML. */
export function unitMarks(v) {
  const marks = [];
  if (v.busy) marks.push(`<span class="mark busy" data-mark="busy">${esc(t('units.busy'))}</span>`);
  if (v.declined) marks.push(`<span class="mark declined" data-mark="declined">${esc(t('units.declined'))}</span>`);
  if (v.online === false) marks.push(`<span class="mark offline" data-mark="offline">${esc(t('vehicle.offline'))}</span>`);
  return marks.join(' ');
}

export class UnitBoard {
  /**
   * @param {HTMLElement} root the panel
   * @param {{ api, state, map, toast, select }} ctx
   */
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.roster = new Map(); // vehicle id -> { plate, team_id, crew }
    this.teams = new Map(); // team id -> name
    this.staff = new Map(); // staff id -> name
    this.sort = { key: 'status', dir: 1 };
    this.filters = { status: '', team: '', online: '', text: '' };
    this.body = root.querySelector('tbody');
    this.count = root.querySelector('.units-count');
    for (const el of root.querySelectorAll('[data-unit-filter]')) {
      el.addEventListener(el.tagName === 'SELECT' ? 'change' : 'input', () => {
        this.filters[el.dataset.unitFilter] = el.value.trim();
        this.render();
      });
    }
    root.addEventListener('click', (ev) => {
      const th = ev.target.closest('[data-sort]');
      if (th) {
        const key = th.dataset.sort;
        this.sort = { key, dir: this.sort.key === key ? -this.sort.dir : 1 };
        this.render();
        return;
      }
      const link = ev.target.closest('[data-unit-ticket]');
      if (link) { this.ctx.select(link.dataset.unitTicket); return; }
      const row = ev.target.closest('[data-unit]');
      if (row) this.focus(row.dataset.unit);
    });
  }

  /** Reads the roster: squad names, crews, and vehicles no stream has reported yet. */
  async load() {
    this.loading = true;
    this.loadedAt = Date.now();
    try {
      const [vehicles, teams, staff] = await Promise.all(['/vehicles', '/teams', '/staff'].map((p) => this.ctx.api.get(p)));
      const list = (x) => (Array.isArray(x) ? x : x?.items || []);
      this.roster = new Map(list(vehicles).map((v) => [v.id, v]));
      this.teams = new Map(list(teams).map((x) => [x.id, x.name]));
      this.staff = new Map(list(staff).map((x) => [x.id, x.name]));
    } catch (e) {
      this.ctx.toast(e.message, 'error');
    }
    this.loading = false;
    this.fillSelects();
    this.render();
  }

  fillSelects() {
    const set = (key, values, label) => {
      const el = this.root.querySelector(`[data-unit-filter="${key}"]`);
      if (!el) return;
      const value = el.value;
      el.innerHTML = `<option value="">${esc(t(`units.all_${key}`))}</option>` + values.map((v) => `<option value="${esc(v)}">${esc(label(v))}</option>`).join('');
      el.value = value;
    };
    set('status', STATUSES, (s) => name('vehicle', s));
    set('team', [...this.teams.keys()].sort(), (id) => this.teams.get(id) || id);
    set('online', ['online', 'offline'], (x) => t(`units.${x}`));
  }

  /** Every vehicle: the live state over the roster record. */
  rows(now = Date.now()) {
    const ids = new Set([...this.roster.keys(), ...this.ctx.state.vehicles.keys()]);
    return [...ids].map((id) => {
      const live = this.ctx.state.vehicles.get(id) || {};
      const rec = this.roster.get(id) || {};
      const teamId = live.team_id || rec.team_id || '';
      const crew = (rec.crew || []).map((s) => this.staff.get(s) || s);
      const fixAt = live.at ? Date.parse(live.at) : null;
      const tk = live.ticket_id ? this.ctx.state.tickets.get(live.ticket_id) : null;
      return {
        id,
        plate: live.plate || rec.plate || id,
        teamId,
        team: this.teams.get(teamId) || teamId,
        crew: crew.join('、'),
        status: rec.service?.in_service === false ? 'out_of_service' : live.status || 'off_duty',
        online: live.online === true,
        fixAge: fixAt == null ? null : Math.max(0, (now - fixAt) / 1000),
        ticketId: live.ticket_id || null,
        ticket: tk?.number || (live.ticket_id ? live.ticket_id.slice(0, 8) : ''),
        hasFix: !!live.position,
      };
    });
  }

  matches(r) {
    const f = this.filters;
    if (f.status && r.status !== f.status) return false;
    if (f.team && r.teamId !== f.team) return false;
    if (f.online && (f.online === 'online') !== r.online) return false;
    if (f.text) {
      const hay = `${r.id} ${r.plate} ${r.team} ${r.crew} ${r.ticket}`.toLowerCase();
      if (!hay.includes(f.text.toLowerCase())) return false;
    }
    return true;
  }

  compare(a, b) {
    const { key, dir } = this.sort;
    const by = {
      plate: (x) => x.plate,
      team: (x) => x.team,
      crew: (x) => x.crew,
      status: (x) => STATUS_RANK[x.status] ?? 99,
      online: (x) => (x.online ? 0 : 1),
      fix: (x) => (x.fixAge == null ? Infinity : x.fixAge),
      ticket: (x) => x.ticket || '\uffff',
    }[key];
    const va = by(a);
    const vb = by(b);
    const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb), 'zh-CN');
    return c * dir || a.plate.localeCompare(b.plate, 'zh-CN');
  }

  render() {
    if (this.root.hidden) return;
    // A vehicle registered since the roster was read: read it again (at most every 10 s).
    const unknown = [...this.ctx.state.vehicles.keys()].some((id) => !this.roster.has(id));
    if (unknown && !this.loading && Date.now() - (this.loadedAt || 0) > 10000) this.load();
    const now = Date.now();
    const all = this.rows(now);
    const shown = all.filter((r) => this.matches(r)).sort((a, b) => this.compare(a, b));
    this.count.textContent = t('units.count', { n: shown.length, total: all.length });
    for (const th of this.root.querySelectorAll('[data-sort]')) {
      th.dataset.dir = th.dataset.sort === this.sort.key ? (this.sort.dir > 0 ? 'asc' : 'desc') : '';
      th.textContent = t(`units.col.${th.dataset.sort}`);
    }
    if (!shown.length) {
      this.body.innerHTML = `<tr><td colspan="${COLUMNS.length}" class="units-empty">${esc(t('units.empty'))}</td></tr>`;
      return;
    }
    this.body.innerHTML = shown.map((r) => {
      const colour = r.online ? VEHICLE_COLOURS[r.status] || '#555' : OFFLINE_COLOUR;
      const cls = [r.hasFix ? '' : 'no-fix', r.id === this.selected ? 'selected' : ''].join(' ').trim();
      return `<tr data-unit="${esc(r.id)}" data-status="${esc(r.status)}" data-online="${r.online}" class="${cls}">
        <td class="plate"><strong>${esc(r.plate)}</strong><br><small>${esc(r.id)}</small></td>
        <td>${esc(r.team)}</td>
        <td class="crew">${esc(r.crew || '—')}</td>
        <td class="status"><i class="lg-dot" style="--c:${colour}"></i>${esc(name('vehicle', r.status))}</td>
        <td class="online ${r.online ? 'on' : 'off'}">${esc(t(r.online ? 'units.online' : 'units.offline'))}</td>
        <td class="fix num" data-fix-age>${esc(r.fixAge == null ? t('units.no_fix') : t('units.ago', { t: duration(r.fixAge) }))}</td>
        <td class="ticket">${r.ticketId ? `<button class="link" data-unit-ticket="${esc(r.ticketId)}">${esc(r.ticket)}</button>` : '—'}</td>
      </tr>`;
    }).join('');
  }

  /** Re-renders at most twice a second (moves come every tick). */
  schedule() {
    if (this.timer || this.root.hidden) return;
    this.timer = setTimeout(() => { this.timer = null; this.render(); }, 500);
  }

  /** Centres the map on a vehicle (a ticket link opens the ticket instead). */
  focus(id) {
    this.selected = id;
    if (!this.ctx.map.focusVehicle(id)) this.ctx.toast(t('units.no_fix_toast', { v: id }), 'warn');
    for (const tr of this.body.querySelectorAll('[data-unit]')) tr.classList.toggle('selected', tr.dataset.unit === id);
  }
}
