// Small SVG charts drawn by hand (no library): a Pareto chart (bars plus a cumulative
// line), horizontal bars, paired bars and a time series. Each returns an SVG string sized to
// its box; labels are escaped.
import { esc } from './format.js';

const W = 640;
const PALETTE = ['#3d8bfd', '#f46036', '#2bb673', '#e2b714', '#8e44ad', '#00a8a8'];

function nice(max) {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((x) => x >= max) || max;
}

/** A short number: integers as they are, small values with two significant digits. */
export function num(v) {
  if (v == null || !isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a === 0 || Number.isInteger(v)) return String(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return String(+v.toPrecision(2));
}

/** Tick count: whole steps for small counts, else four. */
function ticksFor(max, counts) {
  if (!counts || !Number.isInteger(max)) return 4;
  if (max <= 8) return Math.max(1, max);
  return max % 5 === 0 ? 5 : 4;
}

function frame(h, inner, cls) {
  return `<svg class="chart ${cls}" viewBox="0 0 ${W} ${h}" width="100%" role="img" xmlns="http://www.w3.org/2000/svg">${inner}</svg>`;
}

function yAxis(x0, y0, y1, max, ticks, fmt, right = false) {
  let s = '';
  for (let i = 0; i <= ticks; i++) {
    const v = (max * i) / ticks;
    const y = y0 - ((y0 - y1) * i) / ticks;
    s += right
      ? `<text x="${x0 + 6}" y="${y + 4}" class="ax">${esc(fmt(v))}</text>`
      : `<line x1="${x0}" x2="${W - 50}" y1="${y}" y2="${y}" class="grid"/><text x="${x0 - 6}" y="${y + 4}" class="ax" text-anchor="end">${esc(fmt(v))}</text>`;
  }
  return s;
}

/** Bars (`value`) with a cumulative share line (`cumulative`, 0..1) on a right axis. */
export function pareto(items, { unit = '' } = {}) {
  const h = 320, x0 = 56, y0 = 270, y1 = 20, x1 = W - 50;
  const max = nice(Math.max(...items.map((d) => d.value), 0));
  const bw = (x1 - x0) / Math.max(items.length, 1);
  let s = yAxis(x0, y0, y1, max, 4, (v) => `${num(v)}${unit}`);
  s += yAxis(x1, y0, y1, 1, 4, (v) => `${Math.round(v * 100)}%`, true);
  const pts = [];
  items.forEach((d, i) => {
    const bh = ((y0 - y1) * d.value) / max;
    const x = x0 + i * bw;
    s += `<rect class="bar" data-label="${esc(d.label)}" x="${x + bw * 0.15}" y="${y0 - bh}" width="${bw * 0.7}" height="${bh}" fill="${PALETTE[0]}"><title>${esc(d.label)}: ${esc(d.value)}</title></rect>`;
    s += `<text x="${x + bw / 2}" y="${y0 + 18}" class="lbl" text-anchor="middle">${esc(d.label)}</text>`;
    pts.push([x + bw / 2, y0 - (y0 - y1) * d.cumulative]);
  });
  if (pts.length) {
    s += `<polyline class="cum" points="${pts.map((p) => p.join(',')).join(' ')}" fill="none" stroke="${PALETTE[1]}" stroke-width="2.5"/>`;
    s += pts.map((p) => `<circle cx="${p[0]}" cy="${p[1]}" r="4" fill="${PALETTE[1]}"/>`).join('');
    s += `<line x1="${x0}" x2="${x1}" y1="${y0 - (y0 - y1) * 0.8}" y2="${y0 - (y0 - y1) * 0.8}" class="eighty"/>`;
  }
  return frame(h, s, 'pareto');
}

/** Horizontal bars, one row per item, value labels at the bar end (`fmt(value, item)`). */
export function hbars(items, { unit = '', colour = PALETTE[0], fmt = (v) => `${num(v)}${unit}`, right = 70 } = {}) {
  const row = 26, x0 = 170, x1 = W - right;
  const h = Math.max(60, items.length * row + 20);
  const max = nice(Math.max(...items.map((d) => d.value ?? 0), 0));
  let s = '';
  items.forEach((d, i) => {
    const y = 10 + i * row;
    const w = ((x1 - x0) * (d.value ?? 0)) / max;
    s += `<text x="${x0 - 8}" y="${y + 16}" class="lbl" text-anchor="end">${esc(d.label)}</text>`;
    s += `<rect class="bar" data-label="${esc(d.label)}" x="${x0}" y="${y + 3}" width="${Math.max(w, d.value ? 2 : 0)}" height="${row - 8}" rx="3" fill="${colour}"><title>${esc(d.label)}: ${esc(d.value)}</title></rect>`;
    s += `<text x="${x0 + w + 6}" y="${y + 16}" class="val">${d.value == null ? '—' : esc(fmt(d.value, d))}</text>`;
  });
  return frame(h, s, 'hbars');
}

/** Two series per item side by side (e.g. satisfaction rate and returns), each on its own scale. */
export function pairs(items, [a, b]) {
  const row = 30, x0 = 170, mid = (W + x0) / 2 - 20, x1 = W - 60;
  const h = Math.max(70, items.length * row + 40);
  const maxA = a.max ?? nice(Math.max(...items.map((d) => d[a.key] ?? 0), 0));
  const maxB = b.max ?? nice(Math.max(...items.map((d) => d[b.key] ?? 0), 0));
  let s = `<text x="${x0}" y="14" class="ax">${esc(a.label)}</text><text x="${mid + 20}" y="14" class="ax">${esc(b.label)}</text>`;
  items.forEach((d, i) => {
    const y = 24 + i * row;
    s += `<text x="${x0 - 8}" y="${y + 17}" class="lbl" text-anchor="end">${esc(d.label)}</text>`;
    const wa = ((mid - x0 - 50) * (d[a.key] ?? 0)) / maxA;
    const wb = ((x1 - mid - 70) * (d[b.key] ?? 0)) / maxB;
    s += `<rect class="bar" x="${x0}" y="${y + 4}" width="${wa}" height="${row - 10}" rx="3" fill="${PALETTE[2]}"/><text x="${x0 + wa + 6}" y="${y + 17}" class="val">${esc(a.fmt(d[a.key]))}</text>`;
    s += `<rect class="bar" x="${mid + 20}" y="${y + 4}" width="${wb}" height="${row - 10}" rx="3" fill="${PALETTE[1]}"/><text x="${mid + 26 + wb}" y="${y + 17}" class="val">${esc(b.fmt(d[b.key]))}</text>`;
  });
  return frame(h, s, 'pairs');
}

/** A time series: one bar series and one line series over labelled buckets. */
export function series(points, { bars, line, legend }) {
  const h = 300, x0 = 50, y0 = 250, y1 = 24, x1 = W - 20;
  const max = nice(Math.max(...points.map((p) => Math.max(p[bars] ?? 0, p[line] ?? 0)), 0));
  const bw = (x1 - x0) / Math.max(points.length, 1);
  let s = yAxis(x0, y0, y1, max, ticksFor(max, true), num);
  const every = Math.ceil(points.length / 10);
  const pts = [];
  points.forEach((p, i) => {
    const x = x0 + i * bw;
    const bh = ((y0 - y1) * (p[bars] ?? 0)) / max;
    s += `<rect class="bar" x="${x + bw * 0.15}" y="${y0 - bh}" width="${Math.max(bw * 0.7, 1)}" height="${bh}" fill="${PALETTE[0]}"><title>${esc(p.label)}: ${esc(p[bars])}</title></rect>`;
    pts.push([x + bw / 2, y0 - ((y0 - y1) * (p[line] ?? 0)) / max]);
    if (i % every === 0) s += `<text x="${x + bw / 2}" y="${y0 + 18}" class="lbl" text-anchor="middle">${esc(p.label.slice(5))}</text>`;
  });
  if (pts.length) s += `<polyline class="line" points="${pts.map((q) => q.join(',')).join(' ')}" fill="none" stroke="${PALETTE[2]}" stroke-width="2.5"/>`;
  s += `<rect x="${x1 - 210}" y="4" width="12" height="12" fill="${PALETTE[0]}"/><text x="${x1 - 194}" y="14" class="ax">${esc(legend[0])}</text>`;
  s += `<rect x="${x1 - 110}" y="9" width="12" height="3" fill="${PALETTE[2]}"/><text x="${x1 - 94}" y="14" class="ax">${esc(legend[1])}</text>`;
  return frame(h, s, 'series');
}
