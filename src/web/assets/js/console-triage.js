// The triage panel of the overview: what the classifier proposed at intake (the category
// with its confidence, the grade, the phrase that raised it to grade I) and its top
// alternatives with their shares. While the ticket waits for triage a dispatcher picks the
// category (a click on an alternative) and the grade, then confirms. Only what differs
// from the ticket is sent, so confirming as proposed is not recorded as an override and a
// pick that differs is (the engine keeps the proposal beside it).
import { t, name, lang } from './i18n.js';
import { esc } from './format.js';

const GRADES = ['I', 'II', 'III', 'IV'];

/** A share as a whole percentage; a share too small to round up still reads as one. */
const pct = (p) => { const n = Number(p) || 0; return n > 0 && n < 0.005 ? '<1%' : `${Math.round(n * 100)}%`; };

export class TriagePanel {
  constructor(ctx) {
    this.ctx = ctx; // { catalog, role }
    this.id = null;
    this.category = null;
    this.urgency = null;
  }

  /** The picks start from the ticket whenever another ticket (or a fresh state) is shown. */
  sync(tk) {
    if (tk.id === this.id) return;
    this.id = tk.id;
    this.category = tk.category || null;
    this.urgency = tk.urgency || null;
  }

  /** Forget the picks: the next render starts from the ticket again (after a triage). */
  reset() { this.id = null; }

  /** Whether the shown ticket waits for a triage this console may send. */
  open(tk) { return tk.status === 'received' && this.ctx.role() === 'dispatcher'; }

  pickCategory(code) { this.category = code; }

  pickGrade(grade) { this.urgency = grade; }

  /** The triage request: only what differs from the ticket. */
  body(tk) {
    const b = {};
    if (this.category && this.category !== tk.category) b.category = this.category;
    if (this.urgency && this.urgency !== tk.urgency) b.urgency = this.urgency;
    return b;
  }

  categoryName(code) {
    const c = (this.ctx.catalog || []).find((x) => x.code === code);
    return c ? (lang() === 'en' ? c.name_en : c.name_zh) : code || '';
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
      parts.push(`<p class="triage-proposal"><strong>${esc(this.categoryName(sug.category))}</strong>
        <span class="share">${esc(pct(sug.confidence))}</span> · ${esc(name('grade', sug.urgency))}</p>${phrase}`);
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
    }
    if (open) {
      const changed = this.category !== tk.category || this.urgency !== tk.urgency;
      parts.push(`<div class="grades" role="group" aria-label="${esc(t('triage.grade'))}">${esc(t('triage.grade'))}
        ${GRADES.map((g) => `<button type="button" class="grade-pick grade-${g}${g === this.urgency ? ' picked' : ''}" data-act="pick-grade" data-grade="${g}" aria-pressed="${g === this.urgency}">${esc(name('grade', g))}</button>`).join('')}</div>
        <p class="triage-choice${changed ? ' warn' : ''}">${esc(t(changed ? 'triage.override' : 'triage.as_is', { c: this.categoryName(this.category), g: name('grade', this.urgency) }))}</p>
        <div class="actions"><button class="primary" data-act="triage">${esc(t('detail.triage'))}</button></div>`);
    }
    parts.push('</section>');
    return parts.join('');
  }
}
