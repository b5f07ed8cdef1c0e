// The report as its reviewer and approver read it: the version under review (its sections in
// the guide's order, its evidence, and what the template asks for that it lacks), the on-site
// record the crew filed, and every earlier version with the reasons it was returned for. The
// ticket holds the current report and on-site record; earlier versions and their returns come
// from the timeline (`ticket.report_submitted`, `ticket.reviewed`, `ticket.approval_decided`,
// `ticket.reopened`), which only dispatchers and supervisors may read.
import { t, name, lang } from './i18n.js';
import { esc, time } from './format.js';

/** A return reason as shown: the guide's name for its code, and the note. */
export function reasonText(r, reasons = []) {
  if (typeof r === 'string') return r;
  const def = reasons.find((x) => x.code === r?.code);
  const label = def ? (lang() === 'en' ? def.name_en : def.name_zh) : String(r?.code ?? '');
  return r?.note ? `${label}${lang() === 'en' ? ': ' : '：'}${r.note}` : label;
}

/**
 * The report versions in the timeline, oldest first: `{ version, at, by, sections, evidence,
 * outcomes }`, where `outcomes` are the review and approval decisions (and a reopen) that
 * followed the version, up to the next one.
 */
export function reportVersions(events) {
  const versions = [];
  for (const e of events || []) {
    const d = e.data || {};
    if (e.type === 'ticket.report_submitted') {
      versions.push({ version: d.version, at: e.at, by: e.by_subject, sections: d.sections || {}, evidence: d.evidence || [], outcomes: [] });
    } else if (versions.length && ['ticket.reviewed', 'ticket.approval_decided', 'ticket.reopened'].includes(e.type)) {
      versions.at(-1).outcomes.push({ type: e.type, at: e.at, by: e.by_subject || name('role', e.by_role), decision: d.decision, reasons: d.reasons || [], reason: d.reason });
    }
  }
  return versions;
}

/** The report panel of `tk` (with its timeline `events`, or null while they load). */
export function renderReport(tk, events, { catalog = [], reasons = [] } = {}) {
  const category = catalog.find((c) => c.code === tk.category);
  const versions = events ? reportVersions(events) : [];
  const report = tk.report;
  const parts = [];
  if (report) {
    const previous = versions.find((v) => v.version === report.version - 1);
    parts.push(`<section class="report-current" data-report-version="${esc(report.version)}">
      <h4>${esc(t('report.title', { v: report.version }))} <small>${esc(t('report.submitted', { t: time(report.submitted_at) }))}</small></h4>
      ${sectionsList(report.sections, category, previous?.sections)}
      <h5>${esc(t('report.evidence'))}</h5>${evidenceList(report.evidence)}
      ${gaps(report, tk.onsite, category)}
    </section>`);
  } else {
    parts.push(`<p class="hint report-none">${esc(t('report.none'))}</p>`);
  }
  parts.push(onsite(tk.onsite, events));
  const earlier = versions.filter((v) => !report || v.version !== report.version).reverse();
  if (events == null && report?.version > 1) parts.push(`<p class="hint">${esc(t('common.loading'))}</p>`);
  if (earlier.length) {
    parts.push(`<h4>${esc(t('report.history'))}</h4><div class="report-history">${earlier.map((v) => `
      <details class="report-version" data-version="${esc(v.version)}">
        <summary><strong>${esc(t('report.version', { v: v.version }))}</strong> · ${esc(time(v.at))}${v.by ? ` · ${esc(v.by)}` : ''}
          ${v.outcomes.map((o) => `<div class="report-outcome">${esc(outcome(o))}${o.reasons.length ? `：<span class="return-reasons-text">${esc(o.reasons.map((r) => reasonText(r, reasons)).join(lang() === 'en' ? '; ' : '；'))}</span>` : ''}${o.reason ? `：${esc(o.reason)}` : ''}</div>`).join('')}
        </summary>
        ${sectionsList(v.sections, category)}
        <h5>${esc(t('report.evidence'))}</h5>${evidenceList(v.evidence)}
      </details>`).join('')}</div>`);
  }
  return `<div class="report-view">${parts.join('')}</div>`;
}

/** A review, approval or reopen as one line: who decided what, when. */
function outcome(o) {
  const what = o.type === 'ticket.reopened' ? t('report.reopened')
    : o.type === 'ticket.reviewed' ? `${t('actions.review')} · ${name('decision', o.decision)}`
      : `${t('actions.approval')} · ${name('decision', o.decision)}`;
  return `${time(o.at)} ${o.by || ''} ${what}`.trim();
}

/** The sections in the template's order, then any others; empty ones and changes marked. */
function sectionsList(sections = {}, category, previous) {
  const order = [...(category?.report_sections || [])];
  for (const k of Object.keys(sections)) if (!order.includes(k)) order.push(k);
  if (!order.length) return `<p class="hint">${esc(t('common.none'))}</p>`;
  return `<dl class="report-sections">${order.map((k) => {
    const text = sections[k] || '';
    const changed = previous && (previous[k] || '') !== text;
    return `<dt data-section="${esc(k)}">${esc(name('section', k))}${changed ? ` <span class="badge changed">${esc(t('report.changed'))}</span>` : ''}</dt>
      <dd class="${text.trim() ? '' : 'empty'}">${text.trim() ? esc(text) : esc(t('report.empty_section'))}</dd>`;
  }).join('')}</dl>`;
}

function evidenceList(items = []) {
  if (!items.length) return `<p class="hint">${esc(t('common.none'))}</p>`;
  return `<ul class="evidence">${items.map((e) => {
    if (e.sha256) {
      return `<li data-evidence="${esc(e.kind)}" data-evidence-sha="${esc(e.sha256)}"><strong>${esc(name('evidence', e.kind))}</strong> <code class="evidence-hash" title="sha256:${esc(e.sha256)}">${esc(e.sha256.slice(0, 12))}</code>${e.note ? ` <small>${esc(e.note)}</small>` : ''}</li>`;
    }
    const ref = /^https?:\/\//i.test(e.reference || '')
      ? `<a href="${esc(e.reference)}" target="_blank" rel="noopener noreferrer">${esc(e.reference)}</a>`
      : `<code>${esc(e.reference)}</code>`;
    return `<li data-evidence="${esc(e.kind)}"><strong>${esc(name('evidence', e.kind))}</strong> ${ref}${e.note ? ` <small>${esc(e.note)}</small>` : ''}</li>`;
  }).join('')}</ul>`;
}

/** What the template asks for that neither the report nor the on-site record holds. */
function gaps(report, site, category) {
  if (!category) return '';
  const kinds = new Set([...(report.evidence || []), ...(site?.evidence || [])].map((e) => e.kind));
  const sections = (category.report_sections || []).filter((k) => !(report.sections?.[k] || '').trim());
  const evidence = (category.report_evidence || []).filter((k) => !kinds.has(k));
  if (!sections.length && !evidence.length) return `<p class="report-complete">${esc(t('report.complete'))}</p>`;
  const list = [...sections.map((k) => name('section', k)), ...evidence.map((k) => name('evidence', k))];
  return `<p class="warn report-gaps">${esc(t('report.gaps', { list: list.join(lang() === 'en' ? ', ' : '、') }))}</p>`;
}

/** The crew's on-site record (the latest; earlier ones of a reopened ticket listed). */
function onsite(site, events) {
  if (!site) return `<h4>${esc(t('report.onsite'))}</h4><p class="hint">${esc(t('report.no_onsite'))}</p>`;
  const earlier = (events || []).filter((e) => e.type === 'ticket.onsite_recorded').slice(0, -1);
  return `<section class="onsite-record"><h4>${esc(t('report.onsite'))} <small>${esc(t('report.recorded', { t: time(site.recorded_at) }))}</small></h4>
    <dl class="report-sections"><dt>${esc(t('report.findings'))}</dt><dd>${esc(site.findings || '—')}</dd>
      <dt>${esc(t('report.actions'))}</dt><dd>${esc(site.actions || '—')}</dd></dl>
    <h5>${esc(t('report.evidence'))}</h5>${evidenceList(site.evidence)}
    ${earlier.map((e) => `<details class="onsite-earlier"><summary>${esc(t('report.onsite_earlier', { t: time(e.at) }))}</summary>
      <dl class="report-sections"><dt>${esc(t('report.findings'))}</dt><dd>${esc(e.data?.findings || '—')}</dd>
        <dt>${esc(t('report.actions'))}</dt><dd>${esc(e.data?.actions || '—')}</dd></dl>${evidenceList(e.data?.evidence)}</details>`).join('')}
  </section>`;
}
