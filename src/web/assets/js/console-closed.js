// Closed tickets for the queue: the live state holds open tickets only, so archived,
// transferred and merged ones are read from `GET /tickets` — by their status when the
// status filter names a closed one, or by `closed=true&q=…` when a search is typed — with the
// queue's other filters. The latest answer wins; an older one arriving late is dropped.
import { Api, tokens, query } from './api.js';
import { CLOSED } from './format.js';

const DEBOUNCE_MS = 250;
const LIMIT = 100;

export class ClosedTickets {
  constructor() {
    /** The closed tickets matching the last filters (empty when none apply). */
    this.items = [];
    /** True while an answer is awaited. */
    this.loading = false;
    this.error = null;
    this.onChange = () => {};
    this.filters = null;
    this.seq = 0;
    this.timer = null;
  }

  /** Whether `filters` ask for closed tickets at all. */
  static wanted(f) {
    return !f.overdue && (CLOSED.has(f.status) || (!f.status && !!f.text?.trim()));
  }

  /** The queue's filters changed: read the closed tickets they ask for (debounced). */
  update(filters) {
    this.filters = { ...filters };
    clearTimeout(this.timer);
    if (!ClosedTickets.wanted(this.filters)) {
      this.seq++;
      this.loading = false;
      const had = this.items.length > 0;
      this.items = [];
      if (had) this.onChange();
      return;
    }
    this.loading = true;
    this.timer = setTimeout(() => this.load(), DEBOUNCE_MS);
  }

  /** Reads again with the current filters (a ticket was closed or reopened). */
  refresh() {
    if (this.filters && ClosedTickets.wanted(this.filters)) this.load();
  }

  async load() {
    const f = this.filters;
    const seq = ++this.seq;
    const params = {
      status: CLOSED.has(f.status) ? f.status : undefined,
      closed: CLOSED.has(f.status) ? undefined : 'true',
      q: f.text?.trim() || undefined,
      category: f.category || undefined,
      urgency: f.grade || undefined,
      department: f.department || undefined,
      limit: LIMIT,
    };
    try {
      const page = await new Api(tokens.staff()).get(`/tickets${query(params)}`);
      if (seq !== this.seq) return;
      this.items = page.items || [];
      this.error = null;
    } catch (e) {
      if (seq !== this.seq) return;
      this.items = [];
      this.error = e;
    }
    this.loading = false;
    this.onChange();
  }
}

/** The console's one list of closed tickets, shared by the queue and the detail panel. */
export const closedTickets = new ClosedTickets();
