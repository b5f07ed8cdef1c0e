// The crews' phone page, over HTTPS (the engine's own `gen-cert` certificate, trusted by its
// key's hash) in Chromium's mobile emulation (360×780, touch) with emulated geolocation:
// two crew phones of one vehicle sign in and stay up together (one reports positions); on
// duty, moving fixes reach the engine; an offer rings on both phones and a decline on one
// silences the other; the next offer is accepted; the map, distance, bearing and the
// navigation links (GCJ-02) show the way; moving onto the site is detected as arrival; the
// on-site record goes in with a photo uploaded from the page; the report is refused by its
// gate, completed, returned by review with a coded reason, rewritten from the last version
// and approved; fixes taken while the socket is down arrive in order after the reconnect;
// an account manager in no crew chats and finishes a task in the group; the installed shell
// opens with no network. Screenshots of each screen go to $ARTIFACTS.
import { join } from 'node:path';
import { X509Certificate, createHash } from 'node:crypto';
import { chromium } from 'playwright-core';
import { until, ADMIN, CHROMIUM_FLAGS } from '../lib.mjs';

// A small input bound for the vehicle socket (a bucket of 60 fixes refilled at 20 a second,
// 50 a frame), so the backlog after the offline gap must be paced to get through.
export const engineOptions = {
  tls: true,
  env: { APP__FLEET__MAX_FIXES_PER_S: '20', APP__FLEET__MAX_FIX_BURST: '60', APP__FLEET__MAX_BATCH_FIXES: '50' },
};

const SITE = { lat: 30.021, lng: 115.586 }; // a shop in 梅川镇
const START = { latitude: 30.0, longitude: 115.56, accuracy: 8 };

/** The published transform's figures for three cities (eviltransform's test table). */
const GCJ_VECTORS = [
  [31.1774276, 121.5272106, 31.17530398364597, 121.531541859215],
  [22.543847, 113.912316, 22.540796131694766, 113.9171764808363],
  [39.911954, 116.377817, 39.91334545536069, 116.38404722455657],
];

function spkiHash(pem) {
  const der = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/** A small PDF whose bytes name `what` (so each upload is a file of its own). */
function pdf(what) {
  return Buffer.from(`%PDF-1.4\n% ${what}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`);
}

export default async function ({ engine, api, check, assert, errors, OUT, CHROMIUM }) {
  await api.post('/teams', ADMIN, { id: 'T-F', name: '梅川执法中队', department: 'enforcement' });
  for (const [id, nm, role, dept, badge] of [
    ['S-F1', '市管员甲', 'inspector', 'enforcement', 'ZM-0501'],
    ['S-F2', '市管员乙', 'inspector', 'enforcement', 'ZM-0502'],
    ['S-F3', '客户经理丙', 'account_manager', 'marketing', 'YX-0503'],
  ]) {
    await api.post('/staff', ADMIN, { id, name: nm, role, department: dept, team_id: dept === 'enforcement' ? 'T-F' : undefined, badge });
  }
  await api.post('/vehicles', ADMIN, { id: 'V-F1', plate: '鄂J·F0001', team_id: 'T-F', department: 'enforcement', crew: ['S-F1', 'S-F2'] });
  const dispatcher = await api.token('dispatcher', null);
  const supervisor = await api.token('supervisor', null);
  const manager = await api.issue('field', 'staff:S-F3');
  const tokens = { a: await api.token('field', 'staff:S-F1'), b: await api.token('field', 'staff:S-F2'), c: manager.token };
  const live = () => api.get('/vehicles/V-F1/live', dispatcher);
  const intake = (ext, extra = {}) => api.post('/tickets', dispatcher, {
    source: '12313', external_id: ext, kind: 'report', description: '梅川镇正街一烟酒店疑似销售假冒卷烟，包装粗糙',
    address_text: '梅川镇正街18号', category: 'counterfeit', urgency: 'III', location: SITE, ...extra,
  });

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, `--ignore-certificate-errors-spki-list=${spkiHash(engine.ca)}`],
  });
  /** A phone of its own (own storage), its vehicle-socket frames recorded. */
  const phone = async (geolocation = START) => {
    const context = await browser.newContext({
      viewport: { width: 360, height: 780 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
      userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36',
      locale: 'zh-CN', timezoneId: 'Asia/Shanghai', geolocation, permissions: ['geolocation'],
    });
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(`field: ${e}`));
    const sent = [];
    const got = [];
    // Vehicle sockets the engine greeted (attempts made while offline never are).
    const sockets = { greeted: 0 };
    page.on('websocket', (ws) => {
      if (!ws.url().includes('/ws/vehicle')) return;
      ws.on('framesent', (f) => { try { sent.push(JSON.parse(f.payload)); } catch { /* not JSON */ } });
      ws.on('framereceived', (f) => {
        try {
          const frame = JSON.parse(f.payload);
          got.push(frame);
          if (frame.type === 'hello') sockets.greeted += 1;
        } catch { /* not JSON */ }
      });
    });
    return { context, page, sent, got, sockets };
  };
  const signIn = async (p, token) => {
    await p.page.goto(`${engine.base}/field`);
    await p.page.fill('#signin input', token);
    await p.page.click('#signin button[type=submit]');
    await p.page.waitForSelector('#conn[data-state="live"]', { timeout: 30000 });
  };
  const shot = (p, name) => p.page.screenshot({ path: join(OUT, `field-${name}.png`) });

  const a = await phone();
  const b = await phone();
  const c = await phone();
  let first;
  let ticket;
  try {
    await check('field: the page is served over https and installable (manifest, service worker)', async () => {
      assert(engine.base.startsWith('https://'), `engine at ${engine.base}`);
      await a.page.goto(`${engine.base}/field`);
      await a.page.waitForSelector('#signin:not([hidden])');
      await shot(a, 'signin');
      const manifest = await a.page.evaluate(async () => (await fetch(document.querySelector('link[rel=manifest]').href)).json());
      assert(manifest.start_url === '/field' && manifest.display === 'standalone', JSON.stringify(manifest));
      assert(manifest.icons.some((i) => i.sizes === '512x512'), 'a 512 px icon');
      const scope = await a.page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
      assert(scope === `${engine.base}/field`, `service worker scope ${scope}`);
    });

    await check('field: two crew phones of one vehicle sign in and stay up together; one reports positions', async () => {
      await signIn(a, tokens.a);
      await a.page.waitForSelector('#duty:not([hidden])');
      assert((await a.page.textContent('#plate')) === '鄂J·F0001', 'the plate');
      await a.page.waitForSelector('#reporter[data-reporter="true"]');
      await signIn(b, tokens.b);
      await b.page.waitForSelector('#reporter[data-reporter="false"]');
      assert((await b.page.textContent('#reporter')).includes('另一终端'), 'phone B says the other phone reports');
      await new Promise((r) => setTimeout(r, 1500));
      assert(await a.page.locator('#conn[data-state="live"]').count() === 1, 'phone A still live after phone B joined');
      assert(await a.page.locator('#replaced').isHidden(), 'phone A was not replaced');
      const v = await live();
      assert(v.connected, 'the vehicle is connected');
      await shot(a, 'home-off-duty');
    });

    await check('field: on duty, the phone\'s moving position reaches the engine', async () => {
      await a.page.click('#duty-toggle');
      await until(async () => (await live()).status === 'available', 'available');
      for (const [lat, lng] of [[30.003, 115.563], [30.006, 115.566], [30.009, 115.569]]) {
        await a.context.setGeolocation({ latitude: lat, longitude: lng, accuracy: 8 });
        await new Promise((r) => setTimeout(r, 1200));
      }
      await until(async () => {
        const p = (await live()).position;
        return p && Math.abs(p.lat - 30.009) < 1e-6 && Math.abs(p.lng - 115.569) < 1e-6;
      }, 'the engine to have the latest position');
      const positions = a.sent.filter((f) => f.type === 'position');
      assert(positions.length >= 2, `${positions.length} position frames`);
      assert(b.sent.every((f) => f.type !== 'position'), 'phone B sends no positions');
      assert((await a.page.textContent('#gps')).includes('定位中'), 'the GPS line');
      await shot(a, 'home-on-duty');
    });

    await check('field: an offer rings on both phones; a decline with a reason on one silences the other', async () => {
      first = await intake('F-1');
      await api.post(`/tickets/${first.id}/dispatch`, dispatcher, { vehicle_id: 'V-F1' });
      for (const p of [a, b]) await p.page.waitForSelector('#offer:not([hidden])', { timeout: 20000 });
      const what = await a.page.textContent('#offer .offer-what');
      assert(what.includes('假冒卷烟'), `category on the offer: ${what}`);
      assert((await a.page.textContent('#offer .offer-where')).includes('梅川镇'), 'the town on the offer');
      assert(/\d+ 秒内应答/.test(await a.page.textContent('#offer .offer-countdown')), 'a countdown');
      await shot(a, 'offer');
      const offerId = await a.page.getAttribute('#offer', 'data-offer-id');
      await until(() => a.sent.some((f) => f.type === 'offer.received' && f.offer_id === offerId), 'phone A to confirm the offer');
      assert(a.sent.some((f) => f.type === 'hello' && f.capabilities.includes('offer.received')), 'the page declares receipts');
      await b.page.click('#offer [data-act="decline"]');
      await b.page.selectOption('#offer select[name=reason]', 'too_far');
      await b.page.click('#offer .decline-form button[type=submit]');
      await b.page.waitForSelector('#offer', { state: 'hidden' });
      await a.page.waitForSelector('#offer', { state: 'hidden', timeout: 10000 });
      const events = await api.get(`/tickets/${first.id}/events`, dispatcher);
      const declined = (events.events || events).find((e) => e.type === 'ticket.offer_declined' || e.type === 'offer.declined');
      assert(declined && JSON.stringify(declined).includes('距离过远'), `the reason in the timeline: ${JSON.stringify(declined)}`);
    });

    await check('field: accepting an offer opens the way there: map, distance, bearing, GCJ-02 navigation', async () => {
      ticket = await intake('F-2');
      await api.post(`/tickets/${ticket.id}/dispatch`, dispatcher, { vehicle_id: 'V-F1' });
      await a.page.waitForSelector('#offer:not([hidden])', { timeout: 20000 });
      await a.page.click('#offer [data-act="accept"]');
      await a.page.waitForSelector(`#ticket[data-ticket-id="${ticket.id}"][data-tab="go"]`, { timeout: 20000 });
      await b.page.waitForSelector('#offer', { state: 'hidden', timeout: 10000 });
      await until(async () => (await api.get(`/tickets/${ticket.id}`, dispatcher)).status === 'en_route', 'en route');
      await a.page.waitForSelector('#ticket .site-map [data-site]');
      await until(async () => /公里|米/.test(await a.page.textContent('#ticket .nav-distance')), 'a distance');
      const bearing = await a.page.textContent('#ticket .nav-bearing');
      assert(/东北/.test(bearing), `the site lies north-east: ${bearing}`);
      const amap = await a.page.getAttribute('#ticket .nav-links a[data-app="amap"]', 'href');
      const m = /to=([\d.]+),([\d.]+),/.exec(amap);
      assert(m && amap.includes('coordinate=gaode'), amap);
      const gcj = { lng: Number(m[1]), lat: Number(m[2]) };
      const shift = Math.hypot((gcj.lat - SITE.lat) * 111320, (gcj.lng - SITE.lng) * 111320 * Math.cos(SITE.lat * Math.PI / 180));
      assert(shift > 250 && shift < 700, `GCJ-02 moves the pin ${shift.toFixed(0)} m`);
      const geo = await a.page.getAttribute('#ticket .nav-links a[data-app="geo"]', 'href');
      assert(geo.startsWith(`geo:${SITE.lat.toFixed(6)},${SITE.lng.toFixed(6)}`), `geo: stays WGS-84: ${geo}`);
      const vectors = await a.page.evaluate(async (vs) => {
        const nav = await import('/assets/js/field-nav.js');
        return vs.map(([la, ln]) => nav.wgs84ToGcj02(la, ln));
      }, GCJ_VECTORS);
      vectors.forEach((g, i) => {
        assert(Math.abs(g.lat - GCJ_VECTORS[i][2]) < 1e-7 && Math.abs(g.lng - GCJ_VECTORS[i][3]) < 1e-7, `vector ${i}: ${JSON.stringify(g)}`);
      });
      await shot(a, 'go');
      // Phone B heard the offer was taken on phone A, and shows the ticket too.
      await b.page.waitForSelector(`#ticket[data-ticket-id="${ticket.id}"]`, { timeout: 10000 });
      assert(await b.page.locator('#toasts .toast').filter({ hasText: '同车其他终端已接单' }).count() === 1, 'phone B says why');
    });

    await check('field: driving onto the site is detected as arrival; the page turns to the on-site pane', async () => {
      for (const [lat, lng] of [[30.015, 115.578], [30.02, 115.585], [SITE.lat, SITE.lng]]) {
        await a.context.setGeolocation({ latitude: lat, longitude: lng, accuracy: 5 });
        await new Promise((r) => setTimeout(r, 1200));
      }
      await until(async () => (await api.get(`/tickets/${ticket.id}`, dispatcher)).status === 'on_site', 'arrival detected', 20000);
      await a.page.waitForSelector('#ticket[data-tab="site"] .onsite-form', { timeout: 10000 });
      assert((await a.page.locator('#ticket .guide-steps li').count()) >= 5, 'the guide\'s handling steps');
      assert((await a.page.textContent('#ticket .guide-notice')).includes('先行登记保存'), 'the notice wording');
      assert((await a.page.textContent('#ticket .guide-basis')).includes('烟草专卖法'), 'the legal basis');
    });

    let photo;
    await check('field: the on-site record goes in with a photo taken on the page', async () => {
      photo = await a.page.evaluate(async () => {
        const cv = document.createElement('canvas');
        cv.width = 64; cv.height = 48;
        const g = cv.getContext('2d');
        g.fillStyle = '#c33'; g.fillRect(0, 0, 64, 48); g.fillStyle = '#fff'; g.fillText('假烟', 8, 28);
        const blob = await new Promise((r) => cv.toBlob(r, 'image/jpeg', 0.9));
        return Array.from(new Uint8Array(await blob.arrayBuffer()));
      });
      await a.page.fill('#ticket .onsite-form textarea[name=findings]', '店内柜台发现疑似假冒“黄鹤楼”卷烟12条，包装印刷粗糙');
      await a.page.fill('#ticket .onsite-form textarea[name=actions]', '先行登记保存，抽样2条送检，送达告知书');
      await a.page.selectOption('#ticket [data-pane="site"] .evidence-kind', 'photo');
      await a.page.setInputFiles('#ticket [data-pane="site"] .evidence-file', { name: 'shop.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(photo) });
      await a.page.waitForSelector('#ticket [data-pane="site"] .files li[data-kind="photo"] img', { timeout: 15000 });
      await shot(a, 'site');
      await a.page.click('#ticket .onsite-form button[type=submit]');
      await until(async () => (await api.get(`/tickets/${ticket.id}`, dispatcher)).status === 'reporting', 'on-site recorded');
      const tk = await api.get(`/tickets/${ticket.id}`, dispatcher);
      assert(tk.onsite.evidence.some((e) => e.kind === 'photo' && /^[0-9a-f]{64}$/.test(e.sha256)), `the record names the photo by hash: ${JSON.stringify(tk.onsite.evidence)}`);
      await a.page.waitForSelector('#ticket[data-tab="report"] .report-form', { timeout: 10000 });
    });

    await check('field: the report is refused by its gate, then completed, with what it needs ticked off live', async () => {
      const form = '#ticket .report-form';
      const findings = await a.page.inputValue(`${form} textarea[name=onsite_findings]`);
      assert(findings.includes('黄鹤楼'), `the draft is prefilled from the on-site record: ${findings}`);
      assert(await a.page.locator('#ticket .report-checklist li[data-need="evidence:photo"].done').count() === 1, 'the photo ticks its kind');
      assert(await a.page.locator('#ticket .report-checklist li[data-need="evidence:seizure_list"]:not(.done)').count() === 1, 'a seizure list is still wanted');
      await a.page.fill(`${form} textarea[name=conclusion]`, '');
      await a.page.click(`${form} button[type=submit]`);
      await until(async () => (await a.page.textContent(`${form} .form-error`)).length > 0, 'the gate\'s refusal');
      const refusal = await a.page.textContent(`${form} .form-error`);
      assert(/结论|证据|检查笔录/.test(refusal), `the refusal names what is missing: ${refusal}`);
      await shot(a, 'report-gate');
      for (const kind of ['inspection_record', 'sampling_record', 'identification_report', 'seizure_list', 'statement', 'notice_receipt']) {
        await a.page.selectOption('#ticket [data-pane="report"] .evidence-kind', kind);
        await a.page.setInputFiles('#ticket [data-pane="report"] .evidence-file', { name: `${kind}.pdf`, mimeType: 'application/pdf', buffer: pdf(kind) });
        await a.page.waitForSelector(`#ticket [data-pane="report"] .report-checklist li[data-need="evidence:${kind}"].done`, { timeout: 15000 });
      }
      await a.page.fill(`${form} textarea[name=handling]`, '依法先行登记保存，待鉴别检验结果后立案');
      await a.page.fill(`${form} textarea[name=conclusion]`, '举报属实，已依法处置');
      assert(await a.page.locator('#ticket .report-checklist li:not(.done)').count() === 0, 'everything ticked');
      await shot(a, 'report');
      await a.page.click(`${form} button[type=submit]`);
      await until(async () => (await api.get(`/tickets/${ticket.id}`, dispatcher)).status === 'in_review', 'in review');
      await a.page.waitForSelector('#ticket .report-sent', { timeout: 10000 });
    });

    await check('field: a review return shows its coded reasons; the rewrite starts from the last version and is approved', async () => {
      await api.post(`/tickets/${ticket.id}/review`, dispatcher, { decision: 'return', reasons: [{ code: 'missing_evidence', note: '请补充抽样送检单编号' }] });
      await a.page.waitForSelector('#ticket .returned-box', { timeout: 15000 });
      const box = await a.page.textContent('#ticket .returned-box');
      assert(box.includes('证据材料缺失') && box.includes('请补充抽样送检单编号') && box.includes('第 1 版'), `the return: ${box}`);
      const conclusion = await a.page.inputValue('#ticket .report-form textarea[name=conclusion]');
      assert(conclusion === '举报属实，已依法处置', `the rewrite starts from version 1: ${conclusion}`);
      await shot(a, 'returned');
      await a.page.fill('#ticket .report-form textarea[name=handling]', '依法先行登记保存，抽样送检单号 JY-2026-0107，待鉴别检验结果后立案');
      await a.page.click('#ticket .report-form button[type=submit]');
      await until(async () => (await api.get(`/tickets/${ticket.id}`, dispatcher)).status === 'in_review', 'in review again');
      const tk = await api.get(`/tickets/${ticket.id}`, dispatcher);
      assert(tk.report.version === 2 && tk.report.sections.handling.includes('JY-2026-0107'), `version 2: ${JSON.stringify(tk.report)}`);
      assert(tk.report.evidence.filter((e) => e.sha256).length >= 7, 'the files carried into version 2');
      await api.post(`/tickets/${ticket.id}/review`, dispatcher, { decision: 'pass' });
      await api.post(`/tickets/${ticket.id}/approval`, supervisor, { decision: 'approve' });
      await until(async () => /replying|awaiting_visit/.test((await api.get(`/tickets/${ticket.id}`, dispatcher)).status), 'approved');
      await until(async () => (await a.page.textContent('#ticket .th-status')).includes('待答复'), 'the phone to show it approved (replying)', 15000);
      assert(await a.page.locator('#ticket .report-sent').count() === 1, 'the report as sent');
      await shot(a, 'approved');
    });

    await check('field: fixes taken while the socket is down go in order after the reconnect', async () => {
      // Phone A alone on the vehicle: with phone B there, B would report while A is away.
      await b.context.close();
      await a.page.click('#back');
      await a.page.waitForSelector('#home:not([hidden])');
      await a.context.setOffline(true);
      await a.page.evaluate(() => window.hd.link.ws?.close());
      await a.page.waitForSelector('#conn[data-state="offline"]');
      const route = [[30.03, 115.60], [30.031, 115.601], [30.032, 115.602], [30.033, 115.603], [30.034, 115.604]];
      for (const [lat, lng] of route) {
        await a.context.setGeolocation({ latitude: lat, longitude: lng, accuracy: 6 });
        await new Promise((r) => setTimeout(r, 1200));
      }
      // And a long gap's worth more, kept at once (a second's fixes, 200 of them): more
      // than the socket's bucket takes at once.
      await a.page.evaluate(() => {
        const start = Date.now();
        for (let i = 0; i < 200; i += 1) window.hd.queue.items.push({ lat: 30.04 + i * 1e-5, lng: 115.61, ts: new Date(start + i * 4).toISOString() });
        window.hd.queue.save();
      });
      const queued = Number(await a.page.getAttribute('#gps', 'data-queued'));
      assert(queued >= route.length + 200, `${queued} fixes queued offline`);
      await shot(a, 'offline');
      const before = a.sent.length;
      const greeted = a.sockets.greeted;
      await a.context.setOffline(false);
      await a.page.waitForSelector('#conn[data-state="live"]', { timeout: 30000 });
      await until(async () => Number(await a.page.getAttribute('#gps', 'data-queued')) === 0, 'the queue emptied', 30000);
      const resent = a.sent.slice(before).filter((f) => f.type === 'position').flatMap((f) => f.fixes || [f]);
      const idx = route.map(([lat, lng]) => resent.findIndex((f) => Math.abs(f.lat - lat) < 1e-9 && Math.abs(f.lng - lng) < 1e-9));
      assert(idx.every((i) => i >= 0), `every offline fix was sent: ${JSON.stringify(idx)}`);
      assert(idx.every((i, k) => k === 0 || i > idx[k - 1]), `in order: ${JSON.stringify(idx)}`);
      const times = resent.map((f) => Date.parse(f.ts));
      assert(times.every((x, k) => k === 0 || x >= times[k - 1]), 'timestamps never go back');
      const p = (await live()).position;
      assert(Math.abs(p.lat - (30.04 + 199e-5)) < 1e-7, `the engine has the last one: ${JSON.stringify(p)}`);
      assert(!a.got.some((f) => f.type === 'error' && f.code === 'bad_batch'), 'no batch refused');
      const batches = a.sent.slice(before).filter((f) => f.type === 'position');
      assert(batches.every((f) => (f.fixes || [f]).length <= 50), 'no batch over the socket\'s limit');
      assert(batches.length >= 5, `${batches.length} batches: the backlog was paced`);
      assert(a.sockets.greeted === greeted + 1, `one reconnect, never cut off for flooding (${a.sockets.greeted - greeted} sockets)`);
      assert(!a.got.some((f) => f.type === 'error' && /flood/.test(f.message || '')), 'never flooding');
    });

    await check('field: an account manager in no crew chats and finishes a task in the ticket\'s group', async () => {
      let group = await api.get(`/groups/${ticket.id}`, dispatcher).catch(() => null);
      if (group?.active) {
        await api.post(`/groups/${ticket.id}/members`, dispatcher, { add: [{ staff_id: 'S-F3', role: 'assist', task: '核对该户订货与配送记录' }] });
      } else {
        await api.post(`/tickets/${ticket.id}/group`, dispatcher, { members: [{ staff_id: 'S-F1', role: 'lead', task: '现场检查与报告' }, { staff_id: 'S-F3', role: 'assist', task: '核对该户订货与配送记录' }] });
      }
      group = await api.get(`/groups/${ticket.id}`, dispatcher);
      await signIn(c, tokens.c);
      assert(await c.page.locator('#duty').isHidden(), 'no vehicle parts for staff in no crew');
      await c.page.waitForSelector(`#tickets li[data-ticket-id="${ticket.id}"]`, { timeout: 15000 });
      await c.page.click(`#tickets li[data-ticket-id="${ticket.id}"]`);
      await c.page.click('#ticket .tabs [data-tab="group"]');
      await c.page.waitForSelector('#ticket [data-member="S-F3"]');
      await c.page.fill('#ticket .chat-form input', '该户近三个月无此品规配送记录');
      await c.page.click('#ticket .chat-form button[type=submit]');
      await c.page.waitForSelector('#ticket .chat li.mine', { timeout: 10000 });
      await c.page.click('#ticket [data-member="S-F3"] .task-done');
      await c.page.waitForSelector('#ticket [data-member="S-F3"].done', { timeout: 10000 });
      const after = await api.get(`/groups/${ticket.id}`, dispatcher);
      assert(after.members.find((m) => m.staff_id === 'S-F3').task.done, 'the task is done');
      assert(after.messages.some((m) => m.author === 'S-F3' && m.text.includes('配送记录')), 'the message is in the group');
      await shot(c, 'group');
      // The inspector's phone follows the chat live.
      await a.page.click(`#tickets li[data-ticket-id="${ticket.id}"]`);
      await a.page.click('#ticket .tabs [data-tab="group"]');
      await a.page.waitForSelector('#ticket .chat li:not(.mine)', { timeout: 10000 });
      void group;
    });

    await check('field: the English switch translates the page', async () => {
      await c.page.click('#lang');
      await c.page.waitForFunction(() => document.querySelector('#ticket .tabs [data-tab="go"]').textContent === 'Go');
      await c.page.click('#lang');
    });

    await check('field: a revoked token signs the phone out at once and is forgotten', async () => {
      await api.revoke(manager.id);
      await c.page.waitForSelector('#signin:not([hidden])', { timeout: 10000 });
      assert((await c.page.textContent('#signin .signin-error')).includes('吊销'), 'the page says why');
      assert(await c.page.evaluate(() => localStorage.getItem('hd.field.token')) === null, 'the token is forgotten');
      assert(await c.page.locator('#tickets li').count() === 0, 'no ticket left on the screen');
      await shot(c, 'signed-out');
    });

    await check('field: the installed shell opens with no network', async () => {
      await a.page.evaluate(async () => navigator.serviceWorker.ready);
      await a.context.setOffline(true);
      await a.page.goto(`${engine.base}/field`);
      await a.page.waitForSelector('#home:not([hidden])', { timeout: 15000 });
      await a.page.waitForSelector('#conn[data-state="offline"]');
      await shot(a, 'offline-shell');
      await a.context.setOffline(false);
    });
  } finally {
    await browser.close();
  }
}
