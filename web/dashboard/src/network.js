// The network view: finality, validators, the window, reporters, edges by region.
import { draw } from './charts.js';
import { bytes, fillTable, hex, pod, set, utf8 } from './format.js';

const heads = [];

/** Follows the best and finalized heads for the finality chart. */
export async function followHeads(api) {
  let best = 0;
  await api.rpc.chain.subscribeNewHeads((h) => {
    best = h.number.toNumber();
    set('best', `#${best}`);
  });
  await api.rpc.chain.subscribeFinalizedHeads((h) => {
    const finalized = h.number.toNumber();
    set('finalized', `#${finalized}`);
    heads.push({ best, finalized });
    if (heads.length > 40) heads.shift();
    draw('finality-chart', heads.map((x) => `#${x.finalized}`), [
      { label: 'best', data: heads.map((x) => x.best), type: 'line' },
      { label: 'finalized', data: heads.map((x) => x.finalized), type: 'line' },
    ], { y: 'block' });
  });
}

/** The reporter's live edges (its `/status`), if it answers. */
async function liveEdges(reporterUrl) {
  if (!reporterUrl) return null;
  try {
    const s = await (await fetch(`${reporterUrl}/status`)).json();
    return { reporter: s.reporter, edges: new Set(s.edges.map((e) => e.key)) };
  } catch {
    return null;
  }
}

/** Redraws the view from the chain (and the reporter's status). */
export async function showNetwork(api, reporterUrl) {
  const authorities = await api.query.aura.authorities();
  set('validators', authorities.length);
  fillTable(document.getElementById('validator-table'),
    authorities.map((a) => [{ text: a.toString(), cls: 'key' }]));
  const [window, length] = await Promise.all([
    api.call.podApi.currentWindow(), api.call.podApi.windowLength()]);
  set('window', `${window} (${length} blocks)`);
  const live = await liveEdges(reporterUrl);
  const reporters = await api.query.pod.reporters.entries();
  set('reporter-count', reporters.length);
  fillTable(document.getElementById('reporter-table'), reporters.map(([k, v]) => {
    const key = hex(k.args[0]);
    const count = live && live.reporter === key ? live.edges.size : '–';
    return [{ text: key, cls: 'key' }, pod(v.unwrap().capPerWindow.toBigInt()), count];
  }));
  const edges = (await api.query.pod.edges.entries()).map(([k, v]) => ({ key: hex(k.args[0]), info: v.unwrap() }));
  set('edge-count', edges.length);
  const regions = new Map();
  for (const e of edges) {
    const r = utf8(e.info.region);
    regions.set(r, (regions.get(r) ?? 0) + 1);
  }
  const names = [...regions.keys()].sort();
  draw('regions-chart', names, [{ label: 'edges', data: names.map((n) => regions.get(n)) }], { y: 'edges' });
  fillTable(document.getElementById('edge-table'), edges.map((e) => [
    { text: e.key, cls: 'key' }, utf8(e.info.region), `${bytes(e.info.capacity.toBigInt())}/s`,
    { text: e.info.owner.toString(), cls: 'key' }, e.info.since.toString(),
  ]));
}
