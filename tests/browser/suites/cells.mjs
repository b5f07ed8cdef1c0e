// The console tells the engine what its map shows: a `viewport` frame (box and zoom) once
// the stream is live and again after a pan or zoom. At the county's zoom (zoomed out) the
// off-duty vehicles known only through a GPS gateway are drawn as a count in their H3
// cell, not as markers, while a vehicle with its app on duty keeps its marker; zoomed in,
// the counts go and those vehicles are drawn one by one.
import { join } from 'node:path';
import { VehicleClient, until, ADMIN } from '../lib.mjs';

export default async function ({ engine, api, browser, check, assert, errors, OUT }) {
  await api.post('/teams', ADMIN, { id: 'T-1', name: '执法一中队', department: 'enforcement' });
  for (const n of ['1', '2', '3']) {
    await api.post('/staff', ADMIN, { id: `S-${n}`, name: `市管员${n}`, role: 'inspector', department: 'enforcement', team_id: 'T-1', badge: `ZM-C${n}` });
    await api.post('/vehicles', ADMIN, { id: `V-${n}`, plate: `鄂J·C000${n}`, team_id: 'T-1', department: 'enforcement', crew: [`S-${n}`] });
  }
  const dispatcher = await api.token('dispatcher', null);
  const gateway = await api.token('platform', 'gps-gateway');
  // V-1: its app, on duty. V-2 and V-3: off duty, fixes from the gateway, side by side.
  const v1 = new VehicleClient(engine.base, await api.token('field', 'vehicle:V-1'));
  await v1.open;
  v1.send({ type: 'status', status: 'available' });
  v1.position(30.05, 115.50);
  const fixes = [{ vehicle_id: 'V-2', lat: 30.0201, lng: 115.5851 }, { vehicle_id: 'V-3', lat: 30.0203, lng: 115.5853 }];
  const posted = await fetch(`${engine.base}/api/v1/positions`, { method: 'POST', headers: { Authorization: `Bearer ${gateway}`, 'Content-Type': 'application/json' }, body: JSON.stringify(fixes) });
  assert(posted.ok, `positions: ${posted.status}`);

  const page = await browser.context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  const sent = [];
  page.on('websocket', (ws) => {
    if (!ws.url().includes('/ws/console')) return;
    ws.on('framesent', (f) => { try { const x = JSON.parse(f.payload); if (x.type === 'viewport') sent.push(x); } catch { /* not JSON */ } });
  });
  await page.setViewportSize({ width: 1600, height: 1000 });
  await page.goto(`${engine.base}/console`);
  await page.fill('#signin input', dispatcher);
  await page.click('#signin button[type=submit]');
  await page.waitForSelector('#conn[data-state="live"]', { timeout: 30000 });

  await check('the console sends its viewport and shows idle vehicles as cell counts when zoomed out', async () => {
    const first = await until(() => sent[0], 'a viewport frame');
    assert(Array.isArray(first.bbox) && first.bbox.length === 4, `a box: ${JSON.stringify(first)}`);
    assert(first.bbox[0] < 115.585 && first.bbox[2] > 115.585 && first.bbox[1] < 30.02 && first.bbox[3] > 30.02, `the county in the box: ${first.bbox}`);
    assert(first.zoom < 12, `the county's zoom is zoomed out: ${first.zoom}`);
    const count = page.locator('.cell-count');
    await until(async () => (await count.count()) === 1 && (await count.first().getAttribute('data-off-duty')) === '2', 'one cell counting two off-duty vehicles');
    assert((await count.first().textContent()).trim() === '2', 'the count is drawn');
    await page.waitForSelector('[data-vehicle-id="V-1"]');
    await until(async () => (await page.locator('[data-vehicle-id="V-2"], [data-vehicle-id="V-3"]').count()) === 0, 'no marker of a counted vehicle');
    await page.screenshot({ path: join(OUT, 'console-cells.png') });
  });

  await check('zoomed in, the console sends its new view and draws those vehicles one by one', async () => {
    const before = sent.length;
    await page.evaluate(() => window.hd.map.map.setView([30.0202, 115.5852], 15));
    const view = await until(() => sent.slice(before).find((f) => f.zoom >= 12), 'the zoomed-in viewport frame');
    assert(view.bbox[0] > 115.5 && view.bbox[2] < 115.7, `a smaller box: ${view.bbox}`);
    await page.waitForSelector('[data-vehicle-id="V-2"]');
    await page.waitForSelector('[data-vehicle-id="V-3"]');
    await until(async () => (await page.locator('.cell-count').count()) === 0, 'the counts gone');
    // Out again: counted once more.
    await page.evaluate(() => window.hd.map.map.setView([30.02, 115.6], 10));
    await until(async () => (await page.locator('.cell-count[data-off-duty="2"]').count()) === 1, 'counted again');
    await until(async () => (await page.locator('[data-vehicle-id="V-2"]').count()) === 0, 'V-2 counted, not drawn');
  });

  v1.close();
  await page.close();
}
