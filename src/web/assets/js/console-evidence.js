// The evidence files of a ticket as its reviewer sees them: a thumbnail for a photo, a
// player for audio and video, a download for a document, each with its kind, its SHA-256
// (short), size, who attached it and when, and what a photo says of itself (its EXIF time
// and place beside the site and the vehicle: a hint, never proof). The file route needs the
// console's token, so the bytes are fetched with it and shown through blob URLs, kept per
// hash for the page's life (a file never changes under its hash).
import { t, name } from './i18n.js';
import { esc, time } from './format.js';

/** The first 12 hex digits of a hash, as the console shows it. */
export function shortHash(sha256) {
  return String(sha256 || '').slice(0, 12);
}

function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function hint(h) {
  if (!h) return '';
  const parts = [];
  if (h.taken_at) parts.push(t('evidence.hint_time', { t: h.taken_at.replace('T', ' ') }));
  if (h.from_site_m != null) parts.push(t('evidence.hint_site', { m: Math.round(h.from_site_m) }));
  if (h.from_vehicle_m != null) parts.push(t('evidence.hint_vehicle', { m: Math.round(h.from_vehicle_m), t: time(h.vehicle_fix_at) }));
  if (h.fix_gap_s != null) parts.push(t('evidence.hint_gap', { m: Math.round(Math.abs(h.fix_gap_s) / 60) }));
  if (!parts.length) return '';
  return `<div class="evidence-hint" title="${esc(t('evidence.hint_note'))}">${esc(parts.join(t('evidence.hint_sep')))} <small>${esc(t('evidence.hint_note'))}</small></div>`;
}

export class EvidenceFiles {
  constructor(ctx) {
    this.ctx = ctx; // { api }
    // Ticket id -> its files (null while loading).
    this.lists = new Map();
    // Hash -> blob URL of its bytes (a promise while fetching).
    this.urls = new Map();
  }

  /** Reads the ticket's files; resolves once listed. */
  async load(id) {
    try {
      const body = await this.ctx.api.get(`/tickets/${id}/evidence`);
      this.lists.set(id, body.files || []);
    } catch {
      // A role that may not read them (or a ticket gone): nothing to show.
      this.lists.set(id, []);
    }
  }

  /** The files panel of `tk` (the report's hashes marked as on the report). */
  render(tk) {
    const files = this.lists.get(tk.id);
    if (files == null) return `<section class="evidence-files"><h5>${esc(t('evidence.files'))}</h5><p class="hint">${esc(t('common.loading'))}</p></section>`;
    if (!files.length) return `<section class="evidence-files"><h5>${esc(t('evidence.files'))}</h5><p class="hint">${esc(t('evidence.none'))}</p></section>`;
    const onReport = new Set([...(tk.report?.evidence || []), ...(tk.onsite?.evidence || [])].map((e) => e.sha256).filter(Boolean));
    return `<section class="evidence-files"><h5>${esc(t('evidence.files'))}</h5><ul class="evidence-file-list">${files.map((f) => this.item(f, onReport.has(f.sha256))).join('')}</ul></section>`;
  }

  item(f, onReport) {
    const url = this.urls.get(f.sha256);
    const src = typeof url === 'string' ? url : '';
    const type = f.content_type || '';
    let media;
    if (f.erased) {
      media = `<span class="badge evidence-erased">${esc(t('evidence.erased'))}</span>`;
    } else if (type.startsWith('image/')) {
      media = `<img class="evidence-thumb" data-evidence="${esc(f.url)}" data-sha="${esc(f.sha256)}" alt="${esc(name('evidence', f.kind))}" ${src ? `src="${esc(src)}"` : ''}>`;
    } else if (type.startsWith('audio/')) {
      media = `<audio class="evidence-player" controls preload="metadata" data-evidence="${esc(f.url)}" data-sha="${esc(f.sha256)}" ${src ? `src="${esc(src)}"` : ''}></audio>`;
    } else if (type.startsWith('video/')) {
      media = `<video class="evidence-player" controls preload="metadata" data-evidence="${esc(f.url)}" data-sha="${esc(f.sha256)}" ${src ? `src="${esc(src)}"` : ''}></video>`;
    } else {
      media = `<a class="evidence-download" data-evidence="${esc(f.url)}" data-sha="${esc(f.sha256)}" download="${esc(`${f.kind}-${shortHash(f.sha256)}`)}" ${src ? `href="${esc(src)}"` : ''}>${esc(t('evidence.download'))}</a>`;
    }
    const who = f.by_subject || name('role', f.by_role);
    return `<li class="evidence-file" data-sha256="${esc(f.sha256)}" data-kind="${esc(f.kind)}">
      <div class="evidence-media">${media}</div>
      <div class="evidence-meta"><strong>${esc(name('evidence', f.kind))}</strong>
        ${onReport ? `<span class="badge evidence-on-report">${esc(t('evidence.on_report'))}</span>` : ''}
        ${f.shows_reporter ? `<span class="badge evidence-reporter">${esc(t('evidence.shows_reporter'))}</span>` : ''}
        <div><code class="evidence-hash" title="sha256:${esc(f.sha256)}">${esc(shortHash(f.sha256))}</code> · <span class="evidence-size">${esc(size(f.size))}</span> · ${esc(type)}</div>
        <div class="evidence-by">${esc(t('evidence.by', { who, t: time(f.attached_at) }))}</div>
        ${hint(f.hint)}</div>
    </li>`;
  }

  /** Fetches (with the token) the bytes of every file element under `root` that has none. */
  hydrate(root) {
    for (const el of root.querySelectorAll('[data-evidence]')) {
      const sha = el.dataset.sha;
      const known = this.urls.get(sha);
      if (typeof known === 'string') {
        this.attach(el, known);
        continue;
      }
      if (known) continue;
      const path = el.dataset.evidence.replace(/^\/api\/v1/, '');
      const fetching = fetch(`/api/v1${path}`, { headers: { Authorization: `Bearer ${this.ctx.api.token}` } })
        .then((res) => (res.ok ? res.blob() : null))
        .then((blob) => {
          if (!blob) { this.urls.delete(sha); return; }
          const url = URL.createObjectURL(blob);
          this.urls.set(sha, url);
          for (const e of document.querySelectorAll(`[data-sha="${sha}"]`)) this.attach(e, url);
        })
        .catch(() => this.urls.delete(sha));
      this.urls.set(sha, fetching);
    }
  }

  attach(el, url) {
    if (el.tagName === 'A') { if (el.getAttribute('href') !== url) el.setAttribute('href', url); }
    else if (el.getAttribute('src') !== url) el.setAttribute('src', url);
  }
}
