// The status feed to the 12313 platform, for supervisors: a button over the map opens the
// queue of parked messages (`GET /feed/parked`) — the ones the platform's receiver kept
// refusing and those held behind them — with a retry per ticket
// (`POST /feed/parked/{event_id}/retry`). Dispatchers get 403 and never see the button;
// nor does anyone while the feed is off and nothing is parked.
import { t } from './i18n.js';
import { esc } from './format.js';

const REFRESH_MS = 15000;

export class FeedPanel {
  constructor(root, toggle, ctx) {
    this.root = root;
    this.toggle = toggle;
    this.ctx = ctx;
    this.data = null;
    toggle.addEventListener('click', () => {
      this.root.hidden = !this.root.hidden;
      this.toggle.classList.toggle('active', !this.root.hidden);
      if (!this.root.hidden) this.load();
    });
    root.addEventListener('click', (ev) => {
      const b = ev.target.closest('[data-feed-retry]');
      if (b) this.retry(b.dataset.feedRetry, b);
    });
  }

  /** Reads the parked queue now and every REFRESH_MS; stops for a role that may not. */
  async load() {
    clearTimeout(this.timer);
    try {
      this.data = await this.ctx.api.get('/feed/parked');
    } catch (e) {
      if (e.status === 403 || e.status === 401) { this.toggle.hidden = true; return; }
      this.data = null;
    }
    this.render();
    this.timer = setTimeout(() => this.load(), REFRESH_MS);
  }

  async retry(eventId, button) {
    button.disabled = true;
    try {
      const r = await this.ctx.api.post(`/feed/parked/${encodeURIComponent(eventId)}/retry`, {});
      this.ctx.toast(t('feed.queued', { number: r.number, n: r.queued.length }));
    } catch (e) {
      this.ctx.toast(e.message, 'error');
    }
    setTimeout(() => this.load(), 1500);
  }

  render() {
    const d = this.data;
    const parked = d?.parked || [];
    this.toggle.hidden = !d || (!d.enabled && parked.length === 0);
    this.toggle.textContent = parked.length ? `${t('feed.title')} · ${parked.length}` : t('feed.title');
    this.toggle.classList.toggle('warn', parked.length > 0);
    if (this.root.hidden || !d) return;
    // One retry per ticket: its oldest parked message (the rest follow in order).
    const first = new Set();
    const rows = parked.map((p) => {
      const lead = !first.has(p.ticket_id);
      first.add(p.ticket_id);
      return `<tr>
        <td>${esc(p.number)}</td><td>${esc(p.status)}</td><td>${esc(String(p.attempts))}</td>
        <td>${esc(p.last_error === 'behind_parked' ? t('feed.behind') : p.last_error)}</td>
        <td>${esc(p.parked_at)}</td>
        <td>${lead ? `<button class="ghost" data-feed-retry="${esc(String(p.event_id))}">${esc(t('feed.retry'))}</button>` : ''}</td>
      </tr>`;
    }).join('');
    this.root.innerHTML = `
      <div class="panel-head"><h2>${esc(t('feed.title'))}</h2>
        <span class="units-count">${esc(d.enabled ? t('feed.lag', { n: d.lag_events }) : t('feed.off'))}</span></div>
      <div class="units-scroll">${parked.length ? `<table class="units-table feed-table">
        <thead><tr><th>${esc(t('feed.number'))}</th><th>${esc(t('feed.status'))}</th><th>${esc(t('feed.attempts'))}</th>
          <th>${esc(t('feed.error'))}</th><th>${esc(t('feed.parked_at'))}</th><th></th></tr></thead>
        <tbody>${rows}</tbody></table>` : `<p class="empty">${esc(t('feed.empty'))}</p>`}</div>`;
  }
}
