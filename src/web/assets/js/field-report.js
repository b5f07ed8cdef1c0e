// The report from the phone: the draft the engine prefills from the category's template, the
// on-site record and the last version (`GET /tickets/{id}/report/draft`), with the required
// sections and evidence kinds ticked off live as the writer types and uploads. A returned
// report shows the review's coded reasons and notes above the form, which starts from the
// returned version. What is typed is kept on the phone until the report is submitted, so a
// reload or a dead battery does not lose it.
import { t, name } from './i18n.js';
import { esc } from './format.js';
import { reasonText } from './console-report.js';

const WRITING = new Set(['reporting']);
const SUBMITTED = new Set(['in_review', 'in_approval', 'replying', 'awaiting_visit', 'archived']);

function keptKey(id) { return `hd.field.report.${id}`; }

export class ReportPane {
  /**
   * @param {HTMLElement} el
   * @param {{api: import('./api.js').Api, evidence: import('./field-evidence.js').Evidence,
   *   catalog: Function, toast: Function}} ctx
   */
  constructor(el, ctx) {
    this.el = el;
    this.ctx = ctx;
    this.draft = null;
    this.tk = null;
  }

  async show(tk) {
    // The draft changes with the status and the report's version; other changes (a file
    // attached, an SLA warning) leave the form as the writer has it.
    const same = this.tk && this.tk.id === tk.id && this.tk.status === tk.status && this.tk.report?.version === tk.report?.version;
    this.tk = tk;
    if (same && this.draft) return;
    if (WRITING.has(tk.status)) {
      try { this.draft = await this.ctx.api.get(`/tickets/${tk.id}/report/draft`); } catch (e) { this.draft = null; this.ctx.toast(e.message, 'error'); }
    }
    this.render();
  }

  /** The reasons the report was sent back for, while it is being rewritten. */
  returnedBox(tk) {
    const r = tk.report?.returned;
    if (!r || !WRITING.has(tk.status)) return '';
    const reasons = this.ctx.catalog()?.return_reasons || [];
    const by = t(r.by === 'approval' ? 'field.returned_by_approval' : 'field.returned_by_review');
    return `<div class="returned-box"><strong>${esc(t('field.returned', { by, v: tk.report.version }))}</strong>
      <ul class="return-reasons">${r.reasons.map((x) => `<li data-code="${esc(x.code)}">${esc(reasonText(x, reasons))}</li>`).join('')}</ul>
      <small class="hint">${esc(t('field.rewrite_from', { v: tk.report.version }))}</small></div>`;
  }

  render() {
    const tk = this.tk;
    if (SUBMITTED.has(tk.status) && tk.report) {
      const sections = Object.entries(tk.report.sections || {}).map(([k, v]) => `<h4>${esc(name('section', k))}</h4><p class="notice">${esc(v)}</p>`).join('');
      this.el.innerHTML = `<div class="sent-box report-sent">${esc(t('field.report_sent', { v: tk.report.version, status: name('status', tk.status) }))}</div>${sections}`;
      return;
    }
    if (!WRITING.has(tk.status) || !this.draft) {
      this.el.innerHTML = `<p class="hint">${esc(t('field.report_later'))}</p>`;
      return;
    }
    const d = this.draft;
    const kept = this.kept();
    const names = [...new Set([...d.required, ...Object.keys(d.sections)])];
    const fields = names.map((s) => {
      const value = kept[s] ?? d.sections[s] ?? '';
      const req = d.required.includes(s) ? ' *' : '';
      return `<label>${esc(name('section', s))}${req}<textarea name="${esc(s)}" data-section="${esc(s)}">${esc(value)}</textarea></label>`;
    }).join('');
    const steps = (d.handling_steps || []).length
      ? `<details><summary>${esc(t('field.guide_steps'))}</summary><ol>${d.handling_steps.map((s) => `<li>${esc(s)}</li>`).join('')}</ol></details>` : '';
    this.el.innerHTML = `${this.returnedBox(tk)}
      <h4>${esc(t('field.checklist'))}</h4><ul class="checklist report-checklist"></ul>
      ${steps}
      <form class="field-form report-form">${fields}
        <h4>${esc(t('field.evidence'))}</h4><div class="evidence-area"></div>
        <div class="form-error signin-error"></div>
        <button class="primary" type="submit">${esc(t('field.submit_report'))}</button>
      </form>`;
    const form = this.el.querySelector('.report-form');
    form.oninput = () => { this.keep(form); this.tick(form); };
    form.onsubmit = (ev) => { ev.preventDefault(); this.submit(form); };
    this.renderEvidence();
  }

  /** Redraws the uploader and the checklist (called when files change). */
  renderEvidence() {
    const area = this.el.querySelector('.evidence-area');
    const form = this.el.querySelector('.report-form');
    if (!area || !form || !this.draft) return;
    area.innerHTML = this.ctx.evidence.html(this.draft.required_evidence, this.ctx.catalog()?.evidence_kinds || []);
    this.ctx.evidence.wire(area, this.ctx.toast);
    this.tick(form);
  }

  /** Ticks off what the template asks for: each required section and evidence kind. */
  tick(form) {
    const d = this.draft;
    const have = new Set([...(d.evidence || []).map((e) => e.kind), ...this.ctx.evidence.kinds()]);
    const items = [
      ...d.required.map((s) => ({ key: `section:${s}`, label: name('section', s), done: !!form.elements[s]?.value.trim() })),
      ...d.required_evidence.map((k) => ({ key: `evidence:${k}`, label: name('evidence', k), done: have.has(k) })),
    ];
    const list = this.el.querySelector('.report-checklist');
    list.innerHTML = items.map((i) => `<li class="${i.done ? 'done' : ''}" data-need="${esc(i.key)}">${esc(i.label)}</li>`).join('');
    const missing = items.filter((i) => !i.done).length;
    form.querySelector('button[type=submit]').textContent = missing ? t('field.submit_report_missing', { n: missing }) : t('field.submit_report');
  }

  kept() {
    try { return JSON.parse(localStorage.getItem(keptKey(this.tk.id)) || '{}'); } catch { return {}; }
  }

  keep(form) {
    const sections = {};
    for (const el of form.querySelectorAll('textarea[data-section]')) sections[el.name] = el.value;
    try { localStorage.setItem(keptKey(this.tk.id), JSON.stringify(sections)); } catch { /* full: not kept */ }
  }

  async submit(form) {
    const sections = {};
    for (const el of form.querySelectorAll('textarea[data-section]')) if (el.value.trim()) sections[el.name] = el.value.trim();
    const error = form.querySelector('.form-error');
    error.textContent = '';
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      await this.ctx.api.post(`/tickets/${this.tk.id}/report`, { sections, evidence: this.ctx.evidence.items() });
      localStorage.removeItem(keptKey(this.tk.id));
      this.ctx.toast(t('field.report_submitted'));
    } catch (e) {
      error.textContent = e.message;
    } finally {
      button.disabled = false;
    }
  }
}

/** Forgets the reports kept on this phone (sign-out). */
export function forgetKeptReports() {
  for (const k of Object.keys(localStorage)) if (k.startsWith('hd.field.report.')) localStorage.removeItem(k);
}
