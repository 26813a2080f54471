// The page uses nothing but ordinary tags and fetch: the service worker
// (web/sw.js) answers `/pod/<content>` from verified chunks.

import { closeContent, edgeTable, useWorker } from './worker.js';

const $ = (id) => document.getElementById(id);

async function main() {
  const config = await (await fetch('/config')).json();
  await useWorker(config.reporter);
  $('status').textContent = 'Loading the image through the PoD CDN…';
  const src = `/pod/${config.content}?type=${encodeURIComponent(config.type)}`;
  const img = document.createElement('img');
  img.src = src;
  $('media').replaceChildren(img);
  await img.decode();
  // A media element's kind of request: a byte range.
  const part = await fetch(src, { headers: { range: 'bytes=100-299' } });
  const slice = new Uint8Array(await part.arrayBuffer());
  const whole = new Uint8Array(await (await fetch(src)).arrayBuffer());
  // A link that asks for the content as HTML on this page's origin.
  const asHtml = await fetch(`/pod/${config.content}?type=text%2Fhtml`, { headers: { range: 'bytes=0-0' } });
  await asHtml.arrayBuffer();
  const active = {
    type: asHtml.headers.get('content-type'), nosniff: asHtml.headers.get('x-content-type-options'),
    csp: asHtml.headers.get('content-security-policy'),
  };
  const summary = await closeContent(config.content);
  edgeTable($('edges'), summary.edges);
  $('status').textContent = `${img.naturalWidth}×${img.naturalHeight} image, ${whole.length} bytes verified by the service worker; ` +
    `reported to the reporter: ${JSON.stringify(summary.reported)}`;
  return {
    ok: true, bytes: whole, width: img.naturalWidth, edges: summary.edges, reported: summary.reported, active,
    range: { status: part.status, contentRange: part.headers.get('content-range'), bytes: [...slice] },
  };
}

window.podDemo = main().catch((err) => {
  $('status').textContent = `failed: ${err.message}`;
  return { ok: false, error: String(err.message ?? err) };
});
