// The ticket detail panel: overview (with location candidates to confirm, the triage
// panel: the proposal, its alternatives to pick from and the grade, and a possible
// duplicate to open or merge into), the guide's handling steps, the timeline (every
// event named, reasons and comments labelled), the report as submitted (console-report.js),
// the nearest vehicles with dispatch and override, review/approval beside the report
// (returns carry the guide's reason codes, each with a note), reply (prefilled from the
// guide's template) / visit / archive / supervise / transfer / reopen actions, and the
// group tab. Closed tickets are read from the engine and shown the same way. Actions go
// over the console socket as `command` frames when it is open, else over HTTP; both run the
// same checks, and a refusal is shown in the page's language (`errorText`).
import { t, name, lang, categoryName } from './i18n.js';
import { esc, duration, distance, time, CLOSED, LIMIT_STAGES, stageLimits } from './format.js';
import { errorText } from './api.js';
import { GroupPanel } from './console-group.js';
import { TriagePanel } from './console-triage.js';
import { unitMarks } from './console-units.js';
import { renderReport } from './console-report.js';
import { EvidenceFiles } from './console-evidence.js';
import { eventSummary, transferTarget } from './console-timeline.js';
import { closedTickets } from './console-closed.js';

const TABS = ['overview', 'guide', 'timeline', 'report', 'dispatch', 'actions', 'group'];
const DEPARTMENTS = ['enforcement', 'marketing', 'logistics'];

export class Detail {
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx; // { api, stream, state, catalog, reasons, map, toast, select }
    this.id = null;
    this.tab = 'overview';
    this.events = [];
    // The ticket whose timeline `events` holds (null while it loads).
    this.eventsFor = null;
    // The reply draft of a ticket (`{ id, text }`) and the ticket whose reply box it filled.
    this.replyDraft = null;
    this.replyFilled = null;
    this.nearest = null;
    // Tickets a duplicate link names that are not in the live state (closed, or not yet
    // seen): id -> ticket, or null while loading or when it cannot be read.
    this.others = new Map();
    // The engine's refusal of the last return, shown in the form until the next try.
    this.formError = null;
    // The next render starts the forms empty (another ticket is shown).
    this.fresh = true;
    this.group = new GroupPanel(ctx);
    this.triage = new TriagePanel(ctx);
    // The ticket's evidence files, shown with the report (console-evidence.js).
    this.files = new EvidenceFiles(ctx);
    root.addEventListener('click', (ev) => this.click(ev));
    // The triage panel's category list (any category of the guide).
    root.addEventListener('change', (ev) => { if (this.triage.change(ev)) this.render(); });
  }

  ticket() { return this.id ? this.ctx.state.tickets.get(this.id) || this.closed : null; }

  async show(id) {
    if (id !== this.id) {
      this.fresh = true;
      this.formError = null;
      this.replyDraft = null;
      this.replyFilled = null;
    }
    this.id = id;
    this.closed = null;
    this.events = [];
    this.eventsFor = null;
    this.nearest = null;
    this.render();
    const group = this.tab === 'group' ? this.group.load(this.ticket()).then(() => this.render()) : null;
    const files = this.files.load(id).then(() => { if (id === this.id) this.render(); });
    await Promise.all([this.loadMissing(id), this.loadEvents(), this.tab === 'dispatch' ? this.loadNearest() : null, group, files]);
  }

  /** A ticket the live state does not hold (closed, e.g. opened from a duplicate link). */
  async loadMissing(id) {
    if (this.ctx.state.tickets.get(id)) return;
    try {
      const tk = await this.ctx.api.get(`/tickets/${id}`);
      if (id === this.id) { this.closed = tk; this.render(); }
    } catch (e) { this.ctx.toast(errorText(e), 'error'); }
  }

  /** The ticket a duplicate link names, when the live state does not hold it. */
  async loadOther(id) {
    this.others.set(id, null);
    try {
      this.others.set(id, await this.ctx.api.get(`/tickets/${id}`));
      this.render();
    } catch { /* the link shows the id */ }
  }

  async loadEvents() {
    const id = this.id;
    try {
      const events = await this.ctx.api.get(`/tickets/${id}/events`);
      if (id === this.id) { this.events = events; this.eventsFor = id; this.render(); }
    } catch (e) { this.ctx.toast(errorText(e), 'error'); }
  }

  async loadNearest() {
    const tk = this.ticket();
    const pos = tk?.location?.position;
    if (!pos) { this.nearest = []; this.render(); return; }
    // Busy and declined vehicles too, marked: an override may send them.
    const q = new URLSearchParams({ lat: pos.lat, lng: pos.lng, limit: '10', include_stale: 'true', include_busy: 'true', ticket: tk.id });
    if (tk.department) q.set('department', tk.department);
    try {
      const list = await this.ctx.api.get(`/dispatch/nearest?${q}`);
      if (tk.id === this.id) { this.nearest = list; this.render(); }
    } catch (e) { this.ctx.toast(errorText(e), 'error'); }
  }

  /** A frame about the shown ticket arrived: refresh what it touches. */
  changed(frame) {
    if (!this.id || (frame.ticket_id || frame.ticket?.id) !== this.id) return;
    if (frame.ticket && CLOSED.has(frame.ticket.status)) this.closed = frame.ticket;
    if (frame.event && !this.events.some((e) => e.event_id === frame.event.event_id)) this.events.push(frame.event);
    if (frame.event?.type === 'evidence.attached') {
      const id = this.id;
      this.files.load(id).then(() => { if (id === this.id) this.render(); });
    }
    this.group.frame(frame);
    this.render();
  }

  /**
   * Runs `action` on the shown ticket (or on `target`); resolves true when the engine took
   * it. With `form`, a refusal is also shown in the form, where it stays until the next try.
   */
  async act(action, body, done, { target, form = false } = {}) {
    const tk = this.ticket();
    if (!tk) return false;
    const id = target || tk.id;
    try {
      let res;
      if (this.ctx.stream.isOpen()) res = await this.ctx.stream.command(action, id, body);
      else res = await this.ctx.api.post(`/tickets/${id}/${action.replace('.', '/')}`, body);
      if (res?.id) {
        this.ctx.state.upsertTicket(res);
        // Closed by this step (transferred out, merged): shown from the answer, as read.
        if (res.id === this.id) this.closed = CLOSED.has(res.status) ? res : null;
        if (CLOSED.has(res.status) || CLOSED.has(tk.status)) closedTickets.refresh();
      }
      this.formError = null;
      this.ctx.toast(done || t('actions.done'), 'ok');
      this.ctx.refresh();
      await this.loadEvents();
      if (this.tab === 'dispatch') await this.loadNearest();
      return true;
    } catch (e) {
      const text = errorText(e);
      this.ctx.toast(text, 'error');
      if (form) { this.formError = text; this.render(); }
      return false;
    }
  }

  /** The return reasons ticked in the form, each `{ code, note }` (the note when written). */
  pickedReasons() {
    if (!this.ctx.reasons?.length) {
      // No guide codes to offer (the catalog did not load): plain lines, filed as `other`.
      const text = this.root.querySelector('#review-reasons')?.value || '';
      return text.split('\n').map((x) => x.trim()).filter(Boolean);
    }
    return [...this.root.querySelectorAll('input[data-reason]:checked')].map((el) => {
      const note = this.root.querySelector(`#rn-${el.dataset.reason}`)?.value?.trim();
      return note ? { code: el.dataset.reason, note } : { code: el.dataset.reason };
    });
  }

  /** Merges the shown ticket into the one it probably repeats, once confirmed. */
  async mergeInto(target) {
    const tk = this.ticket();
    if (!tk) return;
    const other = this.ctx.state.tickets.get(target) || this.others.get(target);
    if (!window.confirm(t('detail.merge_confirm', { a: tk.number, b: other?.number || target }))) return;
    if (await this.act('merge', { duplicate_id: tk.id }, t('detail.merged', { n: other?.number || target }), { target })) {
      this.ctx.select(target);
    }
  }

  /** Transfers the shown ticket: to a department (stays open) or out of the unit (closes). */
  transfer(val) {
    const to = val('#transfer-to');
    const body = { to, reason: val('#transfer-reason') };
    if (to === 'other_unit') body.unit = val('#transfer-unit');
    const closes = to === 'platform' || to === 'other_unit';
    if (closes && !window.confirm(t('transfer.confirm', { n: this.ticket()?.number || '' }))) return false;
    return this.act('transfer', body, t('transfer.done'), { form: true });
  }

  /** The guide's answer to the citizen for the shown ticket, to start the reply from. */
  async loadReplyDraft(id) {
    this.replyDraft = { id, text: null };
    try {
      const d = await this.ctx.api.get(`/tickets/${id}/reply/draft`);
      if (this.replyDraft?.id === id) { this.replyDraft.text = d.text; this.render(); }
    } catch (e) { this.ctx.toast(errorText(e), 'error'); }
  }

  click(ev) {
    const tab = ev.target.closest('[data-tab]');
    if (tab) {
      this.tab = tab.dataset.tab;
      this.render();
      if (this.tab === 'dispatch') this.loadNearest();
      if (this.tab === 'group') this.group.load(this.ticket()).then(() => this.render());
      return;
    }
    const b = ev.target.closest('[data-act]');
    if (!b) return;
    const val = (sel) => this.root.querySelector(sel)?.value?.trim() || '';
    const a = b.dataset.act;
    const vid = b.dataset.vehicle;
    switch (a) {
      case 'dispatch': return this.act('dispatch', { vehicle_id: vid }, t('dispatch.sent', { v: vid }));
      case 'assign': return this.act('dispatch', { vehicle_id: vid, assign: true });
      case 'override': return this.act('dispatch', { vehicle_id: vid, override: true }, t('dispatch.sent', { v: vid }));
      case 'dispatch-auto': return this.act('dispatch', {});
      case 'dispatch-cancel': return this.act('dispatch.cancel', { reason: val('#cancel-reason') || t('dispatch.cancel') });
      // A shop of a ticket still to triage is only picked: the triage confirms it.
      case 'confirm-retailer': if (this.triage.open(this.ticket())) { this.triage.pickRetailer(b.dataset.licence); return this.render(); }
        return this.act('triage', { retailer_licence: b.dataset.licence });
      case 'pick-category': this.triage.pickCategory(b.dataset.category); return this.render();
      case 'pick-grade': this.triage.pickGrade(b.dataset.grade); return this.render();
      case 'triage': return this.act('triage', this.triage.body(this.ticket())).then((ok) => { if (ok) { this.triage.reset(); this.render(); } });
      case 'review-pass': return this.act('review', { decision: 'pass', reasons: [] });
      case 'review-return': return this.act('review', { decision: 'return', reasons: this.pickedReasons() }, undefined, { form: true });
      case 'approve': return this.act('approval', { decision: 'approve', reasons: [] });
      case 'approval-return': return this.act('approval', { decision: 'return', return_to: 'reporting', reasons: this.pickedReasons() }, undefined, { form: true });
      case 'reply': return this.act('reply', { text: val('#reply-text') });
      case 'visit': return this.act('return-visit', { satisfaction: b.dataset.sat, comment: val('#visit-comment') || undefined });
      case 'archive': return this.act('archive', {});
      case 'supervise': return this.act('supervise', { notice: val('#supervise-text') });
      case 'reopen': return this.act('reopen', { reason: val('#reopen-reason'), to: val('#reopen-to') || undefined }, t('actions.reopened'), { form: true });
      case 'transfer': return this.transfer(val);
      case 'focus': return this.ctx.map.focus(this.ticket()?.location?.position, 14);
      case 'open-ticket': return this.ctx.select(b.dataset.ticket);
      case 'merge-into': return this.mergeInto(b.dataset.target);
      default: return this.group.click(a, b, this.ticket()).then((changed) => changed && this.render());
    }
  }

  render() {
    const tk = this.ticket();
    if (!tk) {
      if (this.root.classList.contains('reviewing')) {
        this.root.classList.remove('reviewing');
        this.ctx.map?.map?.invalidateSize?.();
      }
      this.root.innerHTML = `<div class="detail-empty">${esc(t('detail.empty'))}</div>`;
      return;
    }
    const left = this.ctx.state.remaining(tk);
    const sla = left == null ? t('sla.none') : left < 0 ? t('sla.overdue', { t: duration(-left) }) : t('sla.remaining', { t: duration(left) });
    const focused = document.activeElement && this.root.contains(document.activeElement) ? document.activeElement.id : null;
    // What is typed (and ticked) survives a re-render of the same ticket, not a switch.
    const kept = {};
    if (!this.fresh) {
      for (const el of this.root.querySelectorAll('textarea[id], input[id], select[id]')) kept[el.id] = el.type === 'checkbox' ? el.checked : el.value;
    }
    this.fresh = false;
    this.root.innerHTML = `
      <header class="detail-head grade-${esc(tk.urgency || '')}">
        <div><span class="badge grade grade-${esc(tk.urgency || '')}">${esc(name('grade', tk.urgency) || '?')}</span>
          <strong class="detail-number">${esc(tk.number)}</strong>
          <button class="link" data-act="focus">${esc(t('detail.locate'))}</button></div>
        <div class="detail-sub"><span class="detail-category">${esc(categoryName(tk.category, this.ctx.catalog) || tk.category_name || '')}</span> · ${esc(name('kind', tk.kind))} · ${esc(name('status', tk.status))} · ${esc(name('stage', tk.stage))}
          ${tk.location?.outside_area ? `<span class="badge outside-area" title="${esc(t('area.outside_hint'))}">${esc(t('area.outside'))}</span>` : ''}
          ${approximate(tk) ? `<span class="badge approximate" title="${esc(t('precision.hint'))}">${esc(t(`precision.${tk.location.precision}`))}</span>` : ''}</div>
        <div class="detail-sla ${left != null && left < 0 ? 'overdue' : ''}">${esc(sla)}</div>
      </header>
      <nav class="tabs">${TABS.map((x) => `<button data-tab="${x}" class="${x === this.tab ? 'active' : ''}">${esc(t(`detail.tab.${x}`))}</button>`).join('')}</nav>
      <section class="tab-body">${this[`tab_${this.tab}`](tk)}</section>`;
    for (const [id, v] of Object.entries(kept)) {
      const el = this.root.querySelector(`#${id}`);
      if (el?.type === 'checkbox') el.checked = v; else if (el) el.value = v;
    }
    // The reply box starts from the guide's draft, once per ticket; what is typed stays.
    const reply = this.root.querySelector('#reply-text');
    if (reply && this.replyDraft?.id === tk.id && this.replyDraft.text != null && this.replyFilled !== tk.id) {
      if (!reply.value.trim()) reply.value = this.replyDraft.text;
      this.replyFilled = tk.id;
    }
    // Reviewing: the report and the forms side by side in a wider panel.
    const reviewing = this.tab === 'actions' && ['in_review', 'in_approval'].includes(tk.status);
    if (reviewing !== this.root.classList.contains('reviewing')) {
      this.root.classList.toggle('reviewing', reviewing);
      // The map's column changed width: Leaflet measures its container again.
      this.ctx.map?.map?.invalidateSize?.();
    }
    if (focused) this.root.querySelector(`#${focused}`)?.focus();
    this.files.hydrate(this.root);
  }

  tab_overview(tk) {
    const r = tk.reporter;
    const reporter = r ? (r.anonymous ? t('detail.anonymous') : [r.name, r.phone].filter(Boolean).join(' · ')) : '—';
    const v = tk.assignment?.vehicle_id && this.ctx.state.vehicles.get(tk.assignment.vehicle_id);
    const cands = tk.retailer_candidates || [];
    return `<dl class="facts">
      <dt>${esc(t('detail.description'))}</dt><dd>${esc(tk.description)}</dd>
      <dt>${esc(t('detail.reporter'))}</dt><dd>${esc(reporter)}</dd>
      <dt>${esc(t('detail.location'))}</dt><dd>${esc(tk.location?.address_text || '—')}${tk.location?.position ? ` <small>(${tk.location.position.lat.toFixed(4)}, ${tk.location.position.lng.toFixed(4)})</small>` : ''}</dd>
      ${tk.location?.outside_area ? `<dt>${esc(t('area.title'))}</dt><dd class="warn outside-area-hint">${esc(t('area.outside_hint'))}</dd>` : ''}
      ${tk.location?.precision ? `<dt>${esc(t('precision.title'))}</dt><dd class="precision ${approximate(tk) ? 'warn' : ''}">${esc(t(`precision.${tk.location.precision}`))}${tk.location.approximate_place ? ` · ${esc(tk.location.approximate_place)}` : ''}${approximate(tk) ? `<br><small>${esc(t('precision.hint'))}</small>` : ''}</dd>` : ''}
      <dt>${esc(t('detail.retailer'))}</dt><dd>${esc(tk.location?.retailer_licence || '—')}</dd>
      ${tk.location?.reported_licence ? `<dt>${esc(t('detail.reported_licence'))}</dt><dd class="reported-licence">${esc(tk.location.reported_licence)}</dd>` : ''}
      <dt>${esc(t('detail.received'))}</dt><dd>${esc(time(tk.received_at))}</dd>
      <dt>${esc(t('detail.stage_due'))}</dt><dd>${esc(time(tk.sla_clock?.due_at || tk.deadlines?.stage_due_at))}</dd>
      <dt>${esc(t('detail.assignment'))}</dt><dd>${esc([tk.assignment?.vehicle_id, tk.assignment?.team_id, ...(tk.assignment?.staff || [])].filter(Boolean).join(' · ') || '—')}</dd>
      ${v ? `<dt>${esc(t('detail.distance'))}</dt><dd class="live-distance">${esc(distance(v.distance_to_site_m))}</dd>` : ''}
      ${this.duplicate(tk)}
    </dl>
    ${cands.length ? `<h4>${esc(t('detail.candidates'))}</h4><p class="hint">${esc(t('detail.candidates_hint'))}</p>
      <ul class="candidates">${cands.map((c) => `<li><div><strong>${esc(c.name)}</strong><br><small>${esc(c.address)} · ${esc(c.licence)} · ${esc(c.score)}</small></div>
        <button data-act="confirm-retailer" data-licence="${esc(c.licence)}">${esc(t('detail.confirm_retailer'))}</button></li>`).join('')}</ul>` : ''}
    ${this.triage.render(tk)}
    ${this.ctx.place?.render(tk) || ''}`;
  }

  /** The ticket this one probably repeats: its number opens it; a dispatcher may merge. */
  duplicate(tk) {
    const id = tk.possible_duplicate_of;
    if (!id) return '';
    const other = this.ctx.state.tickets.get(id) || this.others.get(id);
    if (!other && !this.others.has(id)) this.loadOther(id);
    const open = (x) => x && !CLOSED.has(x.status);
    const merge = this.ctx.role() === 'dispatcher' && open(tk) && (!other || open(other))
      ? ` <button data-act="merge-into" data-target="${esc(id)}">${esc(t('detail.merge_into'))}</button>` : '';
    return `<dt>${esc(t('detail.duplicate'))}</dt><dd class="warn duplicate">
      <button class="link" data-act="open-ticket" data-ticket="${esc(id)}">${esc(other?.number || id)}</button>${merge}</dd>`;
  }

  /** The review or approval return form: the guide's reason codes, each with a note. */
  returnForm() {
    const error = this.formError ? `<p class="form-error" role="alert">${esc(this.formError)}</p>` : '';
    const reasons = this.ctx.reasons || [];
    if (!reasons.length) return `<textarea id="review-reasons" rows="3" placeholder="${esc(t('actions.reasons_lines'))}"></textarea>${error}`;
    const en = lang() === 'en';
    return `<fieldset class="return-reasons"><legend>${esc(t('actions.reasons'))}</legend>
      ${reasons.map((r) => `<div class="reason-row" data-reason-row="${esc(r.code)}">
        <label title="${esc(r.description || '')}"><input type="checkbox" id="rr-${esc(r.code)}" data-reason="${esc(r.code)}"> ${esc(en ? r.name_en : r.name_zh)}</label>
        <input id="rn-${esc(r.code)}" class="reason-note" maxlength="1000" placeholder="${esc(t(r.code === 'other' ? 'actions.reason_note_required' : 'actions.reason_note'))}"></div>`).join('')}
    </fieldset>${error}`;
  }

  tab_guide(tk) {
    const c = this.ctx.catalog.find((x) => x.code === tk.category);
    if (!c) return `<p class="hint">${esc(t('common.none'))}</p>`;
    const list = (items) => `<ol>${(items || []).map((s) => `<li>${esc(s)}</li>`).join('')}</ol>`;
    return `<h4>${esc(t('guide.steps'))}</h4>${list(c.handling_steps)}
      ${c.notice_wording ? `<h4>${esc(t('guide.notice'))}</h4><blockquote>${esc(c.notice_wording)}</blockquote>` : ''}
      <h4>${esc(t('guide.sections'))}</h4><p>${(c.report_sections || []).map((x) => esc(name('section', x))).join('、') || '—'}</p>
      <h4>${esc(t('guide.evidence'))}</h4><p>${(c.report_evidence || []).map((x) => esc(name('evidence', x))).join('、') || '—'}</p>
      <h4>${esc(t('guide.legal'))}</h4>${list(c.legal_basis)}
      ${this.limits(c, tk.urgency || c.urgency)}`;
  }

  /** The guide's time limits for the category at the ticket's grade, hours per stage. */
  limits(c, grade) {
    const { limits } = stageLimits(c, grade, this.ctx.slaHours);
    const rows = [...LIMIT_STAGES, 'total'].filter((st) => limits[st] != null)
      .map((st) => `<tr data-limit-stage="${st}"><th>${esc(st === 'total' ? t('guide.total') : name('stage', st))}</th><td class="num">${esc(String(limits[st]))}</td></tr>`);
    if (!rows.length) return '';
    return `<h4>${esc(t('guide.limits'))} · ${esc(name('grade', grade))}</h4><table class="guide-limits">${rows.join('')}</table>`;
  }

  tab_timeline() {
    if (!this.events.length) return `<p class="hint">${esc(t('common.loading'))}</p>`;
    return `<ol class="timeline">${[...this.events].reverse().map((e) => `<li class="ev ev-${esc(e.type.replace(/\./g, '-'))}">
      <time>${esc(time(e.at))}</time><strong>${esc(name('event', e.type))}</strong>
      <span class="by">${esc(e.by_subject || name('role', e.by_role))}</span>
      <div class="ev-data">${esc(eventSummary(e, this.ctx))}</div></li>`).join('')}</ol>`;
  }

  tab_dispatch(tk) {
    const offer = this.events.filter((e) => e.type.startsWith('offer.')).at(-1);
    const open = offer?.type === 'offer.sent' ? offer.data?.vehicle_id : null;
    const head = `<div class="actions">
      <button class="primary" data-act="dispatch-auto">${esc(t('dispatch.auto'))}</button>
      ${tk.assignment?.vehicle_id || open ? `<input id="cancel-reason" placeholder="${esc(t('dispatch.cancel_reason'))}"><button data-act="dispatch-cancel">${esc(t('dispatch.cancel'))}</button>` : ''}
    </div>${open ? `<p class="offer-open">${esc(t('dispatch.offer_open', { v: open }))}</p>` : ''}`;
    if (!tk.location?.position) return `${head}<p class="hint">${esc(t('dispatch.no_position'))}</p>`;
    if (this.nearest == null) return `${head}<p class="hint">${esc(t('common.loading'))}</p>`;
    if (!this.nearest.length) return `${head}<p class="hint">${esc(t('dispatch.none'))}</p>`;
    return `${head}<h4>${esc(t('dispatch.nearest'))}</h4><table class="nearest"><tbody>${this.nearest.map((v) => `<tr data-vehicle-row="${esc(v.vehicle_id)}" data-busy="${!!v.busy}" data-declined="${!!v.declined}">
      <td><strong>${esc(v.vehicle_id)}</strong><br><small>${esc(v.team_id)} · ${esc(name('vehicle', v.status))}${v.stale ? ` · <span class="warn">${esc(t('dispatch.stale'))}</span>` : ''} ${unitMarks(v)}</small></td>
      <td class="num">${esc(distance(v.distance_m))}<br><small>${esc(t('dispatch.eta', { m: Math.max(1, Math.round(v.eta_s / 60)) }))}</small></td>
      <td class="row-actions"><button class="primary" data-act="dispatch" data-vehicle="${esc(v.vehicle_id)}">${esc(t('dispatch.send'))}</button>
        <button data-act="assign" data-vehicle="${esc(v.vehicle_id)}">${esc(t('dispatch.assign'))}</button>
        <button data-act="override" data-vehicle="${esc(v.vehicle_id)}">${esc(t('dispatch.override'))}</button></td></tr>`).join('')}</tbody></table>`;
  }

  tab_report(tk) {
    return renderReport(tk, this.eventsFor === tk.id ? this.events : null, this.ctx) + this.files.render(tk);
  }

  tab_actions(tk) {
    const s = tk.status;
    const role = this.ctx.role();
    // Before the console socket says who signed in, every form shows; the engine checks.
    const may = (...roles) => !role || roles.includes(role);
    const parts = [];
    const error = this.formError ? `<p class="form-error" role="alert">${esc(this.formError)}</p>` : '';
    if (s === 'in_approval' && !may('supervisor')) {
      parts.push(`<p class="hint">${esc(t('actions.needs_supervisor'))}</p>`);
    } else if (s === 'in_review' || s === 'in_approval') {
      parts.push(`<h4>${esc(t(s === 'in_review' ? 'actions.review' : 'actions.approval'))}</h4>
        ${this.returnForm()}
        <div class="actions">${s === 'in_review'
          ? `<button class="primary" data-act="review-pass">${esc(t('actions.pass'))}</button><button data-act="review-return">${esc(t('actions.return'))}</button>`
          : `<button class="primary" data-act="approve">${esc(t('actions.approve'))}</button><button data-act="approval-return">${esc(t('actions.return'))}</button>`}</div>`);
    }
    if (s === 'replying') {
      if (this.replyDraft?.id !== tk.id) this.loadReplyDraft(tk.id);
      const loading = this.replyDraft?.text == null;
      parts.push(`<h4>${esc(t('actions.reply'))}</h4><p class="hint">${esc(t(loading ? 'common.loading' : 'actions.reply_from_draft'))}</p>
        <textarea id="reply-text" rows="6" placeholder="${esc(t('actions.reply_text'))}"></textarea><div class="actions"><button class="primary" data-act="reply">${esc(t('actions.reply'))}</button></div>`);
    }
    if (s === 'awaiting_visit') {
      parts.push(`<h4>${esc(t('actions.visit'))}</h4><input id="visit-comment" placeholder="${esc(t('actions.visit_comment'))}"><div class="actions">${['satisfied', 'basically_satisfied', 'unsatisfied'].map((x) => `<button data-act="visit" data-sat="${x}">${esc(t(`visit.${x}`))}</button>`).join('')}</div>
        <div class="actions"><button data-act="archive">${esc(t('actions.archive'))}</button></div>`);
    }
    if (s === 'archived' && may('dispatcher', 'supervisor')) {
      const targets = tk.path === 'direct_answer' ? ['', 'triaged'] : ['', 'reporting', 'triaged'];
      parts.push(`<h4>${esc(t('actions.reopen'))}</h4><div class="reopen-form">
        <textarea id="reopen-reason" rows="2" maxlength="1000" placeholder="${esc(t('actions.reopen_reason'))}"></textarea>
        <label>${esc(t('actions.reopen_to'))} <select id="reopen-to">${targets.map((x) => `<option value="${x}">${esc(t(`reopen.${x || 'default'}`))}</option>`).join('')}</select></label>
        <div class="actions"><button class="primary" data-act="reopen">${esc(t('actions.reopen'))}</button></div>${error}</div>`);
    }
    if (s === 'transferred' || s === 'merged') parts.push(this.closedNote(tk));
    if (!CLOSED.has(s) && may('dispatcher')) {
      const to = [...DEPARTMENTS.filter((d) => d !== tk.department), 'platform', 'other_unit'];
      parts.push(`<h4>${esc(t('actions.transfer'))}</h4><div class="transfer-form">
        <label>${esc(t('transfer.to'))} <select id="transfer-to">${to.map((x) => `<option value="${x}">${esc(t(`transfer.${x}`))}</option>`).join('')}</select></label>
        <input id="transfer-unit" maxlength="200" placeholder="${esc(t('transfer.unit'))}">
        <textarea id="transfer-reason" rows="2" maxlength="1000" placeholder="${esc(t('transfer.reason'))}"></textarea>
        <p class="hint">${esc(t('transfer.hint'))}</p>
        <div class="actions"><button data-act="transfer">${esc(t('actions.transfer'))}</button></div>${s === 'in_review' || s === 'in_approval' ? '' : error}</div>`);
    }
    if (may('supervisor') && !CLOSED.has(s)) parts.push(`<h4>${esc(t('actions.supervise'))}</h4><textarea id="supervise-text" rows="2" placeholder="${esc(t('actions.supervise_text'))}"></textarea><div class="actions"><button data-act="supervise">${esc(t('actions.supervise'))}</button></div>`);
    if (!parts.length) parts.push(`<p class="hint">${esc(t('actions.none'))}</p>`);
    if (s === 'in_review' || s === 'in_approval') {
      return `<div class="review-split"><div class="review-report">${this.tab_report(tk)}</div><div class="review-forms">${parts.join('')}</div></div>`;
    }
    return parts.join('');
  }

  /** Where a transferred or merged ticket went. */
  closedNote(tk) {
    if (tk.status === 'merged') {
      if (tk.merged_into && !this.others.has(tk.merged_into)) this.loadOther(tk.merged_into);
      return `<p class="closed-note">${esc(t('closed.merged'))}
        ${tk.merged_into ? `<button class="link" data-act="open-ticket" data-ticket="${esc(tk.merged_into)}">${esc(this.others.get(tk.merged_into)?.number || t('closed.open_target'))}</button>` : ''}</p>`;
    }
    const x = tk.transfer || {};
    return `<p class="closed-note">${esc(t('closed.transferred', { to: transferTarget(x.to) }))}${x.reason ? `<br><small>${esc(t('tl.reason'))}：${esc(x.reason)}</small>` : ''}</p>`;
  }

  tab_group(tk) {
    return this.group.render(tk);
  }

}


/** A position that stands only for a street or a town the citizen named. */
function approximate(tk) {
  return ['street', 'town'].includes(tk.location?.precision);
}
