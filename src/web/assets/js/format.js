// Small formatting helpers shared by the pages: durations, distances, times, HTML escaping.
import { t, lang } from './i18n.js';

/** Escapes text for HTML. Every value from the engine goes through this. */
export function esc(v) {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

/** `1:05:09` style, or `2天3小时` for long spans. */
export function duration(seconds) {
  const s = Math.max(0, Math.round(Math.abs(seconds)));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return lang() === 'en' ? `${d}d ${h}h` : `${d}天${h}小时`;
  const pad = (n) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${pad(m)}:${pad(sec)}`;
}

/** Minutes or hours, for limits and elapsed times on the board. */
export function shortDuration(seconds) {
  const m = Math.round(seconds / 60);
  if (m < 120) return `${m}${lang() === 'en' ? ' min' : '分钟'}`;
  const h = seconds / 3600;
  return `${h.toFixed(h < 10 ? 1 : 0)}${lang() === 'en' ? ' h' : '小时'}`;
}

export function distance(m) {
  if (m == null || !isFinite(m)) return '—';
  return m >= 1000 ? `${(m / 1000).toFixed(m >= 10000 ? 0 : 1)} ${t('unit.km')}` : `${Math.round(m)} ${t('unit.m')}`;
}

export function time(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(lang() === 'en' ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function clock(d = new Date()) {
  return d.toLocaleString(lang() === 'en' ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function percent(x) {
  return x == null ? '—' : `${(x * 100).toFixed(1)}%`;
}

/** Builds an element from an HTML string (escaped by the caller). */
export function html(strings, ...values) {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? values[i] : ''), '');
}

export const GRADE_ORDER = { I: 0, II: 1, III: 2, IV: 3 };
export const CLOSED = new Set(['archived', 'transferred', 'merged']);

/** The stages a time limit is kept for, in handling order. */
export const LIMIT_STAGES = ['intake', 'on_site', 'report', 'review', 'approval', 'reply', 'return_visit'];

/**
 * A category's time limits (hours per stage and `total`) at a grade, from the guide
 * (`GET /catalog`): its own limits first, else the guide's for that grade. `own` says
 * which; a stage the category skips (no site visit off the `full` path) is null.
 */
export function stageLimits(category, grade, slaHours = {}) {
  const own = category.sla && category.sla[grade];
  const limits = { ...(own || slaHours[grade] || {}) };
  if (category.path && category.path !== 'full') limits.on_site = null;
  return { limits, own: Boolean(own) };
}

// The engine writes a few reasons itself (alerts, offers it cancels or lets expire, a merge
// that failed), in English: each is shown in the page's language from the pattern it follows,
// with the parts it names (a place, a vehicle, a distance) kept. Text people wrote is shown
// as they wrote it.
const ENGINE_TEXTS = [
  [/^grade I lead: fast track, offered to the nearest vehicle$/, 'et.fast_track'],
  [/^grade I: handle at once \(no site visit for this category\)$/, 'et.grade_i_no_site'],
  [/^grade I lead outside the service area/, 'et.grade_i_outside'],
  [/^grade I lead placed only approximately \((.+)\): not offered/, 'et.grade_i_approximate', ['place']],
  [/^no vehicle sent: the position stands only for (.+); confirm the shop/, 'et.no_vehicle_approximate', ['place']],
  [/^no vehicle sent: no eligible vehicle is available within ([\d.]+) km$/, 'et.no_vehicle_within', ['km']],
  [/^no vehicle sent: no eligible vehicle is available$/, 'et.no_vehicle'],
  [/^no vehicle sent: the ticket has no position yet/, 'et.no_vehicle_no_site'],
  [/^no vehicle sent: the ticket's position lies outside the service area/, 'et.no_vehicle_outside'],
  [/^vehicle (\S+) was taken out of service \((.*)\) and called off/, 'et.vehicle_withdrawn', ['v', 'why']],
  [/^handler (\S+) was taken out of service: assign another$/, 'et.handler_out', ['who']],
  [/^collaboration group lead (\S+) was taken out of service and nobody/, 'et.lead_out', ['who']],
  [/^(\S+) left the collaboration group \(out of service\) with task (\S+) unfinished and nobody holding it: “(.*)”/, 'et.task_orphaned', ['who', 'task', 'text']],
  [/^(\S+) was taken out of service$/, 'et.member_out', ['who']],
  [/^out of service$/, 'et.out_of_service'],
  [/^expired: no answer in time$/, 'et.offer_expired'],
  [/^lagging: reconnect to get the open offer again$/, 'et.offer_lagging'],
  [/^replaced by a newer connection$/, 'et.offer_replaced'],
  [/^the merge did not go through: (.*)$/, 'et.merge_failed', ['why']],
];

/** A reason as shown: the engine's own wording localised, anything else as written. */
export function engineText(text) {
  if (typeof text !== 'string') return text == null ? '' : String(text);
  for (const [re, key, names = []] of ENGINE_TEXTS) {
    const m = re.exec(text);
    if (m) return t(key, Object.fromEntries(names.map((n, i) => [n, m[i + 1]])));
  }
  return text;
}
