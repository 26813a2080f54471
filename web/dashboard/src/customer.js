// The customer view: escrow, limits, budgets, usage and spend per window.
import { draw } from './charts.js';
import { fillTable, grouped, hex, pod, podNumber, set } from './format.js';

/** Windows the view shows, up to the current one. */
const WINDOWS = 12;

/** Redraws the view for `account` (SS58). */
export async function showCustomer(api, account) {
  if (!account) return;
  const [escrow, limit, pending, current] = await Promise.all([
    api.call.podApi.escrow(account), api.query.pod.spendLimits(account),
    api.query.pod.pendingWithdrawals(account), api.call.podApi.currentWindow(),
  ]);
  set('cu-escrow', pod(escrow.toBigInt()));
  set('cu-limit', limit.isSome ? pod(limit.unwrap().toBigInt()) : 'none');
  set('cu-withdrawing', pending.isSome ? pod(pending.unwrap()[0].toBigInt()) : 'none');
  const last = current.toNumber();
  const windows = [];
  for (let w = Math.max(0, last - WINDOWS + 1); w <= last; w += 1) windows.push(w);
  const usage = await Promise.all(windows.map((w) => api.call.podApi.usage(account, w)));
  const spent = usage.reduce((n, u) => n + u.charged.toBigInt(), 0n);
  set('cu-spent', pod(spent));
  draw('usage-chart', windows.map((w) => `w${w}`), [
    { label: 'bytes delivered', data: usage.map((u) => Number(u.bytes.toBigInt())) },
    { label: 'charged (POD)', data: usage.map((u) => podNumber(u.charged.toBigInt())), type: 'line', axis: 'y1' },
    { label: 'unpaid (POD)', data: usage.map((u) => podNumber(u.unpaid.toBigInt())), type: 'line', axis: 'y1' },
  ], { y: 'bytes', y1: 'POD' });
  fillTable(document.getElementById('usage-table'), windows.map((w, i) => [w, grouped(usage[i].bytes.toBigInt()),
    pod(usage[i].charged.toBigInt()), pod(usage[i].unpaid.toBigInt())]).reverse());
  const contents = (await api.query.pod.contents.entries())
    .map(([k, v]) => ({ id: hex(k.args[0]), c: v.unwrap() }))
    .filter(({ c }) => c.owner.toString() === account);
  // A codec struct is a Map: @polkadot/types renames its `size` field `size_`.
  fillTable(document.getElementById('contents-table'), contents.map(({ id, c }) => [
    { text: id, cls: 'key' }, grouped(c.get('size_').toBigInt()), pod(c.pricePerGib.toBigInt()),
    c.budget.isSome ? pod(c.budget.unwrap().toBigInt()) : 'none', c.open.isTrue ? 'yes' : 'no',
  ]));
}
