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
  const c = await PodContent.open(content, options);
  let bytes;
  try {
    bytes = await c.read(options.range?.start ?? 0, options.range?.end ?? c.size, options);
  } finally {
    await c.close();
  }
  return { bytes, edges: c.edgeReport(), reported: c.reported };
}

/**
 * A content opened for reading: one session, one schedule, reads of any
 * byte range (chunks verified once and kept, up to `keepBytes`), and at
 * the end one report. What a service worker answering a `<video>`'s range
 * requests needs.
 */
export class PodContent {
  /** Opens `content` with the options of {@link podFetch} (plus `keepBytes`, default 64 MiB). */
  static async open(content, options) {
    await podReady();
    const c = new PodContent(content, options);
    c.grant = await options.grant(c.session.public);
    await c.schedule();
    return c;
  }

  constructor(content, options) {
    this.content = content;
    this.base = options.reporter.replace(/\/$/, '');
    this.count = options.edges ?? 3;
    this.keepBytes = options.keepBytes ?? 64 << 20;
    this.session = new Session();
    this.chunks = new Map();
    this.reports = [];
    this.reported = null;
  }

  /** Size of the content in bytes. */
  get size() {
    return this.manifest.size;
  }

  /** Schedules at the reporter under the grant. */
  async schedule() {
    const body = JSON.stringify({ content: this.content, client: this.session.public, grant: this.grant, count: this.count });
    const r = await call(`${this.base}/schedule`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    this.plan = this.session.plan(this.content, await r.text());
    if (this.plan.edges === 0) throw new Error('the reporter scheduled no edge');
    this.manifest ??= Content.fromManifest(this.content, await bytesOf(await call(`${this.base}/contents/${this.content}/manifest`)));
    this.edges = [];
    for (let e = 0; e < this.plan.edges; e++) {
      this.edges.push({ url: this.plan.url(e).replace(/\/$/, ''), key: this.plan.edgeKey(e), ticket: this.plan.ticket(e),
        maxBytes: this.plan.maxBytes(e), expiresAt: this.plan.expiresAt(e), bytes: 0, reserved: 0, chunks: 0,
        inflight: 0, failures: 0, lying: null, dead: false, receipt: null });
    }
  }

  /** Bytes `[start, end)`, every chunk behind them verified. */
  async read(start, end, options = {}) {
    end = Math.min(end, this.size);
    if (!(start >= 0 && start < end)) throw new RangeError(`bad range ${start}-${end} of ${this.size} bytes`);
    const cs = this.manifest.chunkSize, first = Math.floor(start / cs), last = Math.ceil(end / cs);
    const want = [];
    for (let i = first; i < last; i++) want.push(i);
    for (let round = 0; ; round++) {
      await new Job(this, want.filter((i) => !this.chunks.has(i)), options).run();
      if (want.every((i) => this.chunks.has(i))) break;
      if (round > 0 || !this.expired()) throw new Error(`chunks of ${start}-${end} could not be fetched from any edge`);
      await this.renew();
    }
    const out = new Uint8Array(end - start);
    for (const i of want) {
      const chunk = this.chunks.get(i), at = i * cs;
      const from = Math.max(start - at, 0), to = Math.min(end - at, chunk.length);
      out.set(chunk.subarray(from, to), at + from - start);
    }
    this.evict(want);
    return out;
  }

  /** Whether every ticket of the current schedule has expired (time to schedule again). */
  expired() {
    return this.edges.every((x) => x.expiresAt <= Date.now() || x.dead);
  }

  /** Keeps at most `keepBytes` of verified chunks, those just read last. */
  evict(keep) {
    let held = 0;
    for (const c of this.chunks.values()) held += c.length;
    for (const i of this.chunks.keys()) {
      if (held <= this.keepBytes) break;
      if (keep.includes(i)) continue;
      held -= this.chunks.get(i).length;
      this.chunks.delete(i);
    }
  }

  /**
   * The tickets expired with their window: report what they carried (the
   * reporter then gives the grant back what they did not use) and schedule
   * again under the same grant.
   */
  async renew() {
    await this.settle();
    await this.schedule();
  }

  /** Sends the last receipts to the edges and the report to the reporter. */
  async close() {
    await this.settle();
    return this.reported;
  }

  /**
   * This schedule's end: each edge's final receipt (`POST /receipt`), then
   * the reporter this client's receipts and accusations (`POST /reports`).
   */
  async settle() {
    const edges = this.edges;
    this.edges = [];
    await Promise.all(edges.filter((x) => x.receipt).map((x) =>
      call(`${x.url}/receipt`, { method: 'POST', headers: { 'x-pod-ticket': x.ticket, 'x-pod-receipt': x.receipt } })
        .catch((err) => { x.error = `final receipt: ${err.message}`; })));
    this.reports.push(...edges);
    const receipts = edges.filter((x) => x.receipt).map((x) => x.receipt);
    const lying = edges.filter((x) => x.lying).map((x) => x.lying.accusation);
    if (!receipts.length && !lying.length) return;
    const body = JSON.stringify({ receipts, lying });
    let reply;
    try {
      const r = await call(`${this.base}/reports`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      reply = await r.json();
    } catch (err) {
      reply = { stored: 0, refused: [String(err.message ?? err)] };
    }
    const before = this.reported ?? { stored: 0, refused: [] };
    this.reported = { stored: before.stored + reply.stored, refused: [...before.refused, ...reply.refused] };
  }

  /** What each edge did, over every schedule. */
  edgeReport() {
    return [...this.reports, ...this.edges].map(({ url, key, bytes, chunks, lying, dead, error }) =>
      ({ url, key, bytes, chunks, lying: lying?.chunk ?? null, dead, error: error ?? null }));
  }
}

/** One read: a chunk queue worked by several requests per edge. */
class Job {
  constructor(content, want, options) {
    this.c = content;
    this.queue = [...want];
    this.missing = new Set(want);
    this.options = options;
    this.verified = 0;
    this.total = want.reduce((n, i) => n + content.manifest.chunkLength(i), 0);
  }

  /** Runs workers until every wanted chunk is verified, or no edge can serve the rest. */
  async run() {
    const workers = this.c.edges.length * PER_EDGE;
    await Promise.all(Array.from({ length: workers }, () => this.worker()));
  }

  async worker() {
    const edges = this.c.edges;
    while (this.missing.size) {
      this.options.signal?.throwIfAborted();
      const index = this.queue[0];
      if (index !== undefined && !edges.some((x, e) => this.usable(e, index, false))) return;
      const e = index === undefined ? null : this.pickEdge(index);
      if (e === null) {
        await sleep(5);
        continue;
      }
      this.queue.shift();
      const edge = edges[e], length = this.c.manifest.chunkLength(index);
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

  /** Whether edge `e` can serve chunk `index`: alive, honest, unexpired, and its ticket has room (besides what is in flight, unless `counting` is false). */
  usable(e, index, counting = true) {
    const x = this.c.edges[e];
    const taken = x.bytes + (counting ? x.reserved : 0);
    return !x.dead && !x.lying && x.expiresAt > Date.now() && taken + this.c.manifest.chunkLength(index) <= x.maxBytes;
  }

  /** The first edge, best first, that can serve chunk `index` now. */
  pickEdge(index) {
    const i = this.c.edges.findIndex((x, e) => x.inflight < PER_EDGE && this.usable(e, index));
    return i < 0 ? null : i;
  }

  async fetchChunk(e, index) {
    const edge = this.c.edges[e];
    const headers = { 'x-pod-ticket': edge.ticket };
    if (edge.receipt) headers['x-pod-receipt'] = edge.receipt;
    const r = await call(`${edge.url}/c/${this.c.content}/${index}`, { headers }, TIMEOUT_MS, [402]);
    if (r.status === 402) {
      // Bytes still arriving on the other request: wait for its receipt.
      this.queue.unshift(index);
      await sleep(5);
      return;
    }
    const bytes = await bytesOf(r);
    if (!this.c.manifest.verifyChunk(index, bytes)) {
      edge.lying = { chunk: index, accusation: this.c.plan.accusation(e, index) };
      this.queue.unshift(index);
      return;
    }
    this.c.chunks.set(index, bytes);
    this.missing.delete(index);
    edge.bytes += bytes.length;
    edge.chunks++;
    edge.receipt = this.c.plan.receipt(e, edge.bytes, edge.chunks);
    this.verified += bytes.length;
    this.options.onProgress?.({ verified: this.verified, total: this.total, edge: edge.url, chunk: index });
  }

  fail(e, index, err) {
    const edge = this.c.edges[e];
    edge.failures++;
    edge.error = String(err?.message ?? err);
    if (edge.failures >= FAILURES_TO_DROP) edge.dead = true;
    this.queue.push(index);
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
