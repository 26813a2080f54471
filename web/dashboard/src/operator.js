// The operator view: the edge's own earnings (its admin plane, same origin)
// joined with what the chain settled; every reduction explained.
import { draw } from './charts.js';
import { bytes, fillTable, grouped, pod, podNumber, set } from './format.js';

/** What each reporter reduction means (pod_wire::api::ReductionReason). */
const REASONS = {
  duplicate_receipts: 'several receipts of one ticket were sent; only the largest counts',
  unknown_ticket: 'the reporter never issued this receipt’s ticket',
  other_reporter: 'the ticket was issued by another reporter',
  ticket_for_other_edge: 'the ticket names another edge',
  ticket_for_other_window: 'the ticket belongs to another window',
  bad_client_signature: 'the receipt is not signed by the ticket’s viewer',
  capped_by_max_bytes: 'the receipt acknowledges more than its ticket allowed',
  client_reported_less: 'the viewer reported fewer bytes (older rule)',
  no_valid_receipts: 'no valid receipt supports this content’s claim',
  above_receipts: 'the claim is above what its valid receipts acknowledge',
  confirmed_in_other_part: 'the ticket was already confirmed in another part of the window',
  grant_budget_reached: 'the viewer’s grant had already been paid its whole budget',
};

async function adminJson(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

/** The chain's settlements of the edge's windows: "window/reporter/part" → record. */
async function settlements(api, edge, windows) {
  const out = new Map();
  for (const w of windows) {
    for (const [reporter, part, rec] of await api.call.podApi.settlements(`0x${edge}`, w)) {
      out.set(`${w}/${reporter.toHex().slice(2)}/${part}`, rec);
    }
  }
  return out;
}

/** Redraws the view; says why when the page is not served by an edge. */
export async function showOperator(api) {
  let status;
  let earnings;
  try {
    [status, earnings] = await Promise.all([adminJson('../status'), adminJson('../earnings?limit=48')]);
  } catch (e) {
    set('operator-note', `Open this dashboard from your edge's admin listener (http://127.0.0.1:8701/dashboard/) to see its earnings (${e.message}).`);
    return;
  }
  const edge = status.edge;
  set('op-edge', edge);
  const info = await api.query.pod.edges(`0x${edge}`);
  if (info.isNone) {
    set('operator-note', `Edge ${edge} is not registered on this chain: pod-edge register.`);
    return;
  }
  const owner = info.unwrap().owner.toString();
  set('operator-note', `Edge owned by ${owner}.`);
  const rows = earnings.slice().reverse();
  const settled = await settlements(api, edge, [...new Set(rows.map((r) => r.window))]);
  const joined = rows.map((r) => ({ r, s: settled.get(`${r.window}/${r.reporter}/${r.part}`) }));
  await totals(api, owner, joined);
  chart(joined);
  tables(joined);
}

async function totals(api, owner, joined) {
  const [credits, unvested] = await Promise.all([api.call.podApi.credits(owner), api.call.podApi.unvested(owner)]);
  set('op-credits', pod(credits.toBigInt()));
  set('op-vesting', pod(unvested.toBigInt()));
  const total = joined.reduce((n, { s }) => n + (s ? s.bytes.toBigInt() : 0n), 0n);
  set('op-settled', bytes(total));
  const redemptions = (await api.query.pod.redemptions.entries())
    .map(([k, v]) => ({ id: k.args[0].toString(), r: v.unwrap() }))
    .filter(({ r }) => r.who.toString() === owner);
  fillTable(document.getElementById('redemptions-table'),
    redemptions.map(({ id, r }) => [id, pod(r.amount.toBigInt()), `#${r.requestedAt}`]));
}

function chart(joined) {
  draw('earnings-chart', joined.map(({ r }) => `w${r.window}${r.part ? `.${r.part}` : ''}`), [
    { label: 'receipted bytes', data: joined.map(({ r }) => r.acked_bytes) },
    { label: 'confirmed bytes', data: joined.map(({ r }) => r.confirmation?.confirmed_bytes ?? 0) },
    { label: 'settled bytes', data: joined.map(({ s }) => (s ? Number(s.bytes.toBigInt()) : 0)) },
    { label: 'credits (POD)', data: joined.map(({ s }) => (s ? podNumber(s.credits.toBigInt()) : 0)), type: 'line', axis: 'y1' },
  ], { y: 'bytes', y1: 'POD' });
}

function tables(joined) {
  const newest = joined.slice().reverse();
  fillTable(document.getElementById('earnings-table'), newest.map(({ r, s }) => [
    r.window, r.part, r.state, r.receipts, grouped(r.acked_bytes),
    r.confirmation ? grouped(r.confirmation.confirmed_bytes) : '–',
    s ? grouped(s.bytes.toBigInt()) : '–', s ? pod(s.credits.toBigInt()) : '–',
    s ? s.state.toString().toLowerCase() : '–',
  ]));
  const cuts = [];
  for (const { r, s } of newest) {
    for (const c of r.confirmation?.reductions ?? []) {
      cuts.push([r.window, grouped(c.claimed - c.confirmed), `${c.reason}: ${REASONS[c.reason] ?? ''}`, c.detail]);
    }
    if (s && s.unpaid.toBigInt() > 0n) {
      cuts.push([r.window, pod(s.unpaid.toBigInt()), 'unpaid by the chain: the customers’ escrow, limits or budgets, or the reporter’s cap, ran out', '']);
    }
    if (r.note) cuts.push([r.window, '–', r.state, r.note]);
  }
  fillTable(document.getElementById('reductions-table'), cuts, 'none: every receipted byte was confirmed');
}
