// Evidence from the phone: photos and video from the camera, recordings and documents from
// the files, uploaded through `POST /tickets/{id}/evidence` (multipart `file`, `kind`) and
// then named by their SHA-256 in the on-site record and the report, so the timeline shows
// exactly which bytes each carried. One uploader per ticket screen, shared by the site and
// report panes: a file taken on site counts for the report too.
import { t, name } from './i18n.js';
import { esc } from './format.js';
import { ApiError } from './api.js';

/** What the file picker offers, by evidence kind (the engine checks the bytes anyway). */
function accept(kind) {
  if (kind === 'photo' || kind === 'screenshot') return 'image/*';
  if (kind === 'video') return 'video/*';
  if (kind === 'audio' || kind === 'call_record') return 'audio/*';
  return 'image/*,application/pdf';
}

export class Evidence {
  /**
   * @param {import('./api.js').Api} api
   * @param {string} ticketId
   * @param {Function} changed called when the list changes
   */
  constructor(api, ticketId, changed) {
    this.api = api;
    this.ticketId = ticketId;
    this.changed = changed;
    this.files = [];
    this.uploading = 0;
    this.previews = new Map();
    /** The kind last chosen: a redraw keeps it. */
    this.kind = null;
  }

  async load() {
    try {
      const body = await this.api.get(`/tickets/${this.ticketId}/evidence`);
      this.files = body.files.filter((f) => !f.erased);
    } catch { /* shown as none; uploads still work */ }
    this.changed();
  }

  kinds() { return new Set(this.files.map((f) => f.kind)); }

  async upload(kind, file) {
    const form = new FormData();
    form.append('kind', kind);
    form.append('file', file, file.name || 'upload');
    this.uploading += 1;
    this.changed();
    try {
      const res = await fetch(`/api/v1/tickets/${this.ticketId}/evidence`, { method: 'POST', headers: { Authorization: `Bearer ${this.api.token}` }, body: form });
      const body = await res.json().catch(() => null);
      if (!res.ok) throw new ApiError(res.status, body);
      if (file.type.startsWith('image/')) this.previews.set(body.sha256, URL.createObjectURL(file));
      if (!this.files.some((f) => f.sha256 === body.sha256)) this.files.push(body);
    } finally {
      this.uploading -= 1;
      this.changed();
    }
  }

  /** The picker and the files so far; `kinds` are offered first (what the template asks for). */
  html(kinds, allKinds) {
    const order = [...new Set([...kinds, 'photo', ...allKinds])];
    const items = this.files.map((f) => {
      const preview = this.previews.get(f.sha256);
      const media = preview ? `<img src="${esc(preview)}" alt="">` : '';
      return `<li data-sha256="${esc(f.sha256)}" data-kind="${esc(f.kind)}">${media}${esc(name('evidence', f.kind))}<br><small>${esc(f.sha256.slice(0, 8))}</small></li>`;
    }).join('');
    return `<div class="uploader">
        <select class="evidence-kind">${order.map((k) => `<option value="${esc(k)}"${k === this.kind ? ' selected' : ''}>${esc(name('evidence', k))}</option>`).join('')}</select>
        <button type="button" class="pick">${esc(t('field.add_file'))}<input type="file" class="evidence-file" accept="image/*" capture="environment"></button>
      </div>
      ${this.uploading ? `<p class="uploading warn">${esc(t('field.uploading', { n: this.uploading }))}</p>` : ''}
      <ul class="files">${items || ''}</ul>`;
  }

  /** Wires the picker rendered by `html` under `root`. */
  wire(root, toast) {
    const kind = root.querySelector('.evidence-kind');
    const input = root.querySelector('.evidence-file');
    if (!kind || !input) return;
    const fit = () => {
      input.accept = accept(kind.value);
      if (['photo', 'video'].includes(kind.value)) input.setAttribute('capture', 'environment');
      else input.removeAttribute('capture');
    };
    kind.onchange = () => { this.kind = kind.value; fit(); };
    fit();
    input.onchange = async () => {
      const chosen = [...input.files];
      const k = kind.value;
      input.value = '';
      for (const f of chosen) {
        try { await this.upload(k, f); } catch (e) { toast(e.message, 'error'); }
      }
    };
  }

  /** The files as the record's or report's `evidence` items. */
  items() {
    return this.files.map((f) => ({ kind: f.kind, sha256: f.sha256 }));
  }
}
