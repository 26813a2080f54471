// The page uses nothing but ordinary tags and fetch: the service worker
// (web/sw.js) answers `/pod/<content>` from verified chunks.

const $ = (id) => document.getElementById(id);

async function main() {
  const config = await (await fetch('/config')).json();
  const sw = `/sw.js?reporter=${encodeURIComponent(config.reporter)}&grant=/grant&idle=60000`;
  await navigator.serviceWorker.register(sw, { type: 'module', scope: '/' });
  await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
  }
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
  const summary = await closeContent(config.content);
  table(summary.edges);
  $('status').textContent = `${img.naturalWidth}×${img.naturalHeight} image, ${whole.length} bytes verified by the service worker; ` +
    `reported to the reporter: ${JSON.stringify(summary.reported)}`;
  return {
    ok: true, bytes: whole, width: img.naturalWidth, edges: summary.edges, reported: summary.reported,
    range: { status: part.status, contentRange: part.headers.get('content-range'), bytes: [...slice] },
  };
}

/** Asks the worker to close the content now; what each edge delivered, and the reporter's answer. */
function closeContent(content) {
  return new Promise((resolve) => {
    navigator.serviceWorker.addEventListener('message', (e) => {
      if (e.data?.type === 'pod-closed' && e.data.content === content) resolve(e.data);
    });
    navigator.serviceWorker.controller.postMessage({ type: 'pod-close', content });
  });
}

function table(edges) {
  $('edges').tBodies[0].replaceChildren(...edges.map((e) => {
    const tr = document.createElement('tr');
    for (const v of [`${e.url} (${e.key.slice(0, 8)}…)`, e.bytes, e.chunks]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    return tr;
  }));
}

window.podDemo = main().catch((err) => {
  $('status').textContent = `failed: ${err.message}`;
  return { ok: false, error: String(err.message ?? err) };
});
