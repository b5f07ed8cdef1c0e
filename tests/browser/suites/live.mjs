// The console follows the fleet as it is: a vehicle's marker changes colour live as the
// crew goes en route, on site and back (every `vehicle.status` frame applied, though it
// carries the `seq` of the ticket event before it); the unit status board lists every
// vehicle with its squad, crew, status, online, fix age and ticket, sorts, filters, follows
// the stream and centres the map on a click; a vehicle sent on to another ticket keeps only
// the line to it; an override can pick busy and declined vehicles, marked; grade I alerts
// arrive grouped in one area with a count, acknowledged one by one or all at once; a vague
// ticket's retailer candidates are on the map, the registry is searched from the detail and
// a place picked on the map becomes the ticket's position when the triage is confirmed.
import { join } from 'node:path';
import { VehicleClient, until, ADMIN, openConsole } from '../lib.mjs';

const SITE = { lat: 30.021, lng: 115.586 };
const CSV = 'licence,name,owner,address,town,lat,lng,market_inspector,account_manager\n'
  + '421182100001,梅川镇老李烟酒店,李某甲,梅川镇正街18号,梅川镇,30.0200,115.5850,,\n'
  + '421182100002,梅川镇兴旺超市,王某乙,梅川镇新街3号,梅川镇,30.0300,115.5900,,\n'
  + '421182100003,余川镇兴旺副食店,张某丙,余川镇老街9号,余川镇,30.0650,115.6400,,\n';

export default async function ({ engine, api, browser, check, assert, errors, OUT }) {
  await api.post('/teams', ADMIN, { id: 'T-1', name: '执法一中队', department: 'enforcement' });
  await api.post('/teams', ADMIN, { id: 'T-2', name: '执法二中队', department: 'enforcement' });
  // V-3 never connects (offline, no fix); V-4 comes on duty while the unit board is open.
  const fleet = [['1', '市管员甲', 'T-1'], ['2', '市管员乙', 'T-1'], ['3', '市管员丙', 'T-2'], ['4', '市管员丁', 'T-2'], ['5', '市管员戊', 'T-1'], ['6', '市管员己', 'T-1']];
  for (const [n, nm, team] of fleet) {
    await api.post('/staff', ADMIN, { id: `S-${n}`, name: nm, role: 'inspector', department: 'enforcement', team_id: team, badge: `ZM-S${n}` });
    await api.post('/vehicles', ADMIN, { id: `V-${n}`, plate: `鄂J·L000${n}`, team_id: team, department: 'enforcement', crew: [`S-${n}`] });
  }
  const imported = await fetch(`${engine.base}/api/v1/retailers/import`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'text/csv' }, body: CSV });
  assert(imported.ok, `import: ${imported.status}`);
  const dispatcher = await api.token('dispatcher', null);
  const tokens = {};
  for (const [n] of fleet) tokens[`V-${n}`] = await api.token('field', `vehicle:V-${n}`);
  const onDuty = async (id, lat, lng) => {
    const v = new VehicleClient(engine.base, tokens[id]);
    await v.open;
    v.send({ type: 'status', status: 'available' });
    v.position(lat, lng);
    return v;
  };
  const v1 = await onDuty('V-1', SITE.lat + 0.02, SITE.lng);
  const v2 = await onDuty('V-2', SITE.lat - 0.02, SITE.lng);
  const v5 = await onDuty('V-5', SITE.lat, SITE.lng + 0.02);
  const v6 = await onDuty('V-6', SITE.lat, SITE.lng - 0.02);
  let v4;
  const intake = (ext, extra = {}) => api.post('/tickets', dispatcher, {
    source: '12313', external_id: ext, kind: 'report', description: `梅川镇烟酒店疑似销售假冒卷烟（${ext}）`,
    address_text: '梅川镇正街18号', category: 'counterfeit', urgency: 'III', location: SITE, ...extra,
  });
  const ticket = (id) => api.get(`/tickets/${id}`, dispatcher);

  const page = await openConsole(browser, engine.base, dispatcher, errors);
  const open = async (number) => {
    await page.click(`.queue-item[data-number="${number}"]`, { timeout: 30000 });
    await page.waitForSelector(`.detail-number:text-is("${number}")`);
  };
  // Acknowledges whatever alert is up (a ticket nobody could be offered raises one).
  const clearAlerts = async () => {
    await page.waitForTimeout(500);
    while (await page.locator('#alert:not([hidden]) [data-act="ack"]').count()) await page.locator('#alert [data-act="ack"]').first().click();
  };
  const marker = (id, status) => page.waitForSelector(`.veh[data-vehicle-id="${id}"][data-status="${status}"]`, { timeout: 15000 });
  const colour = (id) => page.$eval(`.veh[data-vehicle-id="${id}"]`, (el) => el.style.getPropertyValue('--c'));

  let first;
  await check('a vehicle marker changes colour live: available, en route, on site, returning', async () => {
    await marker('V-1', 'available');
    const seen = [await colour('V-1')];
    first = await intake('L-1');
    await api.post(`/tickets/${first.id}/triage`, dispatcher, {});
    await api.post(`/tickets/${first.id}/dispatch`, dispatcher, { vehicle_id: 'V-1' });
    const offer = await v1.next((f) => f.type === 'offer' && f.ticket.id === first.id, 'the offer');
    // `offered` comes and goes in the same breath as the acceptance: not asserted.
    v1.send({ type: 'offer.accept', offer_id: offer.offer_id });
    await marker('V-1', 'en_route');
    seen.push(await colour('V-1'));
    await page.screenshot({ path: join(OUT, 'live-en-route.png') });
    v1.send({ type: 'arrived' });
    await marker('V-1', 'on_site');
    seen.push(await colour('V-1'));
    const guide = await api.get('/catalog/counterfeit', dispatcher);
    const evidence = guide.report_evidence.map((kind) => ({ kind, reference: `att-${kind}` }));
    await api.post(`/tickets/${first.id}/onsite-record`, tokens['V-1'], { findings: '查见疑似假烟 3 条', actions: '先行登记保存', evidence });
    await marker('V-1', 'returning');
    seen.push(await colour('V-1'));
    assert(new Set(seen).size === 4, `four colours, one per status: ${seen}`);
    assert(await page.getAttribute('#conn', 'data-state') === 'live', 'from the stream, not a poll');
    const engineView = await api.get('/vehicles/V-1/live', dispatcher);
    assert(engineView.status === 'returning', `the engine agrees: ${engineView.status}`);
    await page.screenshot({ path: join(OUT, 'live-returning.png') });
  });

  await check('the unit status board lists every vehicle, sorts, filters, follows the stream and centres the map', async () => {
    await page.click('#units-toggle');
    const rows = page.locator('#units tbody tr[data-unit]');
    await until(async () => (await rows.count()) === 6, 'six vehicles, not only the available ones');
    const row = (id) => page.locator(`#units tr[data-unit="${id}"]`);
    const status = (await api.get('/vehicles/V-1/live', dispatcher)).status;
    await page.waitForSelector(`#units tr[data-unit="V-1"][data-status="${status}"]`);
    const v1Row = await row('V-1').textContent();
    for (const text of ['鄂J·L0001', '执法一中队', '市管员甲', { available: '空闲', returning: '返回中', en_route: '赶赴中', on_site: '在现场' }[status], '在线']) {
      assert(v1Row.includes(text), `V-1's row shows ${text}: ${v1Row}`);
    }
    assert(/前/.test(await row('V-1').locator('td.fix').textContent()), 'the age of the last fix');
    const v3Row = await row('V-3').textContent();
    for (const text of ['鄂J·L0003', '执法二中队', '市管员丙', '收班', '离线', '无定位']) assert(v3Row.includes(text), `V-3's row shows ${text}: ${v3Row}`);
    // Filters: status, squad, text.
    const listed = async () => (await rows.evaluateAll((els) => els.map((e) => e.dataset.unit))).sort().join();
    await page.selectOption('[data-unit-filter="team"]', 'T-2');
    await until(async () => (await listed()) === 'V-3,V-4', 'the squad filter');
    await page.selectOption('[data-unit-filter="team"]', '');
    await page.selectOption('[data-unit-filter="online"]', 'offline');
    await until(async () => (await listed()) === 'V-3,V-4', 'the offline filter');
    await page.selectOption('[data-unit-filter="online"]', '');
    await page.selectOption('[data-unit-filter="status"]', 'off_duty');
    await until(async () => (await listed()) === 'V-3,V-4', 'the status filter');
    await page.selectOption('[data-unit-filter="status"]', '');
    await page.fill('[data-unit-filter="text"]', '市管员乙');
    await until(async () => (await listed()) === 'V-2', 'the text filter (crew)');
    await page.fill('[data-unit-filter="text"]', '');
    // Sorting by plate, both ways.
    await page.click('#units th[data-sort="plate"]');
    const order = () => rows.evaluateAll((els) => els.map((e) => e.dataset.unit).join(','));
    await until(async () => (await order()) === 'V-1,V-2,V-3,V-4,V-5,V-6', 'plates ascending');
    await page.click('#units th[data-sort="plate"]');
    await until(async () => (await order()) === 'V-6,V-5,V-4,V-3,V-2,V-1', 'plates descending');
    // Live: V-4 comes on duty; its row follows without a reload.
    v4 = await onDuty('V-4', SITE.lat - 0.01, SITE.lng + 0.01);
    await page.waitForSelector('#units tr[data-unit="V-4"][data-status="available"][data-online="true"]', { timeout: 15000 });
    // A click centres the map on the vehicle.
    await page.evaluate(() => window.hd.map.map.setView([29.9, 115.4], 11));
    await row('V-4').click();
    await until(async () => {
      const c = await page.evaluate(() => window.hd.map.map.getCenter());
      return Math.abs(c.lat - (SITE.lat - 0.01)) < 0.001 && Math.abs(c.lng - (SITE.lng + 0.01)) < 0.001;
    }, 'the map centred on V-4');
    await page.waitForSelector('.veh.focused[data-vehicle-id="V-4"]');
    await page.screenshot({ path: join(OUT, 'live-units.png') });
    await page.click('#units-toggle');
  });

  let third;
  await check('a vehicle sent on to another ticket keeps only the line to it', async () => {
    const second = await intake('L-2');
    third = await intake('L-3', { location: { lat: SITE.lat + 0.03, lng: SITE.lng + 0.03 } });
    for (const tk of [second, third]) await api.post(`/tickets/${tk.id}/triage`, dispatcher, {});
    await api.post(`/tickets/${second.id}/dispatch`, dispatcher, { vehicle_id: 'V-2', assign: true });
    await page.waitForSelector(`[data-line-ticket="${second.id}"]`, { timeout: 15000 });
    v2.send({ type: 'arrived' });
    await until(async () => (await ticket(second.id)).status === 'on_site', 'on site');
    // Sent on, with an override, while the first ticket is still on site.
    await api.post(`/tickets/${third.id}/dispatch`, dispatcher, { vehicle_id: 'V-2', assign: true, override: true });
    await page.waitForSelector(`[data-line-ticket="${third.id}"]`, { timeout: 15000 });
    assert((await ticket(second.id)).status === 'on_site', 'the first ticket still names V-2 on site');
    await until(async () => (await page.locator(`[data-line-ticket="${second.id}"]`).count()) === 0, 'no line to the site V-2 left');
    assert(await page.locator('.dist-label').count() === 1, 'one line in all');
    await page.screenshot({ path: join(OUT, 'live-lines.png') });
  });

  await check('an override lists busy and declined vehicles, marked, and sends a busy one', async () => {
    // V-5 is sent to another ticket (busy); V-6 declines this one.
    const elsewhere = await intake('L-4b', { location: { lat: SITE.lat + 0.05, lng: SITE.lng } });
    await api.post(`/tickets/${elsewhere.id}/triage`, dispatcher, {});
    await api.post(`/tickets/${elsewhere.id}/dispatch`, dispatcher, { vehicle_id: 'V-5', assign: true });
    const fourth = await intake('L-4');
    await api.post(`/tickets/${fourth.id}/triage`, dispatcher, {});
    await api.post(`/tickets/${fourth.id}/dispatch`, dispatcher, { vehicle_id: 'V-6' });
    const offer = await v6.next((f) => f.type === 'offer' && f.ticket.id === fourth.id, 'the offer');
    v6.send({ type: 'offer.decline', offer_id: offer.offer_id, reason: '车辆故障' });
    const events = () => api.get(`/tickets/${fourth.id}/events`, dispatcher);
    // The engine offers it on (or alerts that nobody is left); an offer it made is called off.
    await until(async () => { const ev = await events(); const i = ev.findIndex((e) => e.type === 'offer.declined'); return i >= 0 && ev.slice(i + 1).some((e) => ['offer.sent', 'alert'].includes(e.type)); }, 'the engine moves on');
    if ((await ticket(fourth.id)).offers?.some((o) => o.state === 'open') || (await events()).at(-1).type === 'offer.sent') {
      await api.post(`/tickets/${fourth.id}/dispatch/cancel`, dispatcher, { reason: '改为人工调度' }, [200, 409, 422]);
    }
    await clearAlerts();
    await open(fourth.number);
    await page.click('[data-tab="dispatch"]');
    const busy = page.locator('tr[data-vehicle-row="V-5"]');
    await busy.waitFor({ timeout: 15000 });
    assert(await busy.getAttribute('data-busy') === 'true', 'V-5 (en route elsewhere) is listed as busy');
    assert((await busy.textContent()).includes('忙碌'), `marked busy: ${await busy.textContent()}`);
    const declined = page.locator('tr[data-vehicle-row="V-6"]');
    assert(await declined.getAttribute('data-declined') === 'true', 'V-6 is listed as having declined');
    assert((await declined.textContent()).includes('已拒此单'), 'marked declined');
    await page.screenshot({ path: join(OUT, 'live-override.png') });
    await busy.locator('[data-act="override"]').click();
    const sent = await v5.next((f) => f.type === 'offer' && f.ticket.id === fourth.id, 'the override offer');
    assert(sent.ticket.number === fourth.number, 'V-5 is offered the ticket');
  });

  await check("a vague ticket's candidates are on the map, the registry is searched and a place picked on the map is set", async () => {
    const vague = await intake('L-5', { description: '兴旺那家店好像卖假烟', location: undefined, address_text: undefined });
    assert(!vague.location?.position && vague.retailer_candidates.length >= 2, `vague, with candidates: ${JSON.stringify(vague.retailer_candidates)}`);
    await open(vague.number);
    await page.click('[data-tab="overview"]');
    for (const c of vague.retailer_candidates) {
      await page.waitForSelector(`.place-pin.candidate[data-licence="${c.licence}"]`, { state: 'attached', timeout: 15000 });
    }
    await page.fill('#place-q', '老李烟酒店');
    await page.click('[data-place="search"]');
    await page.waitForSelector('.place-hits [data-hit="421182100001"]', { timeout: 15000 });
    await page.waitForSelector('.place-pin.search[data-licence="421182100001"]', { state: 'attached' });
    await page.screenshot({ path: join(OUT, 'live-search.png') });
    await page.click('.place-hits [data-hit="421182100001"] [data-place="use"]');
    // The ticket waits for triage: the shop joins the triage panel's picks, nothing is sent.
    await page.waitForSelector('[data-picked-retailer="421182100001"]');
    assert((await page.textContent('[data-picked-retailer="421182100001"]')).includes('老李烟酒店'), 'the picked shop is named');
    await new Promise((r) => setTimeout(r, 500));
    assert((await ticket(vague.id)).status === 'received', 'taking a shop does not triage the ticket');
    // Pick on map: a click on the map becomes the ticket's position once the triage is confirmed.
    await page.waitForSelector('[data-place="pick"]');
    await page.click('[data-place="pick"]');
    await page.waitForSelector('[data-picking="true"]');
    const box = await page.locator('#map').boundingBox();
    const at = { x: Math.round(box.width * 0.4), y: Math.round(box.height * 0.35) };
    const expected = await page.evaluate(({ x, y }) => window.hd.map.map.containerPointToLatLng([x, y]), at);
    await page.mouse.click(box.x + at.x, box.y + at.y);
    await page.waitForSelector('.place-picked');
    assert(await page.locator('[data-picked="true"]').count() === 1, 'the picked point is on the map');
    await page.screenshot({ path: join(OUT, 'live-pick.png') });
    await page.click('[data-place="pick-set"]');
    await page.waitForSelector('[data-picked-location]');
    assert(await page.locator('[data-picked-retailer]').count() === 0, 'a point picked replaces the shop picked');
    assert((await ticket(vague.id)).status === 'received', 'picking a point does not triage the ticket');
    await page.click('[data-act="triage"]');
    const placed = await until(async () => {
      const x = await ticket(vague.id);
      const p = x.location?.position;
      return p && Math.abs(p.lat - expected.lat) < 1e-5 && Math.abs(p.lng - expected.lng) < 1e-5 ? x : null;
    }, 'the picked position set');
    assert(placed.location.precision === 'given', `an exact place now: ${placed.location.precision}`);
    const ev = (await api.get(`/tickets/${vague.id}/events`, dispatcher)).filter((e) => e.type === 'ticket.triaged').at(-1);
    assert(ev?.by_role === 'dispatcher', 'recorded as the dispatcher\'s triage');
    await page.waitForSelector(`.pin[data-ticket-id="${vague.id}"]`, { timeout: 15000 });
  });

  await check('grade I alerts come grouped with a count, acknowledged one by one or all at once', async () => {
    const alarms = [];
    for (let i = 0; i < 5; i++) alarms.push(await intake(`L-A${i}`, { category: 'unlicensed_transport', urgency: 'I', location: { lat: 29.9 + i * 0.01, lng: 115.45 } }));
    const shown = () => page.locator('#alert:not([hidden]) .alert-item').evaluateAll((els) => els.map((e) => e.dataset.alertKey).sort().join());
    await until(async () => (await shown()) === alarms.map((a) => a.id).sort().join(), 'five alerts in one area');
    assert((await page.textContent('#alert .alert-count')).includes('5'), 'the count');
    assert(await page.locator('#alert .alert-box .alert-body > .alert-item').count() === 5, 'all five in the one alert area');
    await page.screenshot({ path: join(OUT, 'live-alerts.png') });
    await page.click(`#alert .alert-item[data-alert-key="${alarms[2].id}"] [data-act="ack"]`);
    await until(async () => (await page.locator('#alert .alert-item').count()) === 4, 'one acknowledged');
    assert(await page.locator(`#alert [data-alert-ticket="${alarms[2].id}"]`).count() === 0, 'that one left');
    await page.waitForSelector(`.detail-number:text-is("${alarms[2].number}")`);
    await page.click('#alert [data-act="ack-all"]');
    await page.waitForSelector('#alert', { state: 'hidden' });
    const acked = await page.evaluate(() => [...window.hd.alerts.acked]);
    for (const a of alarms) assert(acked.includes(a.id), `${a.number} acknowledged, not dropped`);
    // A resume does not raise them again.
    await page.evaluate(() => window.hd.stream.drop());
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 30000 });
    await page.waitForTimeout(1000);
    assert(await page.locator('#alert .alert-item').count() === 0, 'nothing raised twice');
  });

  for (const v of [v1, v2, v4, v5, v6]) v?.close();
  await page.close();
}
