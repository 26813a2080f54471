// A publisher page's side of the PoD service worker (web/sw.js): register
// it for the page's reporter, ask it to close a content (final receipts
// and the report now), and show what each edge delivered.

/** Registers the worker for `reporter` (grants from the page's `/grant`) and waits until it controls the page. */
export async function useWorker(reporter, idleMs = 60000) {
  const sw = `/sw.js?reporter=${encodeURIComponent(reporter)}&grant=/grant&idle=${idleMs}`;
  await navigator.serviceWorker.register(sw, { type: 'module', scope: '/' });
  await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
  }
}

/** Asks the worker to close `content` now; what each edge delivered, and the reporter's answer. */
export function closeContent(content) {
  return new Promise((resolve) => {
    const seen = (e) => {
      if (e.data?.type !== 'pod-closed' || e.data.content !== content) return;
      navigator.serviceWorker.removeEventListener('message', seen);
      resolve(e.data);
    };
    navigator.serviceWorker.addEventListener('message', seen);
    navigator.serviceWorker.controller.postMessage({ type: 'pod-close', content });
  });
}

/** Fills `table`'s body with a row per edge: where, bytes verified, receipts signed. */
export function edgeTable(table, edges) {
  table.tBodies[0].replaceChildren(...edges.map((e) => {
    const tr = document.createElement('tr');
    for (const v of [`${e.url} (${e.key.slice(0, 8)}…)`, e.bytes, e.chunks]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    return tr;
  }));
}
