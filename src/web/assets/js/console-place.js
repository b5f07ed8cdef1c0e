// Where is it? For the open ticket: its retailer candidates drawn on the map (numbered as
// listed), a search of the retailer registry (`GET /retailers/search`) whose hits are drawn
// too and can be taken as the ticket's shop, and a "pick on map" mode for a vague ticket:
// the next click on the map is shown as a point to confirm, then set as the ticket's
// position. Both go through the triage command (`retailer_licence`, or `location`), the one
// step that sets or confirms a ticket's place, with its role checks. On a ticket still
// `received` a pick only joins the triage panel's picks: nothing is triaged (or offered)
// until the dispatcher confirms the triage there.
import { t } from './i18n.js';
import { esc } from './format.js';
import { errorText } from './api.js';

const PLACE_STATUSES = ['received', 'triaged', 'en_route', 'on_site'];

export class PlacePanel {
  /**
   * @param {HTMLElement} root the detail panel (clicks and keys on `[data-place]` are ours)
   * @param {{ api, stream, state, map, toast, role, refresh, detail }} ctx
   */
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.ticketId = null;
    this.shops = new Map(); // licence -> retailer (with position), or null when unknown
    this.query = '';
    this.hits = null; // search hits of `query`, or null
    this.searching = false;
    this.picked = null; // { lat, lng } waiting for confirmation
    this.picking = false;
    root.addEventListener('click', (ev) => {
      const b = ev.target.closest('[data-place]');
      if (b) this.click(b);
    });
    root.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && ev.target.id === 'place-q') { ev.preventDefault(); this.search(ev.target.value); }
    });
    ctx.map.onPickCancel = () => { this.picking = false; this.redraw(); };
  }

  ticket() { return this.ticketId ? this.ctx.state.tickets.get(this.ticketId) || this.ctx.detail?.ticket() : null; }

  /** Another ticket is open (or the same one changed): redraw its candidates on the map. */
  async show(tk) {
    if (tk?.id !== this.ticketId) {
      this.ticketId = tk?.id || null;
      this.query = '';
      this.hits = null;
      this.cancelPick();
      this.ctx.map.setPlaces('search', []);
    }
    const cands = tk?.retailer_candidates || [];
    await Promise.all(cands.map((c) => this.shop(c.licence)));
    if (this.ticketId !== (tk?.id || null)) return;
    this.ctx.map.setPlaces('candidate', cands.map((c, i) => ({ ...c, rank: i + 1, position: this.shops.get(c.licence)?.position })));
  }

  /** A registry retailer by licence (cached). */
  async shop(licence) {
    if (this.shops.has(licence)) return this.shops.get(licence);
    try {
      const r = await this.ctx.api.get(`/retailers/${encodeURIComponent(licence)}`);
      this.shops.set(licence, r);
      return r;
    } catch {
      this.shops.set(licence, null);
      return null;
    }
  }

  async search(q) {
    this.query = (q || '').trim();
    if (!this.query) { this.hits = null; this.ctx.map.setPlaces('search', []); this.redraw(); return; }
    const id = this.ticketId;
    this.searching = true;
    this.redraw();
    try {
      const res = await this.ctx.api.get(`/retailers/search?${new URLSearchParams({ q: this.query, limit: '8' })}`);
      if (id !== this.ticketId) return;
      // Each hit is the retailer with its `score`.
      this.hits = res.hits.map((h, i) => ({ ...h, rank: i + 1 }));
      for (const h of this.hits) this.shops.set(h.licence, h);
      this.ctx.map.setPlaces('search', this.hits);
    } catch (e) {
      this.ctx.toast(errorText(e), 'error');
      this.hits = [];
    } finally {
      this.searching = false;
      this.redraw();
    }
  }

  startPick() {
    this.picking = true;
    this.picked = null;
    this.ctx.map.setPicked(null);
    this.ctx.map.startPick((pos) => {
      this.picking = false;
      this.picked = pos;
      this.ctx.map.setPicked(pos);
      this.redraw();
    });
    this.redraw();
  }

  cancelPick() {
    this.picking = false;
    this.picked = null;
    this.ctx.map.stopPick();
    this.ctx.map.setPicked(null);
  }

  /** Sends the triage command that sets the ticket's place; true when the engine took it. */
  async place(body, done) {
    const tk = this.ticket();
    if (!tk) return false;
    const triage = this.ctx.detail?.triage;
    if (triage?.open(tk)) {
      triage.sync(tk);
      if (body.location) triage.pickLocation(body.location);
      else triage.pickRetailer(body.retailer_licence, this.shops.get(body.retailer_licence)?.name);
      this.ctx.toast(t('place.picked_for_triage'), 'ok');
      this.cancelPick();
      this.redraw();
      return true;
    }
    try {
      const res = this.ctx.stream.isOpen()
        ? await this.ctx.stream.command('triage', tk.id, body)
        : await this.ctx.api.post(`/tickets/${tk.id}/triage`, body);
      if (res?.id) this.ctx.state.upsertTicket(res);
      this.ctx.toast(done, 'ok');
      this.cancelPick();
      this.hits = null;
      this.query = '';
      // The detail keeps typed text across a redraw: the search box starts empty again.
      const box = this.root.querySelector('#place-q');
      if (box) box.value = '';
      this.ctx.map.setPlaces('search', []);
      this.ctx.refresh();
      return true;
    } catch (e) {
      this.ctx.toast(errorText(e), 'error');
      return false;
    }
  }

  click(b) {
    const act = b.dataset.place;
    const tk = this.ticket();
    switch (act) {
      case 'search': return this.search(this.root.querySelector('#place-q')?.value);
      case 'pick': return this.startPick();
      case 'pick-cancel': this.cancelPick(); return this.redraw();
      case 'pick-set': {
        if (!this.picked) return null;
        const p = this.picked;
        return this.place({ location: { lat: +p.lat.toFixed(6), lng: +p.lng.toFixed(6) } }, t('place.set_done', { n: tk?.number || '' }));
      }
      case 'show': {
        const r = this.shops.get(b.dataset.licence);
        if (r?.position) this.ctx.map.focus(r.position, 16);
        return null;
      }
      case 'use': {
        const r = this.shops.get(b.dataset.licence);
        return this.place({ retailer_licence: b.dataset.licence }, t('place.shop_done', { s: r?.name || b.dataset.licence }));
      }
      default: return null;
    }
  }

  redraw() {
    this.ctx.detail?.render();
  }

  /** The panel in the overview tab (dispatchers, while the place may still change). */
  render(tk) {
    if (!tk || tk.id !== this.ticketId) return '';
    if (this.ctx.role() !== 'dispatcher' || !PLACE_STATUSES.includes(tk.status)) return '';
    const receivedNote = tk.status === 'received' ? `<p class="hint place-triage-note">${esc(t('place.triages'))}</p>` : '';
    const picking = this.picking ? `<p class="place-picking" data-picking="true">${esc(t('place.picking'))}
        <button data-place="pick-cancel">${esc(t('common.cancel'))}</button></p>` : '';
    const picked = this.picked ? `<div class="place-picked" data-picked-at="${this.picked.lat.toFixed(5)},${this.picked.lng.toFixed(5)}">
        <p>${esc(t('place.picked', { lat: this.picked.lat.toFixed(5), lng: this.picked.lng.toFixed(5) }))}</p>${receivedNote}
        <div class="actions"><button class="primary" data-place="pick-set">${esc(t('place.set'))}</button>
        <button data-place="pick-cancel">${esc(t('common.cancel'))}</button></div></div>` : '';
    let hits = '';
    if (this.searching) hits = `<p class="hint">${esc(t('common.loading'))}</p>`;
    else if (this.hits && !this.hits.length) hits = `<p class="hint">${esc(t('place.no_hits'))}</p>`;
    else if (this.hits) {
      hits = `${receivedNote}<ol class="place-hits">${this.hits.map((h) => `<li data-hit="${esc(h.licence)}">
        <div><strong>${esc(h.name)}</strong><br><small>${esc(h.address)} · ${esc(h.licence)}</small></div>
        <div class="row-actions"><button class="link" data-place="show" data-licence="${esc(h.licence)}">${esc(t('place.show'))}</button>
        <button data-place="use" data-licence="${esc(h.licence)}">${esc(t('place.use'))}</button></div></li>`).join('')}</ol>`;
    }
    const cands = tk.retailer_candidates || [];
    const onMap = cands.length ? `<p class="hint">${esc(t('place.candidates_on_map', { n: cands.length }))}</p>` : '';
    return `<section class="place-panel" data-place-panel="${esc(tk.id)}">
      <h4>${esc(t('place.title'))}</h4>${onMap}
      <div class="place-search"><input id="place-q" type="search" value="${esc(this.query)}" placeholder="${esc(t('place.search_hint'))}" maxlength="100">
        <button data-place="search">${esc(t('place.search'))}</button>
        <button data-place="pick" ${this.picking ? 'disabled' : ''}>${esc(t('place.pick'))}</button></div>
      ${picking}${picked}${hits}
    </section>`;
  }
}
