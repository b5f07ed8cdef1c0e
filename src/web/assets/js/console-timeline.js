// A timeline event in one line: codes turned into names in the page's language, free text
// labelled (a return visit's comment, a reopen's reason, a reply, a notice), and the
// engine's own reasons (alerts, offers it cancelled) localised.
import { t, name, lang, categoryName } from './i18n.js';
import { time, engineText } from './format.js';
import { reasonText } from './console-report.js';

/** One line about an event's data: codes turned into names, free text labelled. */
export function eventSummary(e, ctx) {
  const d = e.data || {};
  const colon = lang() === 'en' ? ': ' : '：';
  const label = (key, v) => `${t(key)}${colon}${v}`;
  const parts = [];
  if (d.category) parts.push(categoryName(d.category, ctx.catalog));
  if (d.urgency) parts.push(name('grade', d.urgency));
  if (d.decision) parts.push(name('decision', d.decision));
  if (d.satisfaction) parts.push(t(`visit.${d.satisfaction}`));
  switch (e.type) {
    case 'ticket.return_visited':
      if (d.comment) parts.push(label('tl.comment', d.comment));
      if (d.reopened) parts.push(t('tl.reopened_by_visit'));
      break;
    case 'ticket.reopened': parts.push(label('tl.reopen_reason', d.reason)); break;
    case 'alert': parts.push(engineText(d.reason)); break;
    case 'ticket.replied': parts.push(label('tl.reply', d.text)); break;
    case 'ticket.supervised': parts.push(label('tl.notice', d.notice)); break;
    case 'ticket.onsite_recorded': parts.push(label('tl.findings', d.findings)); if (d.actions) parts.push(label('tl.actions', d.actions)); break;
    case 'ticket.report_submitted': parts.push(t('report.version', { v: d.version })); break;
    case 'evidence.attached': parts.push(`${name('evidence', d.kind)} ${String(d.sha256 || '').slice(0, 12)}`); break;
    case 'ticket.transferred': parts.push(label('tl.transfer_to', transferTarget(d.to)), label('tl.reason', d.reason)); break;
    case 'ticket.merged': parts.push(label('tl.merged_into', d.into_number)); break;
    case 'ticket.duplicate_merged': parts.push(label('tl.duplicate', d.duplicate_number)); break;
    case 'ticket.duplicate_released': parts.push(label('tl.duplicate', d.duplicate_number), label('tl.reason', engineText(d.reason))); break;
    case 'ticket.archived': if (d.note) parts.push(label('tl.note', d.note)); break;
    default:
      if (d.vehicle_id != null) parts.push(String(d.vehicle_id));
      for (const [k, key] of [['reason', 'tl.reason'], ['text', 'tl.text'], ['note', 'tl.note']]) {
        if (d[k] != null && typeof d[k] !== 'object') parts.push(label(key, engineText(d[k])));
      }
  }
  if (e.type.startsWith('sla.')) parts.push(t(`sla.scope_${d.scope || 'stage'}`), name('stage', d.stage), time(d.due_at));
  if (Array.isArray(d.reasons) && d.reasons.length) parts.push(d.reasons.map((r) => reasonText(r, ctx.reasons || [])).join(lang() === 'en' ? '; ' : '；'));
  return parts.filter(Boolean).join(' · ');
}

/** Where a transfer sent a ticket, in words. */
export function transferTarget(to) {
  if (!to) return '—';
  if (to.kind === 'department') return name('department', to.department);
  if (to.kind === 'other_unit') return to.unit || t('transfer.other_unit');
  return t(`transfer.${to.kind}`);
}
