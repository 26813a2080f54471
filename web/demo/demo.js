// The publisher's page: asks its own backend (`/config`, `/grant`) what to
// show and for a viewer grant, downloads the content through the PoD CDN
// with podFetch, streaming it into a file of the page's origin private file
// system (so a content of any size passes through a few chunks of memory;
// into memory only where the browser has no such file system), or, when the
// config lists `ranges`, reads them one after another from one opened
// content; shows it, and fills a panel with what each edge delivered.

import { podFetch, PodContent } from '../pod.js';

const $ = (id) => document.getElementById(id);
// What the publisher's backend says to show; read once, by main and report.
const pageConfig = fetch('/config').then((r) => r.json());

async function main() {
  const config = await pageConfig;
  $('what').textContent = `${config.title} — content ${config.content.slice(0, 16)}…, reporter ${config.reporter}`;
  const started = performance.now();
  const options = {
    reporter: config.reporter,
    edges: config.edges,
    grant: async (viewer) => (await fetch('/grant', { method: 'POST', body: viewer })).text(),
    onProgress: ({ verified, total }) => {
      $('bar').firstElementChild.style.width = `${(100 * verified) / total}%`;
      $('status').textContent = `${verified} of ${total} bytes verified`;
    },
  };
  const result = config.ranges ? await readRanges(config.content, config.ranges, options)
    : await download(config.content, { ...options, range: config.range });
  const ms = performance.now() - started;
  show(result.file ?? new Blob([result.bytes]), config.type);
  panel(result.edges);
  const receipts = result.edges.reduce((n, e) => n + e.chunks, 0);
  $('status').textContent = `${result.length} bytes verified in ${ms.toFixed(0)} ms ` +
    `(${result.file ? 'streamed to a file' : 'in memory'}) from ` +
    `${result.edges.filter((e) => e.bytes > 0).length} edges; ${receipts} receipts signed; ` +
    `reported to the reporter: ${JSON.stringify(result.reported)}`;
  return { ...result, ms };
}

/** The content (or `options.range` of it) into a file of the origin private file system, the File once complete. */
async function download(content, options) {
  if (!navigator.storage?.getDirectory) return podFetch(content, options);
  const dir = await navigator.storage.getDirectory();
  const handle = await dir.getFileHandle(`pod-${content}`, { create: true });
  // A new file's contents replace the old ones only when the stream closes
  // complete; a failed download is aborted and leaves nothing behind.
  const result = await podFetch(content, { ...options, sink: await handle.createWritable() });
  return { ...result, file: await handle.getFile() };
}

/** Several ranges read one after another from one opened content (as a player seeking would); their bytes end to end. */
async function readRanges(content, ranges, options) {
  const c = await PodContent.open(content, options);
  const parts = [];
  try {
    for (const { start, end } of ranges) parts.push(await c.read(start, end, options));
  } finally {
    await c.close();
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => { bytes.set(p, at); return at + p.length; }, 0);
  return { bytes, length: bytes.length, edges: c.edgeReport(), reported: c.reported };
}

/** The downloaded blob (a file on disk, or bytes in memory) shown as an image or a video. */
function show(blob, type) {
  if (!type) return;
  const url = URL.createObjectURL(new Blob([blob], { type }));
  const el = document.createElement(type.startsWith('video/') ? 'video' : 'img');
  el.src = url;
  if (el.tagName === 'VIDEO') { el.controls = true; el.muted = true; }
  $('media').replaceChildren(el);
}

function panel(edges) {
  $('edges').tBodies[0].replaceChildren(...edges.map((e) => {
    const tr = document.createElement('tr');
    const state = e.lying !== null ? `lying (chunk ${e.lying}), accused` : e.dead ? `dead: ${e.error}` : 'ok';
    for (const v of [`${e.url} (${e.key.slice(0, 8)}…)`, e.bytes, e.chunks, state]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    if (e.lying !== null) tr.className = 'lying';
    return tr;
  }));
}

/**
 * With `report` in the config (a test with no debugger attached to the
 * page), the page posts what it downloaded (`/result`: the file is uploaded
 * from disk) and its outcome (`/outcome`) to its own server.
 */
async function report(outcome) {
  const { bytes, file, ...rest } = outcome;
  const body = file ?? bytes;
  if (outcome.ok && body) await fetch('/result', { method: 'POST', body });
  await fetch('/outcome', { method: 'POST', body: JSON.stringify({ ...rest, streamed: Boolean(file) }) });
}

// The outcome, for whoever drives the page (the browser tests).
window.podDemo = main().then(
  (r) => ({ ok: true, ms: r.ms, edges: r.edges, reported: r.reported, bytes: r.bytes, file: r.file, length: r.length }),
  (err) => { $('status').textContent = `failed: ${err.message}`; return { ok: false, error: String(err.message ?? err) }; },
);
window.podDemo.then(async (outcome) => {
  if ((await pageConfig.catch(() => ({}))).report) await report(outcome);
});
