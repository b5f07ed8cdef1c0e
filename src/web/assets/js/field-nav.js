// Getting to the site: distance and bearing from the phone, links that open the phone's
// navigation app, and a tile-less map with the site and the vehicle.
//
// The engine keeps WGS-84. Chinese map apps (Amap, Baidu, Tencent) take GCJ-02, the
// obfuscated datum of Chinese maps, which lies 300–500 m from WGS-84 in the county: a
// WGS-84 pin handed to them lands beside the shop. The links carry the site converted with
// the published WGS-84 → GCJ-02 transform (and say so: `coordinate=gaode`,
// `coord_type=gcj02`); the system `geo:` link keeps WGS-84, which RFC 5870 prescribes.
/* global L */
import { t } from './i18n.js';

const A = 6378245.0;
const EE = 0.00669342162296594323;

function outsideChina(lat, lng) {
  return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function dLat(x, y) {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
  return r;
}

function dLng(x, y) {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  return r;
}

/** WGS-84 → GCJ-02 (unchanged outside China, where GCJ-02 is not used). */
export function wgs84ToGcj02(lat, lng) {
  if (outsideChina(lat, lng)) return { lat, lng };
  const rad = (lat / 180) * Math.PI;
  const magic = 1 - EE * Math.sin(rad) ** 2;
  const sqrtMagic = Math.sqrt(magic);
  const la = (dLat(lng - 105, lat - 35) * 180) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  const ln = (dLng(lng - 105, lat - 35) * 180) / ((A / sqrtMagic) * Math.cos(rad) * Math.PI);
  return { lat: lat + la, lng: lng + ln };
}

/** Great-circle distance in metres. */
export function distanceM(a, b) {
  const R = 6371008.8;
  const p1 = (a.lat * Math.PI) / 180;
  const p2 = (b.lat * Math.PI) / 180;
  const dp = p2 - p1;
  const dl = ((b.lng - a.lng) * Math.PI) / 180;
  const h = Math.sin(dp / 2) ** 2 + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Initial bearing from `a` to `b`, degrees clockwise from north (0–360). */
export function bearingDeg(a, b) {
  const p1 = (a.lat * Math.PI) / 180;
  const p2 = (b.lat * Math.PI) / 180;
  const dl = ((b.lng - a.lng) * Math.PI) / 180;
  const y = Math.sin(dl) * Math.cos(p2);
  const x = Math.cos(p1) * Math.sin(p2) - Math.sin(p1) * Math.cos(p2) * Math.cos(dl);
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
}

const POINTS = ['n', 'ne', 'e', 'se', 's', 'sw', 'w', 'nw'];

/** "东北 45°" / "NE 45°". */
export function bearingText(deg) {
  const point = POINTS[Math.round(deg / 45) % 8];
  return `${t(`field.compass.${point}`)} ${Math.round(deg)}°`;
}

/** Links that open navigation to `site` (WGS-84) named `label`, in the apps crews use. */
export function navLinks(site, label) {
  const g = wgs84ToGcj02(site.lat, site.lng);
  const name = encodeURIComponent(label || t('field.site'));
  const f = (x) => x.toFixed(6);
  return [
    { app: 'amap', href: `https://uri.amap.com/navigation?to=${f(g.lng)},${f(g.lat)},${name}&mode=car&coordinate=gaode&callnative=1&src=hotline-dispatch` },
    { app: 'baidu', href: `baidumap://map/direction?destination=latlng:${f(g.lat)},${f(g.lng)}|name:${name}&coord_type=gcj02&mode=driving&src=hotline-dispatch` },
    { app: 'tencent', href: `qqmap://map/routeplan?type=drive&tocoord=${f(g.lat)},${f(g.lng)}&to=${name}&referer=hotline-dispatch` },
    { app: 'geo', href: `geo:${f(site.lat)},${f(site.lng)}?q=${f(site.lat)},${f(site.lng)}(${name})` },
  ];
}

/** The site, the phone and the line between them, on a map without tiles. */
export class SiteMap {
  constructor(el) {
    this.map = L.map(el, { attributionControl: false, zoomControl: true, minZoom: 6, maxZoom: 18 });
    this.site = null;
    this.me = null;
    this.line = null;
  }

  show(site, me) {
    if (!site) return;
    const s = [site.lat, site.lng];
    if (!this.site) {
      this.site = L.marker(s, { icon: L.divIcon({ className: '', html: '<div class="pin" data-site style="--c: var(--g1)"><span>★</span></div>', iconSize: [26, 32], iconAnchor: [13, 30] }) }).addTo(this.map);
    } else this.site.setLatLng(s);
    if (me) {
      const m = [me.lat, me.lng];
      if (!this.me) {
        this.me = L.marker(m, { icon: L.divIcon({ className: '', html: '<div class="veh" data-me><span class="veh-dot" style="--c: #1e88e5"></span></div>', iconSize: [16, 16], iconAnchor: [8, 8] }) }).addTo(this.map);
        this.line = L.polyline([m, s], { color: '#1e88e5', weight: 3, dashArray: '6 6' }).addTo(this.map);
      } else {
        this.me.setLatLng(m);
        this.line.setLatLngs([m, s]);
      }
      if (!this.fitted) this.map.fitBounds(L.latLngBounds([m, s]).pad(0.3), { maxZoom: 16 });
      this.fitted = true;
    } else if (!this.fitted) {
      this.map.setView(s, 15);
    }
  }

  remove() {
    this.map.remove();
  }
}
