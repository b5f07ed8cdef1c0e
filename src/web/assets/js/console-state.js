// The console's live state: open tickets, vehicles and groups, kept from `/ws/console`
// (a `snapshot` replaces everything, deltas update one thing) or, while the socket is
// down, from the HTTP API (a full reload each poll, also replacing everything, so nothing
// stale survives). Listeners get told what changed; alerts are raised for new grade I
// tickets, `alert` frames and overdue tickets.
import { CLOSED } from './format.js';

export class ConsoleState {
  constructor() {
    this.tickets = new Map();
    this.vehicles = new Map();
    this.groups = new Map();
    this.seenTickets = new Set();
    this.listeners = new Set();
    this.loaded = false;
  }

  on(f) { this.listeners.add(f); }
  emit(change) { for (const f of this.listeners) f(change); }

  /** A `snapshot` frame (or a reload over HTTP): replaces all state. */
  replace({ tickets = [], vehicles = [], groups = [] }, { fromPoll = false } = {}) {
    const before = new Set(this.tickets.keys());
    this.tickets = new Map(tickets.filter((t) => !CLOSED.has(t.status)).map((t) => [t.id, t]));
    this.vehicles = new Map(vehicles.map((v) => [v.vehicle_id, v]));
    this.groups = new Map(groups.map((g) => [g.id || g.ticket_id, g]));
    const fresh = [];
    for (const t of this.tickets.values()) {
      // At sign-in, grade I tickets still waiting for a vehicle need someone's attention;
      // later (polling), a grade I ticket never seen before is new, as the stream would say.
      const waiting = !this.loaded && t.urgency === 'I' && (t.status === 'received' || t.status === 'triaged');
      const appeared = this.loaded && fromPoll && !before.has(t.id) && !this.seenTickets.has(t.id) && t.urgency === 'I';
      if (waiting || appeared) fresh.push(t);
      this.seenTickets.add(t.id);
    }
    this.loaded = true;
    this.emit({ kind: 'replace' });
    for (const t of fresh) this.emit({ kind: 'alert', reason: 'new_grade_i', ticket: t });
  }

  /** One delta frame from `/ws/console`. */
  apply(f) {
    if (f.ticket) this.upsertTicket(f.ticket);
    if (f.group) this.groups.set(f.group.id || f.group.ticket_id || f.ticket_id, f.group);
    switch (f.type) {
      case 'vehicle.moved':
        for (const m of f.moves || []) {
          const v = { ...(this.vehicles.get(m.vehicle_id) || {}), ...m };
          this.vehicles.set(m.vehicle_id, v);
        }
        this.emit({ kind: 'vehicles', moves: f.moves || [], from: 'moved' });
        return;
      case 'vehicle.status': {
        const v = { ...(this.vehicles.get(f.vehicle_id) || { vehicle_id: f.vehicle_id }), status: f.status, ticket_id: f.ticket_id, online: f.online };
        this.vehicles.set(f.vehicle_id, v);
        this.emit({ kind: 'vehicles', moves: [v], from: 'status' });
        return;
      }
      case 'ticket.created':
        if (f.ticket?.urgency === 'I') this.emit({ kind: 'alert', reason: 'new_grade_i', ticket: f.ticket });
        break;
      case 'alert': {
        // The engine's reason: the grade I fast track at intake, or no vehicle left to send.
        const why = f.event?.data?.reason || '';
        this.emit({ kind: 'alert', reason: /^no vehicle/i.test(why) ? 'no_vehicle' : 'new_grade_i', ticket: f.ticket });
        break;
      }
      case 'sla.overdue':
        this.emit({ kind: 'notice', reason: 'overdue', ticket: f.ticket });
        break;
      default:
        break;
    }
    this.emit({ kind: 'ticket', id: f.ticket_id || f.ticket?.id, frame: f });
  }

  upsertTicket(t) {
    this.seenTickets.add(t.id);
    if (CLOSED.has(t.status)) this.tickets.delete(t.id);
    else this.tickets.set(t.id, { ...this.tickets.get(t.id), ...t });
  }

  /** Remaining seconds of the current stage, from the SLA clock or the deadlines. */
  remaining(t, now = Date.now()) {
    const due = t.sla_clock?.due_at || t.deadlines?.stage_due_at;
    if (!due) return null;
    return (Date.parse(due) - now) / 1000;
  }

  /**
   * In the overdue queue, as the engine's `?overdue=true`: the stage past its limit (by the
   * clock or the engine's mark), or the ticket past its intake-to-reply limit unanswered.
   */
  overdue(t, now = Date.now()) {
    const left = this.remaining(t, now);
    return (left != null && left < 0) || !!t.sla?.overdue || t.sla?.overdue_since != null;
  }

  warned(t, now = Date.now()) {
    if (t.sla?.warned || t.sla_clock?.overdue) return true;
    const w = t.sla_clock?.warning_at;
    return w ? Date.parse(w) <= now : false;
  }
}

/** Reloads the state over HTTP (when the stream is down): open tickets, live vehicles. */
export async function pollSnapshot(api) {
  const tickets = [];
  let cursor;
  for (let page = 0; page < 10; page++) {
    const q = new URLSearchParams({ limit: '500' });
    if (cursor) q.set('cursor', cursor);
    const res = await api.get(`/tickets?${q}`);
    tickets.push(...res.items);
    cursor = res.next_cursor;
    if (!cursor) break;
  }
  const roster = await api.get('/vehicles');
  const list = Array.isArray(roster) ? roster : roster.items || [];
  const vehicles = await Promise.all(list.map(async (v) => {
    try {
      const live = await api.get(`/vehicles/${encodeURIComponent(v.id)}/live`);
      return { ...live, plate: v.plate, team_id: v.team_id, department: v.department, at: live.fix_at };
    } catch {
      return { vehicle_id: v.id, plate: v.plate, team_id: v.team_id, status: 'off_duty' };
    }
  }));
  return { tickets, vehicles, groups: [] };
}
