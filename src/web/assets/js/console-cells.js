// The console map's view, told to the engine: a `viewport` frame (the map's box and zoom
// level) when the stream opens and after each pan or zoom (debounced), so the engine sends
// only the moves the map shows (docs/protocol.md, "Viewport"). Zoomed out (below level
// 12) the engine sends off-duty and gateway-only vehicles as counts per H3 cell
// (`vehicle.cells`) instead of one by one; they are drawn here as the cell's outline and a
// count, and the markers the engine takes off (`hidden`) are removed.
import { lang } from './i18n.js';
import { esc } from './format.js';

/** Below this zoom level the engine counts idle vehicles per cell (as `ZOOMED_OUT_BELOW`). */
export const ZOOMED_OUT_BELOW = 12;
/** Pan and zoom settle this long before the view is sent, ms. */
const SETTLE_MS = 300;
/** Statuses shown one by one at any zoom. */
const BUSY = new Set(['offered', 'en_route', 'on_site']);

const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));
/** A cell count's tooltip, in the page's language. */
const title = (off, gw) => (lang() === 'en' ? `off duty ${off} · gateway only ${gw}` : `下班 ${off} · 仅网关定位 ${gw}`);

export class ViewSync {
  /**
   * @param {import('./map.js').MapView} view the console's map
   * @param {import('./stream.js').Stream} stream `/ws/console`
   */
  constructor(view, stream) {
    this.view = view;
    this.stream = stream;
    this.layer = L.layerGroup().addTo(view.map);
    this.cells = [];
    this.timer = null;
    view.map.on('moveend zoomend', () => this.schedule());
  }

  zoomedOut() { return this.view.map.getZoom() < ZOOMED_OUT_BELOW; }

  /** The `viewport` frame of the map as it is now. */
  frame() {
    const b = this.view.map.getBounds();
    const bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)];
    return { type: 'viewport', bbox: bbox.map((x) => Math.round(x * 1e6) / 1e6), zoom: clamp(this.view.map.getZoom(), 0, 24) };
  }

  /** Sends the view now (the stream just opened). */
  send() {
    clearTimeout(this.timer);
    this.timer = null;
    const f = this.frame();
    this.sent = f;
    this.stream.sendRaw(f);
    if (!this.zoomedOut()) this.draw({ cells: [], hidden: [] });
  }

  /** Sends the view once the map has settled. */
  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.send(), SETTLE_MS);
  }

  /**
   * Whether a vehicle change is drawn: zoomed out, a status change draws no new marker for
   * a vehicle on no ticket (the engine counts it, or sends its move when it shows it).
   */
  draws(v, fromMove) {
    if (fromMove || !this.zoomedOut() || this.view.vehicles.has(v.vehicle_id)) return true;
    return !!v.ticket_id || BUSY.has(v.status);
  }

  /**
   * A `vehicle.moved` frame with `view`: every vehicle the engine shows one by one inside
   * the new view. Zoomed out, a marker inside the view that is not in it is counted now.
   */
  viewMoves(f) {
    if (!f.view || !this.zoomedOut()) return;
    const keep = new Set((f.moves || []).map((m) => m.vehicle_id));
    const bounds = this.view.map.getBounds();
    for (const [id, v] of this.view.vehicles) {
      if (keep.has(id) || v.data.ticket_id || BUSY.has(v.data.status)) continue;
      if (v.data.position && bounds.contains([v.data.position.lat, v.data.position.lng])) this.remove(id);
    }
  }

  remove(id) {
    const v = this.view.vehicles.get(id);
    if (!v) return;
    v.marker.remove();
    this.view.vehicles.delete(id);
  }

  /** A `vehicle.cells` frame: the counts replace the last ones. */
  draw(f) {
    for (const id of f.hidden || []) this.remove(id);
    this.cells = f.cells || [];
    this.layer.clearLayers();
    for (const c of this.cells) {
      const n = (c.off_duty || 0) + (c.gateway || 0);
      if (!n) continue;
      const shape = this.view.cellFeatures?.get(c.cell);
      if (shape) L.geoJSON(shape, { style: { color: '#7a6a3a', weight: 1, fillColor: '#c9b458', fillOpacity: 0.25 }, interactive: false }).addTo(this.layer);
      const tip = title(c.off_duty || 0, c.gateway || 0);
      const html = `<span class="cell-count" data-cell-count="${esc(c.cell)}" data-off-duty="${c.off_duty || 0}" data-gateway="${c.gateway || 0}" title="${esc(tip)}">${n}</span>`;
      L.marker([c.center.lat, c.center.lng], { interactive: false, keyboard: false, icon: L.divIcon({ className: 'cell-count-icon', html, iconSize: null }) }).addTo(this.layer);
    }
  }
}
