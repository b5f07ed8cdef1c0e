// The console's triage panel: the proposal's calibrated confidence and a low-confidence
// flag, why (the guide terms that decided it), any category of the guide (`other`
// included) and any grade can be picked and confirmed, a licensing question is read as a
// question, and confirming a shop of a ticket still to triage only picks it (the ticket
// stays `received` with no offer until the dispatcher confirms the triage).
import { join } from 'node:path';
import { until, ADMIN, openConsole } from '../lib.mjs';

const CSV = 'licence,name,owner,address,town,lat,lng,market_inspector,account_manager\n'
  + '421182100002,梅川镇兴旺超市,王某乙,梅川镇新街3号,梅川镇,30.0300,115.5900,,\n'
  + '421182100003,余川镇兴旺副食店,张某丙,余川镇老街9号,余川镇,30.0650,115.6400,,\n';

export default async function ({ engine, api, browser, check, assert, errors, OUT }) {
  await api.post('/teams', ADMIN, { id: 'T-1', name: '执法一中队', department: 'enforcement' });
  await api.post('/staff', ADMIN, { id: 'S-1', name: '市管员甲', role: 'inspector', department: 'enforcement', team_id: 'T-1', badge: 'ZM-0101' });
  await api.post('/vehicles', ADMIN, { id: 'V-1', plate: '鄂J·A0001', team_id: 'T-1', department: 'enforcement', crew: ['S-1'] });
  const res = await fetch(`${engine.base}/api/v1/retailers/import`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'text/csv' }, body: CSV });
  assert(res.ok, `import: ${res.status}`);
  const dispatcher = await api.token('dispatcher', null);
  const intake = (ext, kind, description, extra = {}) => api.post('/tickets', dispatcher, {
    source: '12313', external_id: ext, kind, description, ...extra,
  });

  const page = await openConsole(browser, engine.base, dispatcher, errors);
  const open = async (tk) => {
    await page.click(`.queue-item[data-number="${tk.number}"]`, { timeout: 30000 });
    await page.click('[data-tab="overview"]');
    const panel = page.locator(`.triage-panel[data-triage="${tk.id}"]`);
    await panel.waitFor({ timeout: 30000 });
    return panel;
  };

  await check('triage: the calibrated confidence, the why and a question read as a question are shown', async () => {
    const tk = await intake('tr-1', 'consultation', '请问办烟草零售许可证需要什么材料');
    const sug = tk.triage.suggestion;
    assert(sug.category === 'licence_consultation' && sug.question === true, `a licensing question: ${JSON.stringify(sug)}`);
    assert(sug.confidence < 1 && Array.isArray(sug.why) && sug.why.length > 0, `calibrated, with why: ${JSON.stringify(sug)}`);
    const panel = await open(tk);
    const shown = await panel.locator('.confidence').textContent();
    const figure = sug.confidence >= 0.995 ? '>99%' : `${Math.round(sug.confidence * 100)}%`;
    assert(shown.includes(figure) && !shown.includes('100%'), `the calibrated figure ${sug.confidence}: ${shown}`);
    assert(await panel.locator('[data-question]').count() === 1, 'read as a question');
    const terms = await panel.locator('[data-why-term]').evaluateAll((els) => els.map((e) => e.dataset.whyTerm));
    assert(terms.length === sug.why.length && terms[0] === sug.why[0].term, `why: ${terms}`);
    assert((await panel.textContent()).includes('许可证办理咨询'), 'the new category by name');
    await page.screenshot({ path: join(OUT, 'triage-question.png') });
  });

  await check('triage: a low-confidence proposal is flagged for a second look', async () => {
    // Vague texts: at least one is proposed with a low confidence.
    let tk = null;
    const vague = ['那个事情你们到底管不管，上次说好的到现在也没个说法', '我要反映个情况，烟的事', '店里的事情想问问', '上次那个问题还是没解决'];
    for (const [i, text] of vague.entries()) {
      const x = await intake(`tr-2-${i}`, 'complaint', text);
      if (x.triage.suggestion.low_confidence === true) { tk = x; break; }
    }
    assert(tk, 'a vague text is flagged');
    const panel = await open(tk);
    await panel.locator('[data-low-confidence]').waitFor({ timeout: 10000 });
    assert(/人工复核/.test(await panel.locator('[data-low-confidence]').textContent()), 'the flag says to look again');
    await page.screenshot({ path: join(OUT, 'triage-low-confidence.png') });
  });

  await check('triage: any category of the guide and any grade can be picked and confirmed', async () => {
    const tk = await intake('tr-3', 'report', '梅川镇一家店卖假烟', { location: { lat: 30.02, lng: 115.585 } });
    const sug = tk.triage.suggestion;
    const catalog = await api.get('/catalog', dispatcher);
    const codes = (catalog.categories || catalog).map((c) => c.code);
    const panel = await open(tk);
    const options = await panel.locator('select[data-triage-pick="category"] option').evaluateAll((els) => els.map((e) => e.value));
    for (const code of [...codes, 'other']) assert(options.includes(code), `${code} can be picked: ${options}`);
    // A category outside the top three alternatives, and grade IV.
    const top = sug.alternatives.map((a) => a[0]);
    const pick = ['damaged_or_wrong_goods', 'other', 'late_delivery'].find((c) => !top.includes(c));
    await panel.locator('select[data-triage-pick="category"]').selectOption(pick);
    await page.click('.triage-panel [data-act="pick-grade"][data-grade="IV"]');
    await until(async () => /改判/.test(await page.textContent('.triage-panel .triage-choice')), 'the override is announced');
    await page.click('.triage-panel [data-act="triage"]');
    const after = await until(async () => { const x = await api.get(`/tickets/${tk.id}`, dispatcher); return x.triage.confirmed ? x : null; }, 'triaged');
    assert(after.category === pick && after.urgency === 'IV' && after.triage.overridden, `picked: ${after.category} ${after.urgency}`);
  });

  await check('triage: confirming a shop of a ticket still to triage only picks it', async () => {
    const tk = await intake('tr-4', 'report', '兴旺那家店好像卖假烟');
    assert((tk.retailer_candidates || []).length >= 1, `candidates: ${JSON.stringify(tk.retailer_candidates)}`);
    const licence = tk.retailer_candidates[0].licence;
    await open(tk);
    await page.click(`[data-act="confirm-retailer"][data-licence="${licence}"]`);
    await page.waitForSelector(`.triage-panel [data-picked-retailer="${licence}"]`, { timeout: 10000 });
    await new Promise((r) => setTimeout(r, 500));
    const still = await api.get(`/tickets/${tk.id}`, dispatcher);
    assert(still.status === 'received' && still.triage.confirmed === false, `not triaged by the shop: ${still.status}`);
    const events = await api.get(`/tickets/${tk.id}/events`, dispatcher);
    assert(!events.some((e) => e.type === 'ticket.triaged' || e.type.startsWith('offer.')), 'no triage, no offer');
    await page.screenshot({ path: join(OUT, 'triage-shop-picked.png') });
    await page.click('.triage-panel [data-act="triage"]');
    const after = await until(async () => { const x = await api.get(`/tickets/${tk.id}`, dispatcher); return x.triage.confirmed ? x : null; }, 'triaged');
    assert(after.location.retailer_licence === licence, `the shop confirmed with the triage: ${JSON.stringify(after.location)}`);
  });
  await page.close();
}
