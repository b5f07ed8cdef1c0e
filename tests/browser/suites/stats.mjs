// The stats page speaks the reader's language: the CSV picker names its tables (no raw
// codes), the CSV it saves opens right in Excel (a UTF-8 BOM) and names squads and staff
// beside their ids, there are charts per squad and per department (named, not ids), and
// the guide's time limits per category are shown from the catalog.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ADMIN } from '../lib.mjs';

export default async function ({ engine, api, browser, check, assert, errors, OUT }) {
  await api.post('/teams', ADMIN, { id: 'T-ENF-1', name: '执法一中队', department: 'enforcement' });
  await api.post('/teams', ADMIN, { id: 'T-MKT-1', name: '营销服务组', department: 'marketing' });
  await api.post('/staff', ADMIN, { id: 'S-001', name: '市管员甲', role: 'inspector', department: 'enforcement', team_id: 'T-ENF-1', badge: 'ZM-0001' });
  await api.post('/vehicles', ADMIN, { id: 'V-1', plate: '鄂J·S0001', team_id: 'T-ENF-1', department: 'enforcement', crew: ['S-001'] });
  await api.post('/vehicles', ADMIN, { id: 'V-2', plate: '鄂J·S0002', team_id: 'T-ENF-1', department: 'enforcement', crew: [] });
  const dispatcher = await api.token('dispatcher', null);
  const intake = (ext, category, kind = 'report') => api.post('/tickets', dispatcher, {
    source: '12313', external_id: ext, kind, description: `梅川镇烟酒店问题（${ext}）`,
    address_text: '梅川镇正街18号', category, urgency: 'III', location: { lat: 30.021, lng: 115.586 },
  });
  for (const n of [1, 2]) {
    const tk = await intake(`ST-${n}`, 'counterfeit');
    await api.post(`/tickets/${tk.id}/triage`, dispatcher, {});
    await api.post(`/tickets/${tk.id}/dispatch`, dispatcher, { vehicle_id: `V-${n}`, assign: true, override: true });
  }
  await intake('ST-3', 'order_consultation', 'consultation');
  const guide = await api.get('/catalog', dispatcher);

  const page = await browser.context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.setViewportSize({ width: 1600, height: 1300 });
  await page.goto(`${engine.base}/stats`);
  await page.fill('#signin input', dispatcher);
  await page.click('#signin button[type=submit]');
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 30000 });
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(OUT, 'stats.png'), fullPage: true });

  await check('stats: the CSV picker names its tables in the page language', async () => {
    const labels = await page.$$eval('#csv-kind option', (os) => os.map((o) => [o.value, o.textContent.trim()]));
    assert(labels.length === 6, `six tables: ${JSON.stringify(labels)}`);
    for (const [value, label] of labels) {
      assert(label && label !== value && /[\u4e00-\u9fff]/.test(label), `"${value}" shown as "${label}"`);
    }
    await page.click('#lang');
    const en = await page.$$eval('#csv-kind option', (os) => os.map((o) => o.textContent.trim()));
    assert(en.every((l) => l && !/[\u4e00-\u9fff]/.test(l)) && en.includes('Squads'), `English labels: ${en}`);
    await page.click('#lang');
  });

  await check('stats: the CSV saved opens in Excel (UTF-8 BOM) and names squads beside their ids', async () => {
    await page.selectOption('#csv-kind', 'teams');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
    const file = readFileSync(await download.path());
    assert(file[0] === 0xef && file[1] === 0xbb && file[2] === 0xbf, `a UTF-8 BOM: ${[...file.subarray(0, 3)]}`);
    const text = file.toString('utf8').replace(/^\uFEFF/, '');
    const [header, row] = text.split('\n');
    const cols = header.split(',');
    assert(cols[1] === 'key' && cols.includes('name'), `ids kept, names added: ${header}`);
    const cells = row.split(',');
    assert(cells[1] === 'T-ENF-1' && cells[cols.indexOf('name')] === '执法一中队', `the squad by id and name: ${row}`);
  });

  await check('stats: charts per squad and per department, by name', async () => {
    for (const id of ['chart-teams', 'chart-departments']) {
      assert(await page.locator(`#${id} svg .bar`).count() > 0, `${id} has bars`);
    }
    const teams = await page.textContent('#chart-teams');
    assert(teams.includes('执法一中队') && !teams.includes('T-ENF-1'), `squads by name: ${teams}`);
    assert(/2 件/.test(teams), `the squad's tickets counted: ${teams}`);
    const depts = await page.textContent('#chart-departments');
    assert(depts.includes('专卖') && depts.includes('营销') && !depts.includes('enforcement'), `departments by name: ${depts}`);
    const counterfeit = guide.categories.find((c) => c.code === 'counterfeit').name_zh;
    for (const id of ['chart-handling', 'chart-rates']) {
      const text = await page.textContent(`#${id}`);
      assert(text.includes(counterfeit) && !text.includes('counterfeit'), `${id} names categories: ${text}`);
    }
  });

  await check('stats: the guide\'s time limits per category, from the catalog', async () => {
    const rows = await page.locator('#limits tr[data-limits]').count();
    assert(rows === guide.categories.length, `one row per category: ${rows} of ${guide.categories.length}`);
    const c = guide.categories.find((x) => x.code === 'counterfeit');
    const limits = (c.sla && c.sla[c.urgency]) || guide.sla_hours[c.urgency];
    const cells = await page.$$eval('#limits tr[data-limits="counterfeit"] td', (tds) => tds.map((td) => td.textContent.trim()));
    assert(cells[0] === c.name_zh, `named: ${cells}`);
    assert(cells.includes(String(limits.on_site)) && cells.includes(String(limits.total)), `its on-site and total limits (${limits.on_site}, ${limits.total}): ${cells}`);
    const head = await page.textContent('#limits thead');
    assert(head.includes('现场处置') && head.includes('总时限'), `stages named: ${head}`);
  });

  await page.close();
}
