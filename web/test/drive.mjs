// Opens a page in the system's Chromium (headless, a fresh profile), waits
// for its `window.podDemo` outcome, posts the bytes it got (`bytes` in
// memory, or the `file` it streamed them into) to the page's own server
// (`POST /result`, so the test compares them byte for byte), optionally
// keeps a screenshot, and prints the outcome as one JSON line. (Playwright's
// DevTools session keeps response bodies in the renderer: memory is measured
// with no driver attached, crates/testkit's web::run_plain.)
//
//   node drive.mjs URL [SCREENSHOT.png]
//
// CHROMIUM overrides the browser's path (default /usr/bin/chromium);
// POD_CHROMIUM_ARGS adds flags (space-separated).

import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, screenshot] = process.argv.slice(2);
if (!url) {
  console.error('usage: node drive.mjs URL [SCREENSHOT.png]');
  process.exit(2);
}
// A fresh profile of our own (Chromium honours a trusted-key flag only with
// an explicit profile directory). Without the background-networking flags Chromium keeps trying hosts this
// machine cannot reach.
const profile = mkdtempSync(join(tmpdir(), 'pod-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  headless: true,
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    // e.g. --ignore-certificate-errors-spki-list=…: a test's own CA
    ...(process.env.POD_CHROMIUM_ARGS ?? '').split(' ').filter(Boolean)],
});
let code = 0;
try {
  const page = browser.pages()[0] ?? await browser.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  await page.goto(url);
  const outcome = await page.evaluate(async () => {
    const r = await window.podDemo;
    const body = r.file ?? r.bytes;
    if (r.ok && body) {
      // A File is uploaded from disk by the browser, never read into the page.
      await fetch('/result', { method: 'POST', body });
      r.length ??= body.length ?? body.size;
    }
    r.streamed = Boolean(r.file);
    delete r.bytes;
    delete r.file;
    return r;
  });
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  outcome.logs = logs;
  console.log(JSON.stringify(outcome));
  if (!outcome.ok) code = 1;
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e.message ?? e) }));
  code = 1;
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
