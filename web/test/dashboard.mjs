// Opens the dashboard in the system's Chromium (headless, a fresh profile),
// checks each view against what the caller knows of the network, and keeps a
// screenshot of each view.
//
//   node dashboard.mjs URL SHOTS_DIR EXPECT_JSON
//
// URL: the dashboard with its query (chain, reporter, customer). EXPECT_JSON:
// {"validators": n, "edges": n, "region": "…", "edge": "hex", "customer_bytes": n}.
// Prints one JSON line; exits 1 when a check fails.

import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, shots, expectJson] = process.argv.slice(2);
if (!url || !shots || !expectJson) {
  console.error('usage: node dashboard.mjs URL SHOTS_DIR EXPECT_JSON');
  process.exit(2);
}
const expect = JSON.parse(expectJson);
const failures = [];
const check = (what, ok, got) => { if (!ok) failures.push(`${what}: got ${JSON.stringify(got)}`); };

const profile = mkdtempSync(join(tmpdir(), 'pod-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  headless: true,
  viewport: { width: 1280, height: 900 },
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const text = (page, sel) => page.locator(sel).innerText();
const rows = (page, sel) => page.locator(`${sel} tbody tr`).allInnerTexts();
let code = 0;
try {
  const page = browser.pages()[0] ?? await browser.newPage();
  const logs = [];
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') logs.push(`console: ${m.text()}`); });
  await page.goto(`${url}#network`);
  await page.waitForFunction(() => window.podDashboard, null, { timeout: 60000 });
  const state = await page.evaluate(() => window.podDashboard.error ?? null);
  if (state) throw new Error(`the dashboard failed: ${state}`);
  // Finality moves: the chart has heads.
  await page.waitForFunction(() => window.podDashboard.drawn()['finality-chart'] >= 4, null, { timeout: 60000 });

  check('validators', (await text(page, '#validators')) === String(expect.validators), await text(page, '#validators'));
  check('edges', (await text(page, '#edge-count')) === String(expect.edges), await text(page, '#edge-count'));
  const edgeRows = await rows(page, '#edge-table');
  check('the edge in its region', edgeRows.some((r) => r.includes(expect.edge) && r.includes(expect.region)), edgeRows);
  const reporterRows = await rows(page, '#reporter-table');
  check('the reporter sees the edge live', reporterRows.some((r) => /\t1$/.test(r)), reporterRows);
  await page.screenshot({ path: join(shots, 'dashboard-network.png'), fullPage: true });

  await page.click('nav a[data-view=operator]');
  const earnRows = await rows(page, '#earnings-table');
  check('a settled window with credits', earnRows.some((r) => r.includes('finalized') && / POD\t(vesting|vested)/.test(r)), earnRows);
  check('credits shown', /POD$/.test(await text(page, '#op-credits')), await text(page, '#op-credits'));
  const reductions = await rows(page, '#reductions-table');
  check('reductions listed or none', reductions.length >= 1, reductions);
  await page.screenshot({ path: join(shots, 'dashboard-operator.png'), fullPage: true });

  await page.click('nav a[data-view=customer]');
  const usage = await rows(page, '#usage-table');
  const delivered = expect.customer_bytes.toLocaleString('en-US');
  check('the customer usage row', usage.some((r) => r.includes(delivered)), usage);
  const contents = await rows(page, '#contents-table');
  check('the content and its budget', contents.some((r) => r.includes('1 POD')), contents);
  await page.screenshot({ path: join(shots, 'dashboard-customer.png'), fullPage: true });

  const charts = await page.evaluate(() => window.podDashboard.drawn());
  for (const id of ['regions-chart', 'finality-chart', 'earnings-chart', 'usage-chart']) {
    check(`chart ${id} drawn`, charts[id] > 0, charts[id]);
  }
  check('no page errors', logs.length === 0, logs);
  console.log(JSON.stringify({ ok: failures.length === 0, failures, charts }));
  if (failures.length) code = 1;
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e.message ?? e), failures }));
  code = 1;
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
