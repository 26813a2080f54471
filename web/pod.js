// pod.js — a web page's Proof-of-Delivery viewer.
//
// podFetch(content, options) schedules at the reporter under the
// publisher's grant, downloads chunks from several edges at once, verifies
// every chunk against the manifest (BLAKE3, in WebAssembly), acknowledges
// what each edge delivered with cumulative receipts signed by a session key
// that never leaves the WebAssembly module, fails over from slow, dead or
// lying edges (and accuses a lying one to the reporter), and reports its
// receipts to the reporter at the end. Signing and verifying are pod-web,
// compiled from the Rust the chain checks; this file decides nothing a
// receipt depends on.

import init, { Session, Content } from './pkg/pod_web.js';

let ready = null;

/** Loads the WebAssembly module once (from `pkg/` beside this file). */
export function podReady() {
  ready ??= init();
  return ready;
}

const PER_EDGE = 2;          // chunk requests in flight per edge (its credit window is 2 MiB)
const FAILURES_TO_DROP = 3;  // an edge that fails this often is not asked again
const TIMEOUT_MS = 20000;    // one chunk request

/**
 * Downloads `content` (hex id) through the PoD CDN.
 *
 * options:
 *   reporter  the reporter's base URL
 *   grant     async (viewerPublicKeyHex) => grant (hex SCALE SignedGrant),
 *             the publisher's backend minting a grant for this session
 *   edges     how many edges to ask for (default 3)
 *   range     { start, end } bytes (end exclusive) to fetch only those
 *   onProgress ({ verified, total, edge, chunk }) => void
 *   signal    an AbortSignal
 *
 * Resolves to { bytes, edges: [{ url, key, bytes, chunks, lying, dead }],
 * reported }.
 */
export async function podFetch(content, options) {
  await podReady();
  const { reporter, grant } = options;
  const base = reporter.replace(/\/$/, '');
  const session = new Session();
  const plan = await schedule(base, content, session, await grant(session.public), options.edges ?? 3);
  const manifest = Content.fromManifest(content, await bytesOf(await call(`${base}/contents/${content}/manifest`)));
  const want = chunksFor(manifest, options.range);
  const job = new Job(plan, manifest, content, want, options);
  try {
    await job.run();
    await job.finalReceipts();
  } finally {
    job.reported = await report(base, plan, job);
  }
  return job.result(options.range);
}

async function schedule(base, content, session, grant, count) {
  const body = JSON.stringify({ content, client: session.public, grant, count });
  const r = await call(`${base}/schedule`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return session.plan(content, await r.text());
}

/** The chunk indices covering `range` (all of them without one). */
function chunksFor(manifest, range) {
  const size = manifest.size, cs = manifest.chunkSize;
  const start = range?.start ?? 0, end = Math.min(range?.end ?? size, size);
  if (start < 0 || start >= end) throw new RangeError(`bad range ${start}-${end} of ${size} bytes`);
  const out = [];
  for (let i = Math.floor(start / cs); i * cs < end; i++) out.push(i);
  return out;
}

/** One download: the chunk queue, and what each edge did. */
class Job {
  constructor(plan, manifest, content, want, options) {
    this.plan = plan;
    this.manifest = manifest;
    this.content = content;
    this.queue = [...want];
    this.want = want;
    this.chunks = new Map();
    this.options = options;
    this.verified = 0;
    this.edges = [];
    for (let e = 0; e < plan.edges; e++) {
      this.edges.push({ url: plan.url(e).replace(/\/$/, ''), key: plan.edgeKey(e), ticket: plan.ticket(e),
        maxBytes: plan.maxBytes(e), bytes: 0, reserved: 0, chunks: 0, inflight: 0, failures: 0,
        lying: null, dead: false, receipt: null });
    }
    if (this.edges.length === 0) throw new Error('the reporter scheduled no edge');
  }

  /** Runs workers until every wanted chunk is verified, or no edge is left. */
  async run() {
    const workers = this.edges.length * PER_EDGE;
    await Promise.all(Array.from({ length: workers }, () => this.worker()));
    const missing = this.want.filter((i) => !this.chunks.has(i));
    if (missing.length) throw new Error(`chunks ${missing.slice(0, 5).join(',')}… could not be fetched from any edge`);
  }

  async worker() {
    while (this.chunks.size < this.want.length) {
      this.options.signal?.throwIfAborted();
      if (this.edges.every((x) => x.dead || x.lying)) return;
      const index = this.queue[0];
      const e = index === undefined ? null : this.pickEdge(index);
      if (e === null) {
        if (index !== undefined && !this.edges.some((x, i) => this.usable(i, index, false))) {
          throw new Error(`no edge's ticket has room for chunk ${index}`);
        }
        await sleep(5);
        continue;
      }
      this.queue.shift();
      const edge = this.edges[e], length = this.manifest.chunkLength(index);
      edge.inflight++;
      edge.reserved += length;
      try {
        await this.fetchChunk(e, index);
      } catch (err) {
        this.fail(e, index, err);
      } finally {
        edge.inflight--;
        edge.reserved -= length;
      }
    }
  }

  /** Whether edge `e` can serve chunk `index`: alive, honest, and its ticket has room (besides what is in flight, unless `counting` is false). */
  usable(e, index, counting = true) {
    const x = this.edges[e];
    const taken = x.bytes + (counting ? x.reserved : 0);
    return !x.dead && !x.lying && taken + this.manifest.chunkLength(index) <= x.maxBytes;
  }

  /** The first edge, best first, that can serve chunk `index` now. */
  pickEdge(index) {
    const i = this.edges.findIndex((x, e) => x.inflight < PER_EDGE && this.usable(e, index));
    return i < 0 ? null : i;
  }

  async fetchChunk(e, index) {
    const edge = this.edges[e];
    const headers = { 'x-pod-ticket': edge.ticket };
    if (edge.receipt) headers['x-pod-receipt'] = edge.receipt;
    const r = await call(`${edge.url}/c/${this.content}/${index}`, { headers }, TIMEOUT_MS, [402]);
    if (r.status === 402) {
      // Bytes still arriving on the other request: wait for its receipt.
      this.queue.unshift(index);
      await sleep(5);
      return;
    }
    const bytes = await bytesOf(r);
    if (!this.manifest.verifyChunk(index, bytes)) {
      edge.lying = { chunk: index, accusation: this.plan.accusation(e, index) };
      this.queue.unshift(index);
      return;
    }
    this.chunks.set(index, bytes);
    edge.bytes += bytes.length;
    edge.chunks++;
    edge.receipt = this.plan.receipt(e, edge.bytes, edge.chunks);
    this.verified += bytes.length;
    this.options.onProgress?.({ verified: this.verified, total: this.total(), edge: edge.url, chunk: index });
  }

  fail(e, index, err) {
    const edge = this.edges[e];
    edge.failures++;
    edge.error = String(err?.message ?? err);
    if (edge.failures >= FAILURES_TO_DROP) edge.dead = true;
    this.queue.push(index);
  }

  total() {
    return this.want.reduce((n, i) => n + this.manifest.chunkLength(i), 0);
  }

  /** Each edge holds receipts up to the request before its last chunk: send it the last one. */
  async finalReceipts() {
    await Promise.all(this.edges.filter((x) => x.receipt).map((x) =>
      call(`${x.url}/receipt`, { method: 'POST', headers: { 'x-pod-ticket': x.ticket, 'x-pod-receipt': x.receipt } })
        .catch((err) => { x.error = `final receipt: ${err.message}`; })));
  }

  result(range) {
    const first = this.want[0], cs = this.manifest.chunkSize;
    const out = new Uint8Array(this.total());
    let at = 0;
    for (const i of this.want) { out.set(this.chunks.get(i), at); at += this.manifest.chunkLength(i); }
    const start = (range?.start ?? 0) - first * cs;
    const end = Math.min(range?.end ?? this.manifest.size, this.manifest.size) - first * cs;
    const edges = this.edges.map(({ url, key, bytes, chunks, lying, dead, error }) =>
      ({ url, key, bytes, chunks, lying: lying?.chunk ?? null, dead, error: error ?? null }));
    return { bytes: out.subarray(start, end), edges, reported: this.reported };
  }
}

/** Sends the reporter this client's receipts and accusations (its side of the confirmation). */
async function report(base, plan, job) {
  const receipts = job.edges.filter((x) => x.receipt).map((x) => x.receipt);
  const lying = job.edges.filter((x) => x.lying).map((x) => x.lying.accusation);
  if (!receipts.length && !lying.length) return null;
  const body = JSON.stringify({ receipts, lying });
  try {
    const r = await call(`${base}/reports`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return await r.json();
  } catch (err) {
    return { error: String(err.message ?? err) };
  }
}

/** fetch with a deadline; anything but 2xx (or a status in `pass`) throws with the service's error code. */
async function call(url, init = {}, timeout = TIMEOUT_MS, pass = []) {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(timeout) });
  if (!r.ok && !pass.includes(r.status)) {
    let detail = '';
    try { const j = await r.json(); detail = `${j.error}: ${j.message}`; } catch { /* not JSON */ }
    throw new Error(`${url}: ${r.status} ${detail}`);
  }
  return r;
}

async function bytesOf(r) {
  return new Uint8Array(await r.arrayBuffer());
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
