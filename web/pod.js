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
const GROUP = 16 << 10;      // a verified slice's group (pod_wire::slice::GROUP)
const PROOF = 'blake3-16k';  // the slice encoding asked for (x-pod-proof)

/**
 * Downloads `content` (hex id) through the PoD CDN.
 *
 * options:
 *   reporter  the reporter's base URL
 *   grant     async (viewerPublicKeyHex) => grant (hex SCALE SignedGrant),
 *             the publisher's backend minting a grant for this session
 *   edges     how many edges to ask for (default 3)
 *   range     { start, end } bytes (end exclusive) to fetch only those
 *   slices    false to fetch whole chunks even for a small part of one
 *   sink      a WritableStream (a file, a player's buffer) that receives the
 *             verified bytes in order as they arrive: the page then holds
 *             only a few chunks at a time (see PodContent.stream), whatever
 *             the content's size. Without it, every byte is returned at once.
 *   onProgress ({ verified, total, edge, chunk, bytes }) => void
 *   signal    an AbortSignal
 *
 * Resolves to { bytes (null with a sink), length, edges: [{ url, key, bytes,
 * chunks, lying, dead }], reported }.
 */
export async function podFetch(content, options) {
  const c = await PodContent.open(content, options);
  const start = options.range?.start ?? 0, end = Math.min(options.range?.end ?? c.size, c.size);
  let bytes = null;
  try {
    if (options.sink) await c.stream(start, end, options).pipeTo(options.sink, { signal: options.signal });
    else bytes = await c.read(start, end, options);
  } finally {
    await c.close();
  }
  return { bytes, length: end - start, edges: c.edgeReport(), reported: c.reported };
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
    this.slices = options.slices ?? true;
    this.chunks = new Map();
    this.groups = new Map();
    this.running = new Set(); // reads in progress: their receipts belong in this schedule's report
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

  /**
   * Bytes `[start, end)`, every byte behind them verified. A chunk needed
   * only in small part (less than half of it) is asked for as a verified
   * slice of 16 KiB groups (unless `slices: false`), not whole.
   */
  async read(start, end, options = {}) {
    end = Math.min(end, this.size);
    if (!(start >= 0 && start < end)) throw new RangeError(`bad range ${start}-${end} of ${this.size} bytes`);
    const want = this.pieces(start, end, options.slices ?? this.slices);
    for (let renewed = false; ;) {
      const plan = this.plan;
      const job = new Job(this, want.filter((p) => !this.has(p)).flatMap((p) => this.missingParts(p)), options).run();
      this.running.add(job);
      try {
        await job;
      } finally {
        this.running.delete(job);
      }
      if (want.every((p) => this.has(p))) break;
      if (this.plan !== plan) continue; // a concurrent read renewed the schedule meanwhile: go on under the new one
      if (renewed || !this.expired()) {
        const why = this.edges.map((x) => `${x.url}: ${x.lying ? `lying (chunk ${x.lying.chunk})` : x.error ?? 'no room'}`);
        throw new Error(`bytes ${start}-${end} could not be fetched from any edge (${why.join('; ')})`);
      }
      // One renewal for all the reads that found the tickets expired.
      this.renewing ??= this.renew().finally(() => { this.renewing = null; });
      await this.renewing;
      renewed = true;
    }
    // In order, each piece's part inside [start, end): views, not copies.
    const parts = want.map((p) => {
      const bytes = this.bytesOf(p), at = p.index * this.manifest.chunkSize + p.from;
      return bytes.subarray(Math.max(start - at, 0), Math.min(end - at, bytes.length));
    });
    if (options.release) {
      this.release(want.map((p) => p.index));
      return parts;
    }
    this.evict(want.map((p) => p.index));
    const out = new Uint8Array(end - start);
    parts.reduce((at, part) => { out.set(part, at); return at + part.length; }, 0);
    return out;
  }

  /**
   * Bytes `[start, end)` as a stream of verified pieces (chunks as they were
   * received, never copied), in order. Windows of `windowBytes` (default:
   * enough chunks to keep every edge's requests busy) are read two at a
   * time, so one is fetched while the reader consumes the other, and each
   * window's chunks are let go as it is delivered: the page holds about two
   * windows, not the content. onProgress counts over the whole stream.
   */
  stream(start = 0, end = this.size, options = {}) {
    end = Math.min(end, this.size);
    if (!(start >= 0 && start < end)) throw new RangeError(`bad range ${start}-${end} of ${this.size} bytes`);
    const cs = this.manifest.chunkSize;
    const step = Math.max(1, Math.ceil((options.windowBytes ?? PER_EDGE * this.edges.length * cs) / cs)) * cs;
    const total = end - start, inFlight = [];
    let next = start, verified = 0;
    const onProgress = (p) => {
      verified += p.bytes;
      options.onProgress?.({ ...p, verified, total });
    };
    const launch = () => {
      if (next >= end) return;
      // Window ends on chunk boundaries, so no chunk belongs to two windows.
      const a = next, b = Math.min((Math.floor(a / cs) + 1) * cs + step - cs, end);
      next = b;
      const read = this.read(a, b, { ...options, onProgress, release: true });
      read.catch(() => {}); // awaited in order by pull; a later one's failure must not go unhandled meanwhile
      inFlight.push(read);
    };
    return new ReadableStream({
      start: () => { launch(); launch(); },
      pull: async (controller) => {
        if (!inFlight.length) { controller.close(); return; }
        const parts = await inFlight.shift();
        launch();
        for (const part of parts) controller.enqueue(part);
      },
    }, { highWaterMark: 0 });
  }

  /** What `[start, end)` needs, per chunk: the whole chunk, or a slice of its groups. */
  pieces(start, end, slices) {
    const cs = this.manifest.chunkSize, out = [];
    for (let i = Math.floor(start / cs); i < Math.ceil(end / cs); i++) {
      const length = this.manifest.chunkLength(i);
      const a = Math.max(start - i * cs, 0), b = Math.min(end - i * cs, length);
      const [from, to] = slices && !this.chunks.has(i) ? this.manifest.sliceSpan(i, a, b) : [0, length];
      const small = 2 * (to - from) < length || this.heldGroups(i);
      out.push(slices && small ? { index: i, from, to } : { index: i, from: 0, to: length, whole: true });
    }
    return out;
  }

  /** Whether any group of chunk `i` is kept (its chunk then continues in slices, never paid twice). */
  heldGroups(i) {
    for (const k of this.groups.keys()) if (k.startsWith(`${i}:`)) return true;
    return false;
  }

  /** The runs of groups of slice `p` not kept yet (what is left to fetch); a whole chunk as it is. */
  missingParts(p) {
    if (p.whole) return [p];
    const runs = [];
    for (let g = p.from; g < p.to; g += GROUP) {
      if (this.groups.has(`${p.index}:${g}`)) continue;
      const end = Math.min(g + GROUP, p.to), last = runs[runs.length - 1];
      if (last && last.to === g) last.to = end;
      else runs.push({ index: p.index, from: g, to: end });
    }
    return runs;
  }

  /** Whether piece `p` is verified and kept. */
  has(p) {
    if (this.chunks.has(p.index)) return true;
    if (p.whole) return false;
    for (let g = p.from; g < p.to; g += GROUP) if (!this.groups.has(`${p.index}:${g}`)) return false;
    return true;
  }

  /** The kept bytes of piece `p` (which {@link has}). */
  bytesOf(p) {
    const chunk = this.chunks.get(p.index);
    if (chunk) return chunk.subarray(p.from, p.to);
    const out = new Uint8Array(p.to - p.from);
    for (let g = p.from; g < p.to; g += GROUP) out.set(this.groups.get(`${p.index}:${g}`), g - p.from);
    return out;
  }

  /** Keeps piece `p`'s verified bytes. */
  keep(p, bytes) {
    if (p.whole) { this.chunks.set(p.index, bytes); return; }
    for (let g = p.from; g < p.to; g += GROUP) this.groups.set(`${p.index}:${g}`, bytes.subarray(g - p.from, Math.min(g - p.from + GROUP, bytes.length)));
  }

  /** Whether every ticket of the current schedule has expired (time to schedule again). */
  expired() {
    return this.edges.every((x) => x.expiresAt <= Date.now() || x.dead);
  }

  /** Lets go of the verified bytes of chunks `indices` (delivered by a stream, never read again). */
  release(indices) {
    for (const i of indices) {
      this.chunks.delete(i);
      for (const k of [...this.groups.keys()]) if (k.startsWith(`${i}:`)) this.groups.delete(k);
    }
  }

  /** Keeps at most `keepBytes` of verified chunks and groups, those of the chunks just read last. */
  evict(keep) {
    let held = 0;
    for (const c of this.chunks.values()) held += c.length;
    for (const g of this.groups.values()) held += g.length;
    for (const [i, c] of this.chunks) {
      if (held <= this.keepBytes) return;
      if (keep.includes(i)) continue;
      held -= c.length;
      this.chunks.delete(i);
    }
    for (const [k, g] of this.groups) {
      if (held <= this.keepBytes) return;
      if (keep.includes(Number(k.split(':')[0]))) continue;
      held -= g.length;
      this.groups.delete(k);
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
    await Promise.allSettled([...this.running]);
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

/** One read: a queue of pieces (whole chunks or slices) worked by several requests per edge. */
class Job {
  constructor(content, want, options) {
    this.c = content;
    this.queue = [...want];
    this.missing = new Set(want);
    this.options = options;
    this.verified = 0;
    this.total = want.reduce((n, p) => n + p.to - p.from, 0);
  }

  /** Runs workers until every wanted piece is verified, or no edge can serve the rest. */
  async run() {
    const workers = this.c.edges.length * PER_EDGE;
    await Promise.all(Array.from({ length: workers }, () => this.worker()));
  }

  async worker() {
    const edges = this.c.edges;
    while (this.missing.size) {
      this.options.signal?.throwIfAborted();
      const piece = this.queue[0];
      if (piece !== undefined && !edges.some((x, e) => this.usable(e, piece, false))) return;
      const e = piece === undefined ? null : this.pickEdge(piece);
      if (e === null) {
        await sleep(5);
        continue;
      }
      this.queue.shift();
      const edge = edges[e], length = piece.to - piece.from;
      edge.inflight++;
      edge.reserved += length;
      try {
        await this.fetchPiece(e, piece);
      } catch (err) {
        this.fail(e, piece, err);
      } finally {
        edge.inflight--;
        edge.reserved -= length;
      }
    }
  }

  /** Whether edge `e` can serve `piece`: alive, honest, unexpired, and its ticket has room (besides what is in flight, unless `counting` is false). */
  usable(e, piece, counting = true) {
    const x = this.c.edges[e];
    const taken = x.bytes + (counting ? x.reserved : 0);
    return !x.dead && !x.lying && x.expiresAt > Date.now() && taken + piece.to - piece.from <= x.maxBytes;
  }

  /** The first edge, best first, that can serve `piece` now. */
  pickEdge(piece) {
    const i = this.c.edges.findIndex((x, e) => x.inflight < PER_EDGE && this.usable(e, piece));
    return i < 0 ? null : i;
  }

  async fetchPiece(e, piece) {
    const edge = this.c.edges[e], { index, from, to } = piece;
    const headers = { 'x-pod-ticket': edge.ticket };
    if (edge.receipt) headers['x-pod-receipt'] = edge.receipt;
    if (!piece.whole) Object.assign(headers, { range: `bytes=${from}-${to - 1}`, 'x-pod-proof': PROOF });
    // Never from the browser's cache: a delivery is paid under this ticket,
    // and a receipt for bytes the edge did not send would be refused.
    const r = await call(`${edge.url}/c/${this.c.content}/${index}`, { headers, cache: 'no-store' }, TIMEOUT_MS, [402]);
    if (r.status === 402) {
      // Bytes still arriving on the other request: wait for its receipt.
      this.queue.unshift(piece);
      await sleep(5);
      return;
    }
    const bytes = this.verify(piece, await bytesOf(r));
    if (!bytes) {
      edge.lying = { chunk: index, accusation: this.c.plan.accusation(e, index) };
      this.queue.unshift(piece);
      return;
    }
    this.c.keep(piece, bytes);
    this.missing.delete(piece);
    edge.bytes += bytes.length;
    edge.chunks++;
    edge.receipt = this.c.plan.receipt(e, edge.bytes, edge.chunks);
    this.verified += bytes.length;
    this.options.onProgress?.({ verified: this.verified, total: this.total, edge: edge.url, chunk: index, bytes: bytes.length });
  }

  /** The piece's bytes if what an edge sent checks against the manifest, else null. */
  verify(piece, got) {
    const m = this.c.manifest;
    if (piece.whole) return m.verifyChunk(piece.index, got) ? got : null;
    try {
      return m.verifySlice(piece.index, piece.from, piece.to, got);
    } catch {
      return null;
    }
  }

  fail(e, piece, err) {
    const edge = this.c.edges[e];
    edge.failures++;
    edge.error = String(err?.message ?? err);
    if (edge.failures >= FAILURES_TO_DROP) edge.dead = true;
    this.queue.push(piece);
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
