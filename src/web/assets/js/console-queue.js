// The ticket queue: filters (status, category, grade, department, overdue, text), the list
// sorted by grade then time left in the stage, live countdowns, overdue highlighting.
import { t, name, categoryName } from './i18n.js';
import { esc, duration, GRADE_ORDER, CLOSED } from './format.js';
import { closedTickets } from './console-closed.js';

// The closed statuses at the end: their tickets are read from the engine (console-closed.js).
const STATUSES = ['received', 'triaged', 'en_route', 'on_site', 'reporting', 'in_review', 'in_approval', 'replying', 'awaiting_visit', ...CLOSED];
const GRADES = ['I', 'II', 'III', 'IV'];
const DEPARTMENTS = ['enforcement', 'marketing', 'logistics'];

export class Queue {
  constructor(root, state, onSelect) {
    this.root = root;
    this.state = state;
    this.onSelect = onSelect;
    this.selected = null;
    this.categories = [];
    this.filters = { status: '', category: '', grade: '', department: '', overdue: false, text: '' };
    this.list = root.querySelector('.queue-list');
    this.count = root.querySelector('.queue-count');
    closedTickets.onChange = () => this.render();
    for (const el of root.querySelectorAll('[data-filter]')) {
      el.addEventListener(el.type === 'checkbox' || el.tagName === 'SELECT' ? 'change' : 'input', () => {
        this.filters[el.dataset.filter] = el.type === 'checkbox' ? el.checked : el.value.trim();
        closedTickets.update(this.filters);
        this.render();
      });
    }
    this.list.addEventListener('click', (ev) => {
      const item = ev.target.closest('[data-ticket-id]');
      if (item) this.onSelect(item.dataset.ticketId);
    });
  }

  setCategories(categories) {
    this.categories = categories;
    this.fillSelects();
  }

  fillSelects() {
    const opts = (values, label) => `<option value="">${esc(t('common.all'))}</option>` + values.map((v) => `<option value="${esc(v)}">${esc(label(v))}</option>`).join('');
    const set = (key, html) => {
      const el = this.root.querySelector(`[data-filter="${key}"]`);
      const value = el.value;
      el.innerHTML = html;
      el.value = value;
    };
    set('status', opts(STATUSES, (s) => name('status', s)));
    set('grade', opts(GRADES, (g) => name('grade', g)));
    set('department', opts(DEPARTMENTS, (d) => name('department', d)));
    set('category', opts(this.categories.map((c) => c.code), (code) => this.categoryName(code)));
  }

  categoryName(code) { return categoryName(code, this.categories) || '—'; }

  matches(tk, now) {
    const f = this.filters;
    if (f.status && tk.status !== f.status) return false;
    if (f.category && tk.category !== f.category) return false;
    if (f.grade && tk.urgency !== f.grade) return false;
    if (f.department && tk.department !== f.department) return false;
    if (f.overdue && !this.state.overdue(tk, now)) return false;
    if (f.text) {
      const hay = `${tk.number} ${tk.external_id || ''} ${tk.location?.address_text || ''} ${tk.description || ''} ${tk.category_name || ''}`.toLowerCase();
      if (!hay.includes(f.text.toLowerCase())) return false;
    }
    return true;
  }

  sorted(now) {
    const rank = (x) => GRADE_ORDER[x.urgency] ?? 4;
    const left = (x) => this.state.remaining(x, now) ?? Infinity;
    // Closed tickets found by the engine (already filtered there), unless reopened since.
    const closed = closedTickets.items.filter((x) => !this.state.tickets.has(x.id));
    const open = CLOSED.has(this.filters.status) ? [] : [...this.state.tickets.values()].filter((x) => this.matches(x, now));
    open.sort((a, b) => rank(a) - rank(b) || left(a) - left(b) || a.number.localeCompare(b.number));
    return [...open, ...closed];
  }

  render() {
    const now = Date.now();
    const items = this.sorted(now);
    this.count.textContent = t('queue.count', { n: items.length });
    if (!items.length) {
      this.list.innerHTML = `<li class="queue-empty">${esc(t('queue.empty'))}</li>`;
      return;
    }
    this.list.innerHTML = items.map((tk) => this.item(tk, now)).join('');
  }

  item(tk, now) {
    const grade = tk.urgency || '—';
    const place = tk.location?.address_text || (tk.location?.retailer_licence ? `${t('detail.retailer')} ${tk.location.retailer_licence}` : '');
    const cls = ['queue-item', `grade-${grade}`];
    if (tk.id === this.selected) cls.push('selected');
    if (this.state.overdue(tk, now)) cls.push('is-overdue');
    return `<li class="${cls.join(' ')}" data-ticket-id="${esc(tk.id)}" data-number="${esc(tk.number)}" tabindex="0">
      <div class="qi-top"><span class="badge grade grade-${esc(grade)}">${esc(name('grade', grade) || '?')}</span>
        <span class="qi-number">${esc(tk.number)}</span>
        <span class="qi-status status-${esc(tk.status)}">${esc(name('status', tk.status))}</span>
        ${tk.location?.outside_area ? `<span class="badge outside-area" title="${esc(t('area.outside_hint'))}">${esc(t('area.outside'))}</span>` : ''}</div>
      <div class="qi-cat">${esc(this.categoryName(tk.category) || tk.category_name || '')}${tk.department ? ` · ${esc(name('department', tk.department))}` : ''}</div>
      <div class="qi-place">${esc(place)}</div>
      <div class="qi-sla" data-countdown="${esc(tk.id)}">${this.countdown(tk, now)}</div>
    </li>`;
  }

  countdown(tk, now) {
    const left = this.state.remaining(tk, now);
    if (left == null) return `<span class="sla none">${esc(t('sla.none'))}</span>`;
    if (left < 0) return `<span class="sla overdue">${esc(t('sla.overdue', { t: duration(-left) }))}</span>`;
    const warn = this.state.warned(tk, now);
    return `<span class="sla ${warn ? 'warning' : 'ok'}">${esc(t('sla.remaining', { t: duration(left) }))}</span>`;
  }

  /** Refreshes the countdowns only (every second), re-sorting when an item crosses zero. */
  tick() {
    const now = Date.now();
    let crossed = false;
    for (const el of this.list.querySelectorAll('[data-countdown]')) {
      const tk = this.state.tickets.get(el.dataset.countdown);
      if (!tk) continue;
      const before = el.querySelector('.overdue') != null;
      el.innerHTML = this.countdown(tk, now);
      const after = el.querySelector('.overdue') != null;
      el.closest('.queue-item').classList.toggle('is-overdue', this.state.overdue(tk, now));
      if (before !== after) crossed = true;
    }
    if (crossed) this.render();
  }

  select(id) {
    this.selected = id;
    for (const el of this.list.querySelectorAll('.queue-item')) el.classList.toggle('selected', el.dataset.ticketId === id);
  }
}
