// The PoD dashboard: three views over @polkadot/api (the chain's storage and
// its PodApi runtime calls, by metadata) and the edge's and the reporter's
// JSON APIs. Query parameters: chain (ws URL; default the page's host on
// 9944), reporter (its base URL), customer (an SS58 account).
import { ApiPromise, WsProvider } from '@polkadot/api';
import { drawn } from './charts.js';
import { showCustomer } from './customer.js';
import { followHeads, showNetwork } from './network.js';
import { showOperator } from './operator.js';
import { set } from './format.js';

const params = new URLSearchParams(location.search);
const chainUrl = params.get('chain') ?? `ws://${location.hostname || '127.0.0.1'}:9944`;
const reporterUrl = params.get('reporter');
let account = params.get('customer');

function showView() {
  const view = (location.hash || '#network').slice(1);
  for (const s of document.querySelectorAll('.view')) s.classList.toggle('active', s.id === view);
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.view === view);
}

async function refresh(api) {
  await Promise.all([showNetwork(api, reporterUrl), showOperator(api), showCustomer(api, account)]);
}

async function main() {
  showView();
  window.addEventListener('hashchange', showView);
  const api = await ApiPromise.create({ provider: new WsProvider(chainUrl), noInitWarn: true });
  const chain = await api.rpc.system.chain();
  set('connection', `${chain} at ${chainUrl}`);
  document.getElementById('customer-account').value = account ?? '';
  document.getElementById('customer-form').addEventListener('submit', (e) => {
    e.preventDefault();
    account = document.getElementById('customer-account').value.trim();
    showCustomer(api, account).catch((err) => set('connection', err.message));
  });
  await followHeads(api);
  await refresh(api);
  window.podDashboard = { ready: true, drawn };
  // Everything else follows finality: redraw every few finalized blocks.
  let n = 0;
  await api.rpc.chain.subscribeFinalizedHeads(() => {
    n += 1;
    if (n % 3 === 0) refresh(api).catch((err) => set('connection', err.message));
  });
}

main().catch((e) => {
  set('connection', `error: ${e.message}`);
  window.podDashboard = { error: `${e.message} ${e.stack ?? ''}` };
});
