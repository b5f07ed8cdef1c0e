// The offline map (Leaflet, no tile layer): the county outline (approximate), its H3 grid,
// town labels, and on top the live layers — vehicles coloured by status, ticket pins by
// grade, a line from each vehicle to the site of the ticket it is on now with the distance,
// retailers when zoomed in, the open ticket's retailer candidates and registry search hits,
// and a pick mode that reads one click as a place (console only). Markers are DOM elements with data attributes, so they can be
// found and followed.
/* global L */
import { t, name, lang, onLangChange } from './i18n.js';
import { esc, distance } from './format.js';

export const GRADE_COLOURS = { I: '#d7263d', II: '#f46036', III: '#e2b714', IV: '#2e86de' };
/** An offline vehicle (no socket, no recent gateway fix) is drawn grey whatever its status. */
export const OFFLINE_COLOUR = '#b8bec8';
export const VEHICLE_COLOURS = { available: '#2bb673', offered: '#f4a261', en_route: '#1e88e5', on_site: '#8e44ad', returning: '#00a8a8', off_duty: '#8a94a6', out_of_service: '#5c4b51' };
const RETAILER_MIN_ZOOM = 14;

export class MapView {
  /**
   * @param {HTMLElement} el
   * @param {import('./api.js').Api} api
   * @param {{retailers?: boolean, big?: boolean, onTicket?: Function}} opts
   */
  constructor(el, api, opts = {}) {
    this.api = api;
    this.opts = opts;
    this.map = L.map(el, { zoomControl: !opts.big, attributionControl: false, minZoom: 8, maxZoom: 18, zoomSnap: 0.25, preferCanvas: false });
    this.map.setView([30.02, 115.6], 10);
    this.gridLayer = L.layerGroup().addTo(this.map);
    this.townLayer = L.layerGroup().addTo(this.map);
    this.cellLayer = L.layerGroup().addTo(this.map);
    this.lineLayer = L.layerGroup().addTo(this.map);
    this.retailerLayer = L.layerGroup().addTo(this.map);
    this.ticketLayer = L.layerGroup().addTo(this.map);
    this.vehicleLayer = L.layerGroup().addTo(this.map);
    this.vehicles = new Map();
    this.tickets = new Map();
    this.lines = new Map();
    this.cells = new Map();
    this.towns = [];
    if (opts.retailers) this.map.on('moveend', () => this.loadRetailers());
    onLangChange(() => this.relabel());
  }

  /** Loads the outlines (every area of the service area file), grid and towns; fits them. */
  async loadArea(res = 7) {
    const geo = await this.api.get(`/map/grid?res=${res}`);
    const counties = geo.features.filter((f) => f.properties.kind === 'county');
    const cells = geo.features.filter((f) => f.properties.kind === 'cell');
    L.geoJSON(cells, { style: { color: '#5b7bb2', weight: 0.6, opacity: 0.45, fill: false }, interactive: false }).addTo(this.gridLayer);
    if (counties.length) {
      const layer = L.geoJSON(counties, { style: { color: '#1d3b6f', weight: 2.5, fillColor: '#e9eff8', fillOpacity: 0.55, dashArray: '6 4' }, interactive: false });
      layer.addTo(this.gridLayer);
      layer.bringToBack();
      this.map.fitBounds(layer.getBounds(), { padding: [12, 12], animate: false });
    }
    for (const f of geo.features.filter((x) => x.properties.kind === 'town')) {
      const [lng, lat] = f.geometry.coordinates;
      const marker = L.marker([lat, lng], { interactive: false, keyboard: false, icon: this.townIcon(f.properties) });
      marker.addTo(this.townLayer);
      this.towns.push({ marker, props: f.properties });
    }
    this.cellFeatures = new Map(cells.map((f) => [f.properties.cell, f]));
  }

  townIcon(p) {
    const label = lang() === 'en' ? p.name_en : p.name;
    return L.divIcon({ className: 'town-label', html: `<span>${esc(label)}</span>`, iconSize: null });
  }

  relabel() {
    for (const t of this.towns) t.marker.setIcon(this.townIcon(t.props));
    for (const [id, v] of this.vehicles) this.setVehicle({ ...v.data, vehicle_id: id });
  }

  /** Adds or updates a vehicle (`status`, `position`, `plate`, `ticket_id`, ...). */
  setVehicle(v) {
    const id = v.vehicle_id;
    const prev = this.vehicles.get(id);
    const data = { ...(prev?.data || {}), ...v };
    if (!data.position) return;
    const offline = data.online === false;
    const colour = offline ? OFFLINE_COLOUR : VEHICLE_COLOURS[data.status] || '#555';
    const label = offline ? `${data.plate || id} · ${t('vehicle.offline')}` : data.plate || id;
    const htmlText = `<div class="veh${offline ? ' offline' : ''}" data-vehicle-id="${esc(id)}" data-status="${esc(data.status || '')}" data-online="${offline ? 'false' : 'true'}" style="--c:${colour}"><span class="veh-dot"></span><span class="veh-label">${esc(label)}</span></div>`;
    const ll = [data.position.lat, data.position.lng];
    if (prev) {
      prev.marker.setLatLng(ll);
      if (prev.html !== htmlText) prev.marker.setIcon(L.divIcon({ className: 'veh-icon', html: htmlText, iconSize: null, iconAnchor: [7, 7] }));
      prev.html = htmlText;
      prev.data = data;
    } else {
      const marker = L.marker(ll, { icon: L.divIcon({ className: 'veh-icon', html: htmlText, iconSize: null, iconAnchor: [7, 7] }), zIndexOffset: 1000, keyboard: false });
      marker.bindTooltip(() => {
        const d = this.vehicles.get(id)?.data || {};
        return `${esc(d.plate || id)} · ${esc(name('vehicle', d.status))}${d.online === false ? ` · ${esc(t('vehicle.offline'))}` : ''}`;
      });
      marker.addTo(this.vehicleLayer);
      this.vehicles.set(id, { marker, data, html: htmlText });
    }
    this.updateLines();
  }

  /** Applies one `vehicle.moved` entry. */
  moveVehicle(m) {
    this.setVehicle(m);
  }

  clearVehicles() {
    this.vehicleLayer.clearLayers();
    this.vehicles.clear();
  }

  /** Adds or updates a ticket pin (the ticket must have `location.position`). */
  setTicket(tk, selected = false) {
    const pos = tk.location?.position;
    const prev = this.tickets.get(tk.id);
    if (!pos) {
      if (prev) this.removeTicket(tk.id);
      return;
    }
    const grade = tk.urgency || 'IV';
    const overdue = tk.sla?.overdue || tk.sla_clock?.overdue || tk.sla?.overdue_since != null;
    const htmlText = `<div class="pin grade-${esc(grade)}${overdue ? ' overdue' : ''}${selected ? ' selected' : ''}" data-ticket-id="${esc(tk.id)}" style="--c:${GRADE_COLOURS[grade]}"><span>${esc(grade)}</span></div>`;
    const icon = L.divIcon({ className: 'pin-icon', html: htmlText, iconSize: null, iconAnchor: [13, 32] });
    if (prev) {
      prev.marker.setLatLng([pos.lat, pos.lng]);
      if (prev.html !== htmlText) prev.marker.setIcon(icon);
      prev.html = htmlText;
      prev.ticket = tk;
    } else {
      const marker = L.marker([pos.lat, pos.lng], { icon, zIndexOffset: grade === 'I' ? 900 : 500 });
      marker.bindTooltip(() => { const x = this.tickets.get(tk.id)?.ticket || tk; return `${esc(x.number)} · ${esc(x.category_name || '')} · ${esc(name('status', x.status))}`; });
      marker.on('click', () => this.opts.onTicket?.(tk.id));
      marker.addTo(this.ticketLayer);
      this.tickets.set(tk.id, { marker, ticket: tk, html: htmlText });
    }
    this.updateLines();
  }

  removeTicket(id) {
    const prev = this.tickets.get(id);
    if (prev) this.ticketLayer.removeLayer(prev.marker);
    this.tickets.delete(id);
    this.updateLines();
  }

  clearTickets() {
    this.ticketLayer.clearLayers();
    this.tickets.clear();
    this.updateLines();
  }

  /**
   * One line per vehicle, to the ticket it is on now, with the engine's live distance. A
   * ticket that still names a vehicle which has since been sent elsewhere (or is returning)
   * gets no line: its distance would be to a site the crew has left.
   */
  updateLines() {
    const wanted = new Map();
    for (const [id, { ticket }] of this.tickets) {
      const vid = ticket.assignment?.vehicle_id;
      const v = vid && this.vehicles.get(vid);
      if (!v || !ticket.location?.position || !['en_route', 'on_site'].includes(ticket.status)) continue;
      if (v.data.ticket_id !== id || !['en_route', 'on_site'].includes(v.data.status)) continue;
      const metres = v.data.distance_to_site_m;
      wanted.set(id, { from: v.data.position, to: ticket.location.position, metres: Number.isFinite(metres) ? metres : null });
    }
    for (const [id, line] of this.lines) {
      if (!wanted.has(id)) {
        this.lineLayer.removeLayer(line);
        this.lines.delete(id);
      }
    }
    for (const [id, w] of wanted) {
      const pts = [[w.from.lat, w.from.lng], [w.to.lat, w.to.lng]];
      const metres = w.metres ?? this.map.distance(pts[0], pts[1]);
      const label = `<span class="dist-label" data-line-ticket="${esc(id)}">${esc(distance(metres))}</span>`;
      let line = this.lines.get(id);
      if (line) {
        line.setLatLngs(pts);
        line.setTooltipContent(label);
      } else {
        line = L.polyline(pts, { color: '#1e88e5', weight: 3, dashArray: '8 6', opacity: 0.9, interactive: false });
        line.bindTooltip(label, { permanent: true, direction: 'center', className: 'dist-tooltip' });
        line.addTo(this.lineLayer);
        this.lines.set(id, line);
      }
    }
  }

  /** Board: highlight the cells that hold tickets, with their numbers. */
  setCells(rows) {
    const key = rows.map((r) => `${r.cell}:${r.number}:${r.overdue}`).sort().join('|');
    if (key === this.cellKey) return;
    this.cellKey = key;
    this.cellLayer.clearLayers();
    const byCell = new Map();
    for (const r of rows) {
      if (!r.cell_center) continue;
      const list = byCell.get(r.cell) || [];
      list.push(r);
      byCell.set(r.cell, list);
    }
    for (const [cell, list] of byCell) {
      const worst = list.some((r) => r.overdue) ? '#d7263d' : '#f46036';
      const f = this.cellFeatures?.get(cell);
      if (f) L.geoJSON(f, { style: { color: worst, weight: 2, fillColor: worst, fillOpacity: 0.35 }, interactive: false }).addTo(this.cellLayer);
      const c = list[0].cell_center;
      const text = list.map((r) => esc(r.number.slice(-6))).join('<br>');
      L.marker([c.lat, c.lng], { interactive: false, icon: L.divIcon({ className: 'cell-label', html: `<span data-cell="${esc(cell)}">${text}</span>`, iconSize: null }) }).addTo(this.cellLayer);
    }
  }

  focus(pos, zoom = 13) {
    if (pos) this.map.setView([pos.lat, pos.lng], Math.max(this.map.getZoom(), zoom));
  }

  /** Centres the map on a vehicle and marks it for a moment; false when it has no fix. */
  focusVehicle(id) {
    const v = this.vehicles.get(id);
    if (!v?.data.position) return false;
    this.focus(v.data.position, 14);
    const el = v.marker.getElement()?.querySelector('.veh');
    if (el) {
      el.classList.add('focused');
      clearTimeout(this.focusTimer);
      this.focusTimer = setTimeout(() => el.classList.remove('focused'), 4000);
    }
    return true;
  }

  /**
   * Places to show for the open ticket: retailer candidates (`kind` `candidate`) or registry
   * search hits (`search`), each `{ licence, name, address, position, rank }`. Replaces the
   * places of that kind.
   */
  setPlaces(kind, places) {
    if (!this.placeLayers) this.placeLayers = {};
    const layer = this.placeLayers[kind] || (this.placeLayers[kind] = L.layerGroup().addTo(this.map));
    layer.clearLayers();
    for (const p of places) {
      if (!p.position) continue;
      const html = `<div class="place-pin ${esc(kind)}" data-place-kind="${esc(kind)}" data-licence="${esc(p.licence)}"><span>${esc(String(p.rank ?? ''))}</span></div>`;
      L.marker([p.position.lat, p.position.lng], { icon: L.divIcon({ className: 'place-icon', html, iconSize: null, iconAnchor: [11, 11] }), zIndexOffset: 800, keyboard: false })
        .bindTooltip(`${esc(p.name)}<br>${esc(p.address || '')}<br>${esc(t('detail.retailer'))} ${esc(p.licence)}`)
        .addTo(layer);
    }
  }

  /**
   * Pick mode: the next click on the map calls `onPick({ lat, lng })` (Esc or `stopPick`
   * ends it without a pick).
   */
  startPick(onPick) {
    this.stopPick();
    const container = this.map.getContainer();
    container.classList.add('picking');
    const click = (ev) => { this.stopPick(); onPick({ lat: ev.latlng.lat, lng: ev.latlng.lng }); };
    const key = (ev) => { if (ev.key === 'Escape') { this.stopPick(); this.onPickCancel?.(); } };
    this.map.once('click', click);
    document.addEventListener('keydown', key);
    this.picking = { click, key };
  }

  stopPick() {
    if (!this.picking) return;
    this.map.off('click', this.picking.click);
    document.removeEventListener('keydown', this.picking.key);
    this.map.getContainer().classList.remove('picking');
    this.picking = null;
  }

  /** A marker for the point picked, until it is set or cancelled (`null` removes it). */
  setPicked(pos) {
    if (this.pickedMarker) { this.map.removeLayer(this.pickedMarker); this.pickedMarker = null; }
    if (!pos) return;
    const html = '<div class="picked-pin" data-picked="true"></div>';
    this.pickedMarker = L.marker([pos.lat, pos.lng], { icon: L.divIcon({ className: 'place-icon', html, iconSize: null, iconAnchor: [9, 9] }), zIndexOffset: 1200, interactive: false }).addTo(this.map);
  }

  async loadRetailers() {
    if (this.map.getZoom() < RETAILER_MIN_ZOOM) {
      this.retailerLayer.clearLayers();
      return;
    }
    const b = this.map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((x) => x.toFixed(5)).join(',');
    const seq = (this.retailerSeq = (this.retailerSeq || 0) + 1);
    let page;
    try { page = await this.api.get(`/map/retailers?bbox=${bbox}&limit=800`); } catch { return; }
    if (seq !== this.retailerSeq) return;
    this.retailerLayer.clearLayers();
    for (const r of page.items) {
      L.circleMarker([r.position.lat, r.position.lng], { radius: 5, color: '#6d4c41', weight: 1, fillColor: '#ffcc80', fillOpacity: 0.9, className: 'retailer' })
        .bindTooltip(`${esc(r.name)}<br>${esc(r.address)}<br>${esc(t('detail.retailer'))} ${esc(r.licence)}`)
        .addTo(this.retailerLayer);
    }
  }
}
