// The triage panel of the overview: what the classifier proposed at intake — the category
// with its calibrated confidence (a probability: of proposals shown at about p, about p are
// right), flagged for a second look below the guide's `low_confidence`; whether it was read
// as a question; the phrase that raised it to grade I; the alternatives with their shares;
// and why (the guide terms and the example words that decided it). While the ticket waits
// for triage a dispatcher picks any category of the guide (an alternative, or any other
// from the list, `other` included), any grade, and the shop among the candidates, then
// confirms. Picking a shop only picks it: nothing is confirmed until "确认分诊". Only what
// differs from the ticket is sent, so confirming as proposed is not recorded as an override.
import { t, name, categoryName } from './i18n.js';
import { esc } from './format.js';

const GRADES = ['I', 'II', 'III', 'IV'];

/**
 * A share as a whole percentage; a share too small to round up still reads as one, and a
 * probability short of certainty never reads 100%.
 */
export const pct = (p) => {
  const n = Number(p) || 0;
  if (n > 0 && n < 0.005) return '<1%';
  if (n >= 0.995 && n < 1) return '>99%';
  return `${Math.round(n * 100)}%`;
};

export class TriagePanel {
  constructor(ctx) {
    this.ctx = ctx; // { catalog, role }
    this.id = null;
    this.category = null;
    this.urgency = null;
    this.retailer = null;
    this.retailerName = null;
    this.location = null;
  }

  /** The picks start from the ticket whenever another ticket (or a fresh state) is shown. */
  sync(tk) {
    if (tk.id === this.id) return;
    this.id = tk.id;
    this.category = tk.category || null;
    this.urgency = tk.urgency || null;
    this.retailer = null;
    this.retailerName = null;
    this.location = null;
  }

  /** Forget the picks: the next render starts from the ticket again (after a triage). */
  reset() { this.id = null; }

  /** Whether the shown ticket waits for a triage this console may send. */
  open(tk) { return tk.status === 'received' && this.ctx.role() === 'dispatcher'; }

  pickCategory(code) { if (code) this.category = code; }

  pickGrade(grade) { if (GRADES.includes(grade)) this.urgency = grade; }

  /** A shop among the candidates, sent with the triage when it is confirmed. */
  pickRetailer(licence, name) {
    this.retailer = licence || null;
    this.retailerName = name || null;
    if (this.retailer) this.location = null;
  }

  /** A point picked on the map, sent with the triage (instead of a shop). */
  pickLocation(pos) {
    this.location = pos ? { lat: pos.lat, lng: pos.lng } : null;
    if (this.location) { this.retailer = null; this.retailerName = null; }
  }

  /** A `change` in the panel (the category list); true when it changed a pick. */
  change(ev) {
    const el = ev.target.closest?.('[data-triage-pick="category"]');
    if (!el) return false;
    this.pickCategory(el.value);
    return true;
  }

  /** The triage request: only what differs from the ticket, and the picked shop. */
  body(tk) {
    const b = {};
    if (this.category && this.category !== tk.category) b.category = this.category;
    if (this.urgency && this.urgency !== tk.urgency) b.urgency = this.urgency;
    if (this.retailer && this.retailer !== tk.location?.retailer_licence) b.retailer_licence = this.retailer;
    if (this.location) b.location = this.location;
    return b;
  }

  categoryName(code) { return categoryName(code, this.ctx.catalog); }

  /** Every category of the guide (its own `other` included) for the picker. */
  choices() {
    const codes = (this.ctx.catalog || []).map((c) => c.code);
    if (!codes.includes('other')) codes.push('other');
    return codes;
  }

  why(sug) {
    const why = sug.why || [];
    if (!why.length) return `<p class="triage-why hint" data-why="none">${esc(t('triage.why_none'))}</p>`;
    return `<div class="triage-why" data-why><span class="hint">${esc(t('triage.why'))}</span>
      <ul>${why.map((r) => `<li class="why-${esc(r.source)}" data-why-term="${esc(r.term)}"><q>${esc(r.term)}</q><small>${esc(t(`triage.why_${r.source === 'examples' ? 'examples' : 'guide'}`))}</small></li>`).join('')}</ul></div>`;
  }

  render(tk) {
    this.sync(tk);
    const sug = tk.triage?.suggestion;
    const open = this.open(tk);
    if (!sug && !open) return '';
    const parts = [`<section class="triage-panel" data-triage="${esc(tk.id)}"><h4>${esc(t('detail.suggestion'))}</h4>`];
    if (sug) {
      const phrase = sug.escalated_by
        ? `<p class="escalation warn" data-escalation>${esc(t('triage.escalated', { p: sug.escalated_by }))}</p>` : '';
      const low = sug.low_confidence
        ? `<p class="low-confidence warn" data-low-confidence>${esc(t('triage.low_confidence', { p: pct(sug.confidence) }))}</p>` : '';
      const question = sug.question ? `<p class="triage-question hint" data-question>${esc(t('triage.question'))}</p>` : '';
      parts.push(`<p class="triage-proposal"><strong>${esc(this.categoryName(sug.category))}</strong>
        <span class="share confidence${sug.low_confidence ? ' low' : ''}" data-confidence="${esc(sug.confidence)}" title="${esc(t('triage.confidence_hint'))}">${esc(t('triage.confidence', { p: pct(sug.confidence) }))}</span> · ${esc(name('grade', sug.urgency))}</p>${low}${question}${phrase}`);
      const alts = (sug.alternatives || []).map((a) => (Array.isArray(a) ? { code: a[0], share: a[1] } : a));
      if (alts.length) {
        parts.push(`<p class="hint">${esc(t(open ? 'triage.alternatives_pick' : 'triage.alternatives'))}</p><ol class="alternatives">${alts.map(({ code, share }) => {
          const picked = open && code === this.category;
          const label = `<span class="alt-name">${esc(this.categoryName(code))}</span><span class="share">${esc(pct(share))}</span>`;
          const bar = `<span class="share-bar"><i style="width:${Math.max(0, Math.min(100, (Number(share) || 0) * 100)).toFixed(1)}%"></i></span>`;
          return `<li class="alt${picked ? ' picked' : ''}" data-alternative="${esc(code)}">${open
            ? `<button type="button" data-act="pick-category" data-category="${esc(code)}" aria-pressed="${picked}">${label}${bar}</button>`
            : `<div>${label}${bar}</div>`}</li>`;
        }).join('')}</ol>`);
      }
      parts.push(this.why(sug));
    }
    if (open) {
      const changed = this.category !== tk.category || this.urgency !== tk.urgency;
      const shop = this.retailer ? (tk.retailer_candidates || []).find((c) => c.licence === this.retailer) : null;
      const shopName = shop?.name || this.retailerName || this.retailer;
      parts.push(`<label class="triage-any">${esc(t('triage.any_category'))}
          <select data-triage-pick="category">${this.choices().map((code) => `<option value="${esc(code)}"${code === this.category ? ' selected' : ''}>${esc(this.categoryName(code))}</option>`).join('')}</select></label>
        <div class="grades" role="group" aria-label="${esc(t('triage.grade'))}">${esc(t('triage.grade'))}
        ${GRADES.map((g) => `<button type="button" class="grade-pick grade-${g}${g === this.urgency ? ' picked' : ''}" data-act="pick-grade" data-grade="${g}" aria-pressed="${g === this.urgency}">${esc(name('grade', g))}</button>`).join('')}</div>
        ${this.retailer ? `<p class="triage-shop" data-picked-retailer="${esc(this.retailer)}">${esc(t('triage.shop_picked', { s: shopName }))}</p>` : ''}
        ${this.location ? `<p class="triage-shop" data-picked-location="${this.location.lat},${this.location.lng}">${esc(t('triage.place_picked', { lat: this.location.lat.toFixed(5), lng: this.location.lng.toFixed(5) }))}</p>` : ''}
        <p class="triage-choice${changed ? ' warn' : ''}">${esc(t(changed ? 'triage.override' : 'triage.as_is', { c: this.categoryName(this.category), g: name('grade', this.urgency) }))}</p>
        <div class="actions"><button class="primary" data-act="triage">${esc(t('detail.triage'))}</button></div>`);
    }
    parts.push('</section>');
    return parts.join('');
  }
}
