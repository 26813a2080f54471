// sw.js — a service worker that lets a publisher's page use plain
// `<video src="/pod/<content>">`, `<img>` or `fetch` for content delivered
// by the PoD CDN: it answers requests for `/pod/<content id>` (whole, or a
// byte Range as media elements ask) with bytes downloaded from the edges
// and verified in this worker, each edge's delivery receipted.
//
//   navigator.serviceWorker.register('/sw.js?reporter=URL&grant=/grant', { type: 'module' })
//
// Bytes are streamed: the first chunk's part before the response starts,
// then two chunks at a time as the page reads, so a `<video>` shows its
// first frame once the first 256 KiB (verified 16 KiB groups of the first
// chunk; the rest of that chunk follows as groups too, never paid twice)
// have arrived, not the whole file.
//
// `grant` is the publisher's backend route that mints a viewer grant for a
// session key POSTed to it (default /grant); `?type=` on a `/pod/` URL sets
// the response's content type, except a type a browser would run on the
// publisher's origin (HTML, XML, SVG, scripts: served as
// application/octet-stream), and every answer is `nosniff` and sandboxed
// by its CSP: a link to `/pod/<someone's content>?type=text/html` cannot
// run a script as the publisher's page. A content left idle for `idle` ms (default
// 3000) is closed: its last receipts go to the edges and its report to the
// reporter; the next request opens it again.

import { PodContent } from './pod.js';

const params = new URL(self.location.href).searchParams;
const reporter = params.get('reporter');
const grantUrl = params.get('grant') ?? '/grant';
const idleMs = Number(params.get('idle') ?? 3000);
const FIRST = 256 << 10; // the first part of a response: verified groups, not a whole chunk
const opened = new Map(); // content id -> { content: Promise<PodContent>, timer }
const closed = new Map(); // content id -> the last close's edges and report

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  const match = url.origin === self.location.origin && url.pathname.match(/^\/pod\/([0-9a-f]{64})$/);
  if (match) event.respondWith(answer(match[1], url.searchParams.get('type'), event.request));
});

// A page may close a content now (`{ type: 'pod-close', content }`) and is
// told what each edge delivered and what the reporter said.
self.addEventListener('message', (event) => {
  if (event.data?.type !== 'pod-close') return;
  event.waitUntil(close(event.data.content).then((summary) => event.source.postMessage({ type: 'pod-closed', ...summary })));
});

// Types a browser would render as a document or run as a script.
const ACTIVE = /^\s*(text\/(html|xml|javascript|ecmascript)|application\/([a-z.+-]*\+)?(xhtml\+xml|xml|javascript|ecmascript|x-javascript)|image\/svg\+xml)\s*(;|$)/i;

// The content type asked for, unless it is one a browser would run.
function passiveType(type) {
  return !type || ACTIVE.test(type) ? 'application/octet-stream' : type;
}

async function answer(id, type, request) {
  try {
    const c = await open(id);
    const range = parseRange(request.headers.get('range'), c.size);
    if (range === null) {
      return new Response(null, { status: 416, headers: { 'content-type': 'text/plain', 'content-range': `bytes */${c.size}` } });
    }
    const [start, end] = range ?? [0, c.size];
    const first = await c.read(start, Math.min(end, start + FIRST, chunkEnd(c, start)));
    touch(id);
    const headers = {
      'content-type': passiveType(type), 'accept-ranges': 'bytes', 'content-length': String(end - start),
      'x-content-type-options': 'nosniff', 'content-security-policy': "sandbox; default-src 'none'",
    };
    const body = stream(id, first, start + first.length, end);
    if (!range) return new Response(body, { status: 200, headers });
    headers['content-range'] = `bytes ${start}-${end - 1}/${c.size}`;
    return new Response(body, { status: 206, headers });
  } catch (err) {
    return new Response(`PoD CDN: ${err.message ?? err}`, { status: 502, headers: { 'content-type': 'text/plain' } });
  }
}

/** One past the last byte of the chunk holding byte `at`. */
function chunkEnd(c, at) {
  const cs = c.manifest.chunkSize;
  return (Math.floor(at / cs) + 1) * cs;
}

/**
 * The response body: `first` (already read, so an error before any byte
 * is a 502, not a broken stream), then bytes `[at, end)` as the reader
 * asks for them, two chunks per read (two edges' requests at once). A
 * media element stops reading when its buffer is full and cancels on a
 * seek, so only what it plays is downloaded (and receipted). The content
 * is opened again if it was closed while the reader paused.
 */
function stream(id, first, at, end) {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(first);
      if (at >= end) controller.close();
    },
    async pull(controller) {
      try {
        const c = await open(id);
        const to = Math.min(end, chunkEnd(c, chunkEnd(c, at)));
        controller.enqueue(await c.read(at, to));
        touch(id);
        at = to;
        if (at >= end) controller.close();
      } catch (err) {
        controller.error(err);
      }
    },
  }, { highWaterMark: 0 });
}

function open(id) {
  let entry = opened.get(id);
  if (!entry) {
    const grant = async (viewer) => {
      const r = await fetch(grantUrl, { method: 'POST', body: viewer });
      if (!r.ok) throw new Error(`grant: ${r.status} ${await r.text()}`);
      return r.text();
    };
    entry = { content: PodContent.open(id, { reporter, grant }), timer: null };
    entry.content.catch(() => opened.delete(id));
    opened.set(id, entry);
  }
  return entry.content;
}

function touch(id) {
  const entry = opened.get(id);
  if (!entry) return;
  clearTimeout(entry.timer);
  entry.timer = setTimeout(() => close(id), idleMs);
}

async function close(id) {
  const entry = opened.get(id);
  if (entry) {
    opened.delete(id);
    clearTimeout(entry.timer);
    const c = await entry.content;
    await c.close();
    closed.set(id, { content: id, edges: c.edgeReport(), reported: c.reported });
  }
  return closed.get(id) ?? { content: id, edges: [], reported: null };
}

/** `[start, end)` of a single `bytes=` range; undefined without one (or for several); null when unsatisfiable. */
function parseRange(header, size) {
  const m = header?.match(/^bytes=(\d*)-(\d*)$/);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start, end;
  if (m[1] === '') {
    start = Math.max(size - Number(m[2]), 0);
    end = size;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size : Math.min(Number(m[2]) + 1, size);
  }
  return start < end && start < size ? [start, end] : null;
}
