// A publisher's video page: nothing but `<video src="/pod/<content>">`; the
// service worker (web/sw.js) streams it from the edges, verified and
// receipted. `?runs=N` first times the first frame N times through the
// worker (the content closed between runs, so each starts cold) and, when
// the page's config names the file's origin URL, straight from the origin.

import { closeContent, edgeTable, useWorker } from './worker.js';

const $ = (id) => document.getElementById(id);
const runs = Number(new URLSearchParams(location.search).get('runs') ?? 0);

async function main() {
  const config = await (await fetch('/config')).json();
  await useWorker(config.reporter);
  const src = `/pod/${config.content}?type=${encodeURIComponent(config.type ?? 'video/webm')}`;
  const worker = [], origin = [], closes = [];
  for (let r = 0; r < runs; r++) {
    $('status').textContent = `Timing the first frame, run ${r + 1} of ${runs}…`;
    worker.push(await firstFrame(src));
    closes.push(await closeContent(config.content));
    if (config.origin) origin.push(await firstFrame(`${config.origin}?run=${r}`));
  }
  if (runs) $('timing').textContent = `first frame: through the worker ${fmt(worker)}; from the origin ${fmt(origin)}`;
  $('status').textContent = 'Playing through the PoD CDN…';
  const played = await play(src);
  const summary = await closeContent(config.content);
  const edges = merged([...closes, summary]);
  edgeTable($('edges'), edges);
  $('status').textContent = `${played.width}×${played.height} video, played to ${played.time.toFixed(2)} s from verified chunks; ` +
    `reported to the reporter: ${JSON.stringify(summary.reported)}`;
  const stored = closes.reduce((n, c) => n + (c.reported?.stored ?? 0), summary.reported?.stored ?? 0);
  const playedBytes = summary.edges.reduce((n, e) => n + e.bytes, 0);
  return { ok: true, worker, origin, ...played, playedBytes, edges, stored };
}

/** Milliseconds from setting `src` until the first frame is decoded (`loadeddata`). */
function firstFrame(src) {
  return new Promise((resolve, reject) => {
    const v = document.createElement('video');
    v.muted = true;
    v.preload = 'auto';
    const t = performance.now();
    v.addEventListener('loadeddata', () => {
      const ms = performance.now() - t;
      v.removeAttribute('src');
      v.load();
      resolve(ms);
    }, { once: true });
    v.addEventListener('error', () => reject(new Error(`video ${src}: ${v.error?.message ?? 'error'}`)), { once: true });
    v.src = src;
  });
}

/** Plays `src` in the page for a second; its size and how far it played. */
async function play(src) {
  const v = document.createElement('video');
  Object.assign(v, { muted: true, controls: true, src });
  $('media').replaceChildren(v);
  const failed = new Promise((_, reject) => v.addEventListener('error', () => reject(new Error(`video: ${v.error?.message ?? 'error'}`))));
  await Promise.race([v.play(), failed]);
  await Promise.race([new Promise((resolve) => setTimeout(resolve, 1200)), failed]);
  v.pause();
  return { width: v.videoWidth, height: v.videoHeight, time: v.currentTime };
}

/** Each edge's deliveries over every time the content was opened. */
function merged(summaries) {
  const byKey = new Map();
  for (const e of summaries.flatMap((s) => s.edges)) {
    const m = byKey.get(e.key) ?? { ...e, bytes: 0, chunks: 0 };
    m.bytes += e.bytes;
    m.chunks += e.chunks;
    m.dead ||= e.dead;
    byKey.set(e.key, m);
  }
  return [...byKey.values()];
}

function fmt(ms) {
  if (!ms.length) return '—';
  const s = [...ms].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)].toFixed(0)} ms of ${s.length}`;
}

window.podDemo = main().catch((err) => {
  $('status').textContent = `failed: ${err.message}`;
  return { ok: false, error: String(err.message ?? err) };
});
