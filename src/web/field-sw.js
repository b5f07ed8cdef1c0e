// The field page's service worker: keeps the page's shell (HTML, styles, scripts, map
// library, manifest) so the page opens with no network, on a county road or in a shop's
// back room. It never keeps an API answer or a socket: tickets and personal data stay with
// the engine. The engine fills in VERSION (a digest of the shell) and SHELL when it serves
// this file, so an upgraded engine's shell replaces the old one on the next visit.
const VERSION = '__VERSION__';
const SHELL = __SHELL__;
const CACHE = `hd-field-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('hd-field-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  // The page itself: the network first (a new engine's page at once), the kept one offline.
  if (req.mode === 'navigate' && (url.pathname === '/field' || url.pathname === '/field/')) {
    event.respondWith(fetch(req).catch(() => caches.match('/field', { cacheName: CACHE })));
    return;
  }
  // The shell's files: the kept copy (they change only with the version).
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname, { cacheName: CACHE }).then((hit) => hit || fetch(req)));
  }
});
