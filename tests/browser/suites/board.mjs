// The hall screen at 1920×1080 tells the truth and fits: no cell of the progress table is
// cut off (full ticket numbers, squad names, subjects, "3.4 公里"), both tables page rather
// than run off their panels, no two labels on the map cover each other, a squad's median
// arrival reads in seconds or minutes (never "0.0 分"; "—" with no arrival), each row says
// whether its crew is en route or on site, and the vehicles out on shown tickets are drawn
// in their coarse cells (出勤点位) — never the vehicle on a hidden (grade I) ticket, which
// appears only once archived, as done.
import { join } from 'node:path';
import { VehicleClient, until, ADMIN } from '../lib.mjs';

const TOWNS = [
  ['武穴街道', 29.844, 115.561], ['刊江街道', 29.872, 115.500], ['田镇街道', 29.905, 115.405],
  ['万丈湖街道', 29.880, 115.625], ['梅川镇', 30.020, 115.585], ['余川镇', 30.065, 115.640],
  ['花桥镇', 30.110, 115.700], ['大金镇', 30.150, 115.780], ['石佛寺镇', 29.955, 115.670],
];
const SQUADS = 9;

/** Metres between two points. */
function metres(a, b) {
  const r = Math.PI / 180;
  const x = (b.lng - a.lng) * r * Math.cos(((a.lat + b.lat) / 2) * r);
  const y = (b.lat - a.lat) * r;
  return Math.hypot(x, y) * 6371000;
}

export default async function ({ engine, api, browser, check, assert, errors, OUT, CANARY }) {
  const dispatcher = await api.token('dispatcher', null);
  const supervisor = await api.token('supervisor', null);
  const boardToken = await api.token('board', null);
  // Nine squads with long names, one vehicle each, and the raid squad's vehicle.
  const vehicles = [];
  for (let i = 0; i < SQUADS; i++) {
    const team = `T-B${i}`;
    await api.post('/teams', ADMIN, { id: team, name: `${TOWNS[i][0]}专卖管理第${i + 1}中队`, department: 'enforcement' });
    await api.post('/staff', ADMIN, { id: `S-B${i}`, name: `市管员${i}`, role: 'inspector', department: 'enforcement', team_id: team, badge: `ZM-09${i}${i}` });
    await api.post('/vehicles', ADMIN, { id: `V-B${i}`, plate: `鄂J·B000${i}`, team_id: team, department: 'enforcement', crew: [`S-B${i}`] });
  }
  await api.post('/vehicles', ADMIN, { id: 'V-RAID', plate: '鄂J·R9999', team_id: 'T-B0', department: 'enforcement', crew: [] });
  for (let i = 0; i < SQUADS; i++) vehicles.push(new VehicleClient(engine.base, await api.token('field', `vehicle:V-B${i}`)));
  const raid = new VehicleClient(engine.base, await api.token('field', 'vehicle:V-RAID'));
  await Promise.all([...vehicles, raid].map((v) => v.open));
  // Off duty until sent (an available vehicle would be offered the tickets on their own).

  const intake = (ext, category, urgency, [town, lat, lng]) => api.post('/tickets', dispatcher, {
    source: '12313', external_id: ext, kind: 'report', description: `${CANARY.name}（电话${CANARY.phone}）反映：${town}一烟酒店问题`,
    reporter: { name: CANARY.name, phone: CANARY.phone, anonymous: false }, address_text: `${town}${CANARY.address}`,
    category, urgency, location: { lat, lng },
  });
  const send = async (tk, vehicle) => {
    await api.post(`/tickets/${tk.id}/triage`, dispatcher, {});
    await api.post(`/tickets/${tk.id}/dispatch`, dispatcher, { vehicle_id: vehicle, assign: true, override: true });
  };
  const status = async (id) => (await api.get(`/tickets/${id}`, dispatcher)).status;

  // One ticket per squad, each in its own town; every vehicle about 3.4 km south of its site.
  const tickets = [];
  for (let i = 0; i < SQUADS; i++) {
    const category = i % 2 ? 'licence_violation' : 'sale_to_minors';
    const tk = await intake(`BD-${i}`, category, 'III', TOWNS[i]);
    vehicles[i].position(TOWNS[i][1] - 0.0306, TOWNS[i][2]);
    await send(tk, `V-B${i}`);
    tickets.push(tk);
  }
  // The first crew arrives on site (its squad now has an arrival time).
  vehicles[0].position(TOWNS[0][1], TOWNS[0][2]);
  vehicles[0].send({ type: 'arrived' });
  await until(async () => (await status(tickets[0].id)) === 'on_site', 'the first crew on site');
  // A raid: a grade I ticket in 四望镇, its vehicle driving there.
  const raidSite = { lat: 30.0, lng: 115.47 };
  const hidden = await intake('BD-RAID', 'counterfeit', 'I', ['四望镇', raidSite.lat, raidSite.lng]);
  raid.position(29.96, 115.47);
  await send(hidden, 'V-RAID');
  raid.position(29.98, 115.47);

  const page = await browser.context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto(`${engine.base}/board?token=${encodeURIComponent(boardToken)}`);
  await page.waitForSelector('#conn[data-state="live"]', { timeout: 30000 });
  await page.waitForSelector(`[data-board-ticket="${tickets[0].number}"]`, { timeout: 30000 });
  await until(async () => (await page.textContent('#leaders')).includes('专卖管理'), 'the leaderboard');
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(OUT, 'board-1080.png') });

  await check('board 1080: no cell of the progress table is cut off, and every row is inside its panel', async () => {
    const cut = await page.evaluate(() => {
      const out = [];
      const panel = document.querySelector('.board-progress').getBoundingClientRect();
      for (const tr of document.querySelectorAll('#rows tr')) {
        const box = tr.getBoundingClientRect();
        if (box.bottom > panel.bottom + 1) out.push(`row ${tr.dataset.boardTicket} runs past the panel`);
        for (const el of tr.querySelectorAll('td, td *')) {
          if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible') out.push(`${el.className || el.tagName}: "${el.textContent.trim()}" ${el.scrollWidth}>${el.clientWidth}`);
          if (getComputedStyle(el).textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth) out.push(`ellipsis on "${el.textContent.trim()}"`);
        }
      }
      return out;
    });
    assert(cut.length === 0, `cut off: ${cut.join('; ')}`);
    const rows = await page.locator('#rows tr[data-board-ticket]').count();
    assert(rows > 0, 'rows drawn');
    const dist = await page.textContent(`[data-board-ticket="${tickets[3].number}"] .dist`);
    assert(/^\d+(\.\d)? (公里|米)$/.test(dist.trim()), `the full distance: "${dist}"`);
    const text = await page.textContent('#rows');
    assert(text.includes(`${TOWNS[3][0]}专卖管理第4中队`) || !text.includes(tickets[3].number), 'the squad name in full');
  });

  await check('board 1080: the leaderboard shows every squad, paging what does not fit, none cut off', async () => {
    const seen = new Set();
    for (let turn = 0; turn < 3; turn++) {
      const state = await page.evaluate(() => {
        const panel = document.querySelector('.board-leaderboard').getBoundingClientRect();
        return [...document.querySelectorAll('#leaders tr[data-board-team]')].map((tr) => {
          const b = tr.getBoundingClientRect();
          const cell = tr.querySelector('.lb-team');
          return { team: tr.dataset.boardTeam, inside: b.bottom <= panel.bottom + 1, cut: cell.scrollWidth > cell.clientWidth + 1 };
        });
      });
      assert(state.length > 0, 'leaderboard rows with their squad');
      for (const s of state) {
        assert(s.inside, `squad ${s.team} runs past the panel`);
        assert(!s.cut, `squad ${s.team} cut off`);
        seen.add(s.team);
      }
      if (seen.size >= SQUADS) break;
      const pager = await page.textContent('#lb-page');
      assert(/\d+ \/ \d+/.test(pager), `more squads than fit, but no page indicator (${seen.size} of ${SQUADS})`);
      await page.waitForTimeout(10500);
    }
    assert(seen.size === SQUADS, `every squad shown: ${[...seen].join(',')}`);
  });

  await check('board: the median arrival reads in seconds or minutes, "—" with no arrival', async () => {
    const board = await api.get('/board', boardToken);
    const first = board.leaderboard.find((l) => l.team_id === 'T-B0');
    assert(first && first.median_arrival_s != null, `the arriving squad has a median: ${JSON.stringify(first)}`);
    const cells = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#leaders tr[data-board-team]')].map((tr) => [tr.dataset.boardTeam, tr.children[3].textContent.trim()])));
    if (cells['T-B0']) {
      assert(!/^0\.0/.test(cells['T-B0']) && /秒|分/.test(cells['T-B0']), `T-B0's median arrival: "${cells['T-B0']}"`);
    }
    const others = Object.entries(cells).filter(([k]) => k !== 'T-B0');
    assert(others.length > 0 && others.every(([, v]) => v === '—'), `no arrival, no figure: ${JSON.stringify(cells)}`);
    assert(Object.values(cells).every((v) => !/^0\.0 /.test(v)), `no "0.0": ${JSON.stringify(cells)}`);
  });

  await check('board: each row says whether its crew is en route or on site', async () => {
    await until(async () => (await page.getAttribute(`[data-board-ticket="${tickets[0].number}"]`, 'data-progress')) === 'on_site', 'on site');
    const onSite = await page.textContent(`[data-board-ticket="${tickets[0].number}"] [data-state]`);
    assert(onSite.includes('现场处置中'), `on site: ${onSite}`);
    const enRoute = await page.textContent(`[data-board-ticket="${tickets[1].number}"] [data-state]`);
    assert(enRoute.includes('赶赴现场'), `en route: ${enRoute}`);
  });

  await check('board: vehicles out on shown tickets are on the map in their cells, the raid\'s vehicle never', async () => {
    await until(async () => (await page.locator('[data-board-vehicle]').count()) >= 2, 'vehicles on the map');
    assert(await page.locator(`[data-board-vehicle="${tickets[0].number}"][data-status="on_site"]`).count() === 1, 'the crew on site');
    assert(await page.locator(`[data-board-vehicle="${tickets[1].number}"][data-status="en_route"]`).count() === 1, 'a crew en route');
    for (let step = 0; step < 5; step++) {
      raid.position(29.98 + step * 0.004, 115.47);
      await page.waitForTimeout(300);
    }
    const snapshot = await api.get('/board', boardToken);
    assert(!JSON.stringify(snapshot).includes(hidden.number), 'the raid is not on the board');
    for (const r of snapshot.tickets) {
      if (!r.vehicle) continue;
      const d = metres(r.vehicle.cell_center, raidSite);
      assert(d > 5000, `a vehicle drawn ${Math.round(d)} m from the raid, on ${r.number}`);
    }
    const markup = await page.content();
    assert(!markup.includes(hidden.number), 'the raid is not on the screen');
    assert(await page.locator(`[data-board-vehicle="${hidden.number}"]`).count() === 0, 'no raid vehicle');
    const count = await page.textContent('#vehicle-count');
    assert(/\d/.test(count), `the vehicles out are counted: ${count}`);
    for (const v of Object.values(CANARY)) assert(!markup.includes(v), 'no canary on the board');
  });

  await check('board 1080: no two labels on the map cover each other', async () => {
    const clash = await page.evaluate(() => {
      const boxes = [...document.querySelectorAll('.town-label span, .cell-label span, .board-veh')]
        .filter((el) => getComputedStyle(el).visibility !== 'hidden')
        .map((el) => ({ text: el.textContent, b: el.getBoundingClientRect() }))
        .filter((x) => x.b.width > 0);
      const out = [];
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const [a, b] = [boxes[i].b, boxes[j].b];
          if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) out.push(`${boxes[i].text} × ${boxes[j].text}`);
        }
      }
      return { out, towns: document.querySelectorAll('.town-label span').length, shown: boxes.length };
    });
    assert(clash.towns === 12, `twelve towns: ${clash.towns}`);
    assert(clash.out.length === 0, `overlapping labels: ${clash.out.join('; ')}`);
  });

  await check('board: a hidden ticket appears as done once archived', async () => {
    const field = await api.token('field', 'vehicle:V-RAID');
    const guide = await api.get('/catalog/counterfeit', dispatcher);
    raid.position(raidSite.lat, raidSite.lng);
    raid.send({ type: 'arrived' });
    await until(async () => (await status(hidden.id)) === 'on_site', 'the raid on site');
    await api.post(`/tickets/${hidden.id}/onsite-record`, field, { findings: '查获', actions: '登记', evidence: [] });
    const sections = Object.fromEntries(guide.report_sections.map((k) => [k, `写明${k}`]));
    const evidence = guide.report_evidence.map((kind) => ({ kind, reference: `r-${kind}` }));
    await api.post(`/tickets/${hidden.id}/report`, field, { sections, evidence });
    await api.post(`/tickets/${hidden.id}/review`, dispatcher, { decision: 'pass' });
    await api.post(`/tickets/${hidden.id}/approval`, supervisor, { decision: 'approve' });
    await api.post(`/tickets/${hidden.id}/reply`, dispatcher, { text: '已查处' });
    await api.post(`/tickets/${hidden.id}/return-visit`, dispatcher, { satisfaction: 'satisfied' });
    assert(!(await page.content()).includes(hidden.number), 'still hidden before the archive');
    await api.post(`/tickets/${hidden.id}/archive`, dispatcher, {});
    await until(async () => (await page.locator(`[data-board-ticket="${hidden.number}"][data-progress="done"]`).count()) === 1
      || (await api.get('/board', boardToken)).tickets.some((r) => r.number === hidden.number && r.progress === 'done'), 'the raid shown as done');
    const row = (await api.get('/board', boardToken)).tickets.find((r) => r.number === hidden.number);
    assert(row && row.progress === 'done' && !row.vehicle, `done, with no vehicle: ${JSON.stringify(row)}`);
    await page.screenshot({ path: join(OUT, 'board-1080-done.png') });
  });

  for (const v of [...vehicles, raid]) v.close();
  await page.close();
}
