// One ticket on the phone, in four panes: getting there (the site on the map, distance and
// bearing from the phone, the navigation apps, arrival), on site (the guide's handling steps,
// notice wording and legal basis; the on-site record with its evidence), the report
// (field-report.js) and the group (field-group.js). The ticket is the field stream's view of
// it: no reporter identity, text masked.
import { t, name, categoryName } from './i18n.js';
import { esc, distance } from './format.js';
import { SiteMap, navLinks, distanceM, bearingDeg, bearingText } from './field-nav.js';
import { Evidence } from './field-evidence.js';
import { ReportPane } from './field-report.js';
import { GroupPane } from './field-group.js';

const TABS = ['go', 'site', 'report', 'group'];
const PANE_FOR_STATUS = { en_route: 'go', on_site: 'site', reporting: 'report' };

export class TicketScreen {
  /**
   * @param {HTMLElement} el `#ticket`
   * @param {{api, catalog: Function, guide: Function, here: Function, arrive: Function,
   *   toast: Function, mine: string[]}} ctx `guide(code)` resolves to the category's guide,
   *   `here()` is the phone's last position, `arrive(tk)` declares arrival.
   */
  constructor(el, ctx) {
    this.el = el;
    this.ctx = ctx;
    this.tk = null;
    this.tab = 'go';
    for (const b of el.querySelectorAll('.tabs [data-tab]')) b.onclick = () => this.select(b.dataset.tab);
    this.group = new GroupPane(this.pane('group'), ctx.api, ctx.mine, ctx.toast);
  }

  pane(tab) { return this.el.querySelector(`[data-pane="${tab}"]`); }

  open(tk) {
    this.close();
    this.tk = tk;
    this.el.dataset.ticketId = tk.id;
    this.evidence = new Evidence(this.ctx.api, tk.id, () => { this.report.renderEvidence(); this.renderSiteEvidence(); });
    this.report = new ReportPane(this.pane('report'), { api: this.ctx.api, evidence: this.evidence, catalog: this.ctx.catalog, toast: this.ctx.toast });
    this.select(PANE_FOR_STATUS[tk.status] || 'go');
    this.evidence.load();
    this.group.load(tk.id);
  }

  close() {
    this.map?.remove();
    this.map = null;
    this.tk = null;
    delete this.el.dataset.ticketId;
  }

  /** The ticket changed (a stream frame): redraw, and move on to the pane its status needs. */
  update(tk) {
    if (!this.tk || tk.id !== this.tk.id) return;
    const before = this.tk.status;
    this.tk = tk;
    if (before !== tk.status && PANE_FOR_STATUS[tk.status]) this.select(PANE_FOR_STATUS[tk.status]);
    else this.render();
  }

  select(tab) {
    this.tab = TABS.includes(tab) ? tab : 'go';
    for (const b of this.el.querySelectorAll('.tabs [data-tab]')) b.classList.toggle('active', b.dataset.tab === this.tab);
    for (const p of this.el.querySelectorAll('[data-pane]')) p.hidden = p.dataset.pane !== this.tab;
    this.el.dataset.tab = this.tab;
    this.render();
  }

  render() {
    const tk = this.tk;
    if (!tk) return;
    const head = this.el.querySelector('.ticket-head');
    head.querySelector('.th-grade').className = `th-grade badge grade-${tk.urgency || 'IV'}`;
    head.querySelector('.th-grade').textContent = name('grade', tk.urgency);
    head.querySelector('.th-category').textContent = categoryName(tk.category, this.ctx.catalog()?.categories) || tk.category_name || t('field.uncategorised');
    head.querySelector('.th-number').textContent = tk.number;
    head.querySelector('.th-status').innerHTML = `<span class="vstatus" data-status="${esc(tk.status)}">${esc(name('status', tk.status))}</span>`;
    if (this.tab === 'go') this.renderGo();
    else if (this.tab === 'site') this.renderSite();
    else if (this.tab === 'report') this.report.show(tk);
  }

  /** The phone moved: distance, bearing and the map follow. */
  moved() {
    if (this.tk && this.tab === 'go') this.renderFacts();
  }

  renderGo() {
    const tk = this.tk;
    const pane = this.pane('go');
    const site = tk.location?.position;
    const label = [tk.location?.address_text, tk.location?.retailer_licence].filter(Boolean).join(' · ');
    const arrive = tk.status === 'en_route'
      ? `<button class="primary arrive" data-act="arrive">${esc(t('field.arrived'))}</button>` : '';
    const arrived = ['on_site', 'reporting'].includes(tk.status) ? `<p class="ok arrived-note">${esc(t('field.on_site'))}</p>` : '';
    pane.innerHTML = `
      <p class="site-address">${esc(label || t('field.no_address'))}</p>
      ${site ? '<div class="site-map"></div>' : `<p class="warn">${esc(t('field.no_site'))}</p>`}
      <div class="nav-facts"><div><small>${esc(t('field.distance'))}</small><strong class="nav-distance">—</strong></div>
        <div><small>${esc(t('field.bearing'))}</small><strong class="nav-bearing">—</strong></div></div>
      ${site ? `<div class="nav-links">${navLinks(site, label).map((l) => `<a href="${esc(l.href)}" data-app="${l.app}">${esc(t(`field.nav.${l.app}`))}</a>`).join('')}</div>
        <small class="hint">${esc(t('field.nav_hint'))}</small>` : ''}
      ${arrive}${arrived}`;
    if (site) {
      this.map?.remove();
      this.map = new SiteMap(pane.querySelector('.site-map'));
      this.map.show(site, this.ctx.here());
    }
    const b = pane.querySelector('[data-act="arrive"]');
    if (b) b.onclick = async () => {
      b.disabled = true;
      try { await this.ctx.arrive(tk); } catch (e) { this.ctx.toast(e.message, 'error'); b.disabled = false; }
    };
    this.renderFacts();
  }

  renderFacts() {
    const pane = this.pane('go');
    const site = this.tk.location?.position;
    const me = this.ctx.here();
    if (!site || !me) return;
    pane.querySelector('.nav-distance').textContent = distance(distanceM(me, site));
    pane.querySelector('.nav-bearing').textContent = bearingText(bearingDeg(me, site));
    this.map?.show(site, me);
  }

  async renderSite() {
    const tk = this.tk;
    const pane = this.pane('site');
    const guide = tk.category ? await this.ctx.guide(tk.category) : null;
    if (this.tk !== tk || this.tab !== 'site') return;
    const steps = guide?.handling_steps?.length ? `<h4>${esc(t('field.guide_steps'))}</h4><ol class="guide-steps">${guide.handling_steps.map((s) => `<li>${esc(s)}</li>`).join('')}</ol>` : '';
    const notice = guide?.notice_wording ? `<h4>${esc(t('field.notice'))}</h4><div class="notice guide-notice">${esc(guide.notice_wording)}</div>` : '';
    const basis = guide?.legal_basis?.length ? `<h4>${esc(t('field.legal_basis'))}</h4><ul class="guide-basis">${guide.legal_basis.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>` : '';
    let record = '';
    if (tk.status === 'on_site') {
      record = `<form class="field-form onsite-form"><h4>${esc(t('field.onsite_record'))}</h4>
        <label>${esc(t('field.findings'))} *<textarea name="findings" required></textarea></label>
        <label>${esc(t('field.actions'))}<textarea name="actions"></textarea></label>
        <h4>${esc(t('field.evidence'))}</h4><div class="evidence-area"></div>
        <div class="form-error signin-error"></div>
        <button class="primary" type="submit">${esc(t('field.submit_onsite'))}</button></form>`;
    } else if (tk.onsite) {
      record = `<h4>${esc(t('field.onsite_record'))}</h4><p class="notice onsite-findings">${esc(tk.onsite.findings)}</p>${tk.onsite.actions ? `<p class="notice">${esc(tk.onsite.actions)}</p>` : ''}`;
    } else if (tk.status === 'en_route') {
      record = `<p class="hint">${esc(t('field.arrive_first'))}</p>`;
    }
    // A redraw (any change to the ticket) keeps what the inspector has typed.
    const typed = pane.querySelector('.onsite-form');
    const kept = typed ? { findings: typed.findings.value, actions: typed.actions.value } : null;
    pane.innerHTML = `${steps}${notice}${basis}${record}`;
    const form = pane.querySelector('.onsite-form');
    if (form) {
      if (kept) { form.findings.value = kept.findings; form.actions.value = kept.actions; }
      form.onsubmit = (ev) => { ev.preventDefault(); this.submitOnsite(form); };
      this.renderSiteEvidence();
    }
  }

  renderSiteEvidence() {
    const area = this.pane('site').querySelector('.evidence-area');
    if (!area) return;
    const guide = this.ctx.catalog()?.categories?.find((c) => c.code === this.tk?.category);
    area.innerHTML = this.evidence.html(guide?.report_evidence || ['photo'], this.ctx.catalog()?.evidence_kinds || []);
    this.evidence.wire(area, this.ctx.toast);
  }

  async submitOnsite(form) {
    const error = form.querySelector('.form-error');
    const button = form.querySelector('button[type=submit]');
    error.textContent = '';
    button.disabled = true;
    try {
      await this.ctx.api.post(`/tickets/${this.tk.id}/onsite-record`, {
        findings: form.findings.value.trim(),
        actions: form.actions.value.trim(),
        evidence: this.evidence.items(),
      });
      this.ctx.toast(t('field.onsite_saved'));
    } catch (e) {
      error.textContent = e.message;
    } finally {
      button.disabled = false;
    }
  }

  /** A group frame for this ticket: read the group again. */
  groupChanged(ticketId) {
    if (this.tk?.id === ticketId) this.group.load(ticketId);
  }
}
