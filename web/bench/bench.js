// The browser's side of the benchmarks (run by `pod-web-bench`): in one
// page, from one edge, alternately,
//   plain: fetch every chunk with the ticket header only (the bench edge's
//          credit covers the whole content), two requests in flight;
//   pod:   podFetch — the same chunks, two in flight, every chunk verified
//          and receipted, the schedule, final receipts and the report;
// then the WebAssembly costs on their own: BLAKE3 verification per MiB and
// receipt signing per receipt; then small seeks (reads of 4 KiB and 64 KiB
// at random places, each in a chunk not read before) with whole chunks
// and with verified slices, alternately (`?only=seeks`: nothing else).

import { podFetch, podReady, PodContent } from '../pod.js';
import { Content, Session } from '../pkg/pod_web.js';

const ROUNDS = 3;
const out = document.getElementById('out');
const log = (line) => { out.textContent = out.textContent === 'running…' ? line : `${out.textContent}\n${line}`; };

async function main() {
  await podReady();
  const config = await (await fetch('/config')).json();
  const grant = async (viewer) => (await fetch('/grant', { method: 'POST', body: viewer })).text();
  const id = config.content, reporter = config.reporter;
  const manifest = Content.fromManifest(id, new Uint8Array(await (await fetch(`${reporter}/contents/${id}/manifest`)).arrayBuffer()));
  const mib = manifest.size / (1 << 20);
  if (new URLSearchParams(location.search).get('only') === 'seeks') {
    return { ok: true, seeks: await seekCosts(id, reporter, grant, manifest) };
  }
  const plain = [], pod = [];
  let lastBytes = null;
  for (let round = 0; round < ROUNDS; round++) {
    plain.push(mib / await seconds(() => plainFetch(id, manifest, reporter, grant)));
    pod.push(mib / await seconds(async () => { lastBytes = (await podFetch(id, { reporter, grant, edges: 1 })).bytes; }));
    log(`round ${round + 1}: plain ${plain[round].toFixed(1)} MiB/s, verified ${pod[round].toFixed(1)} MiB/s`);
  }
  const wasm = await wasmCosts(manifest, lastBytes, id, reporter, grant);
  const seeks = await seekCosts(id, reporter, grant, manifest);
  const result = {
    ok: true, mib, plainMiBs: median(plain), podMiBs: median(pod), ratio: median(pod) / median(plain),
    ...wasm, seeks, bytes: lastBytes,
  };
  log(`median: plain ${result.plainMiBs.toFixed(1)} MiB/s, verified ${result.podMiBs.toFixed(1)} MiB/s, ratio ${result.ratio.toFixed(3)}`);
  log(`wasm: BLAKE3 verification ${result.verifyMsPerMiB.toFixed(2)} ms/MiB, receipt signing ${result.signUsPerReceipt.toFixed(1)} µs/receipt`);
  return result;
}

/** Every chunk, two requests in flight, with the ticket of a schedule of its own and nothing else. */
async function plainFetch(id, manifest, reporter, grant) {
  const plan = await schedule(id, reporter, grant);
  const url = plan.url(0), ticket = plan.ticket(0);
  let next = 0;
  const worker = async () => {
    while (next < manifest.chunks) {
      const i = next++;
      const r = await fetch(`${url}/c/${id}/${i}`, { headers: { 'x-pod-ticket': ticket } });
      if (!r.ok) throw new Error(`plain fetch of chunk ${i}: ${r.status}`);
      await r.arrayBuffer();
    }
  };
  await Promise.all([worker(), worker()]);
}

async function schedule(id, reporter, grant) {
  const session = new Session();
  const body = JSON.stringify({ content: id, client: session.public, grant: await grant(session.public), count: 1 });
  const r = await fetch(`${reporter}/schedule`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return session.plan(id, await r.text());
}

const SEEKS = 24;

/**
 * Per read size: SEEKS reads at random offsets, each in a chunk that
 * content has not read, with whole chunks and with verified slices (one
 * opened content each, reads alternating): median and 90th-percentile ms
 * per read, and bytes downloaded (charged) per read.
 */
async function seekCosts(id, reporter, grant, manifest) {
  const out = {};
  let seed = 7;
  const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  for (const size of [4096, 65536]) {
    const modes = { whole: await PodContent.open(id, { reporter, grant, edges: 1, slices: false }),
      slice: await PodContent.open(id, { reporter, grant, edges: 1, slices: true }) };
    const times = { whole: [], slice: [] };
    const chunks = [...Array(manifest.chunks).keys()].sort(() => random() - 0.5).slice(0, SEEKS);
    for (const i of chunks) {
      const start = i * manifest.chunkSize + Math.floor(random() * (manifest.chunkLength(i) - size));
      for (const mode of Object.keys(modes)) {
        times[mode].push(1000 * await seconds(() => modes[mode].read(start, start + size)));
      }
    }
    out[size] = {};
    for (const [mode, c] of Object.entries(modes)) {
      const bytes = c.edgeReport().reduce((n, e) => n + e.bytes, 0);
      await c.close();
      const t = [...times[mode]].sort((a, b) => a - b);
      out[size][mode] = { reads: t.length, ms: median(t), p90: t[Math.floor(0.9 * t.length)], bytesPerRead: bytes / t.length };
      log(`${size}-byte seeks, ${mode}: median ${median(t).toFixed(2)} ms, p90 ${out[size][mode].p90.toFixed(2)} ms, ${(bytes / t.length).toFixed(0)} bytes per read`);
    }
  }
  return out;
}

/** BLAKE3 verification of every chunk (ms per MiB) and receipt signing (µs per receipt), in wasm. */
async function wasmCosts(manifest, bytes, id, reporter, grant) {
  const cs = manifest.chunkSize;
  const chunks = [];
  for (let i = 0; i < manifest.chunks; i++) chunks.push(bytes.subarray(i * cs, i * cs + manifest.chunkLength(i)));
  let verified = 0;
  const verifyS = await seconds(() => {
    for (let r = 0; r < 3; r++) for (let i = 0; i < chunks.length; i++) {
      if (!manifest.verifyChunk(i, chunks[i])) throw new Error(`chunk ${i} does not verify`);
      verified += chunks[i].length;
    }
  });
  const plan = await schedule(id, reporter, grant);
  const n = 2000;
  const signS = await seconds(() => { for (let k = 1; k <= n; k++) plan.receipt(0, k, k); });
  return { verifyMsPerMiB: (1000 * verifyS) / (verified / (1 << 20)), signUsPerReceipt: (1e6 * signS) / n };
}

async function seconds(f) {
  const t = performance.now();
  await f();
  return (performance.now() - t) / 1000;
}

function median(v) {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

window.podDemo = main().catch((err) => ({ ok: false, error: String(err.message ?? err) }));
