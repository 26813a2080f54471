// The demo's and the end-to-end test's view of the chain, through @polkadot/api
// with types from metadata only.
//
//   node pod.mjs setup    WS --edge //Owner=EDGEKEY … --content ID:SIZE:PRICE_PER_GIB:ORIGIN
//   node pod.mjs snapshot WS --owner //Owner … > before.json
//   node pod.mjs wait     WS --expect FILE [--timeout SECS]
//   node pod.mjs verify   WS --before before.json --expect FILE
//
// FILE (expect) is JSON: { "edges": { EDGEKEY: { "owner": "//Alice", "bytes": N } },
//                          "customer": "//Ferdie", "content": ID, "price": PRICE_PER_GIB }
// `wait` returns once every edge's settled bytes (finalized) reach the bytes
// the clients received from it; `verify` then checks, against the snapshot
// taken before the downloads, that credits, the operator's fee, escrow and
// usage balance exactly against those bytes, and prints the summary.
import { ApiPromise, WsProvider, Keyring } from '@polkadot/api';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { readFileSync } from 'node:fs';

const GIB = 1n << 30n;
const FEE_PPB = 50_000_000n;
const PPB = 1_000_000_000n;

const [cmd, url, ...rest] = process.argv.slice(2);
function opts(name) {
  const out = [];
  for (let i = 0; i < rest.length; i++) if (rest[i] === name) out.push(rest[++i]);
  return out;
}
const opt = (name, dflt) => opts(name)[0] ?? dflt;

function withTimeout(p, ms, what) {
  return Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(`timed out: ${what}`)), ms))]);
}

function sendSigned(api, tx, signer, what, okErrors = [], options = {}) {
  return withTimeout(new Promise((resolve, reject) => {
    tx.signAndSend(signer, options, ({ status, dispatchError }) => {
      if (dispatchError) {
        const e = dispatchError.isModule ? api.registry.findMetaError(dispatchError.asModule) : null;
        const name = e ? `${e.section}.${e.name}` : dispatchError.toString();
        if (okErrors.includes(name)) resolve(name);
        else reject(new Error(`${what}: ${name}`));
      } else if (status.isFinalized) resolve('ok');
    }).catch(reject);
  }), 300_000, what);
}

const fmt = (v) => v.toLocaleString('en-US');
const hex = (s) => (s.startsWith('0x') ? s : `0x${s}`).toLowerCase();

async function snapshot(api, keyring, owners, customer, operator) {
  const snap = { credits: {}, totalCredits: 0n, escrow: 0n, operatorFree: 0n };
  for (const o of owners) snap.credits[o] = (await api.query.pod.credits(keyring.addFromUri(o).address)).toBigInt();
  snap.totalCredits = (await api.query.pod.totalCredits()).toBigInt();
  snap.escrow = (await api.query.pod.escrow(customer)).toBigInt();
  snap.operatorFree = (await api.query.system.account(operator)).data.free.toBigInt();
  return snap;
}

async function settledOf(api, edge) {
  const entries = await api.query.pod.settled.entries(hex(edge));
  return entries.map(([k, v]) => ({ window: k.args[1].toNumber(), ...v.unwrap().toJSON(), rec: v.unwrap() }));
}

async function main() {
  await cryptoWaitReady();
  const api = await withTimeout(ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true }), 60_000, 'connect');
  const keyring = new Keyring({ type: 'sr25519' });
  const operator = (await api.query.pod.operator()).unwrap().toString();

  if (cmd === 'setup') {
    const jobs = opts('--edge').map((spec) => {
      const [owner, key] = spec.split('=');
      return sendSigned(api, api.tx.pod.registerEdge(hex(key), 'local', 100_000_000n), keyring.addFromUri(owner),
        `register_edge ${owner}`, ['pod.EdgeAlreadyRegistered']).then((r) => console.log(`edge ${key.slice(0, 16)}… owned by ${owner}: ${r}`));
    });
    for (const spec of opts('--content')) {
      const [id, size, price, ...o] = spec.split(':');
      const origin = o.join(':');
      jobs.push(sendSigned(api, api.tx.pod.registerContent(hex(id), BigInt(size), BigInt(price), origin),
        keyring.addFromUri(opt('--customer', '//Ferdie')), 'register_content', ['pod.ContentAlreadyRegistered'])
        .then((r) => console.log(`content ${id.slice(0, 16)}… (${fmt(BigInt(size))} bytes at ${price} per GiB): ${r}`)));
    }
    await Promise.all(jobs);
  } else if (cmd === 'snapshot') {
    const customer = keyring.addFromUri(opt('--customer', '//Ferdie')).address;
    const s = await snapshot(api, keyring, opts('--owner'), customer, operator);
    console.log(JSON.stringify(s, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
  } else if (cmd === 'wait' || cmd === 'verify') {
    const expect = JSON.parse(readFileSync(opt('--expect'), 'utf8'));
    const edges = Object.entries(expect.edges);
    if (cmd === 'wait') {
      const deadline = Date.now() + Number(opt('--timeout', '600')) * 1000;
      let last = '';
      // The events, as any polkadot.js user would watch them.
      const ours = new Set(edges.map(([k]) => hex(k)));
      let accepted = 0;
      const unsub = await api.query.system.events((events) => {
        for (const { event } of events) {
          if (event.section === 'pod' && event.method === 'AttestationAccepted' && ours.has(event.data[0].toHex())) {
            accepted++;
            const d = event.data.toJSON();
            console.log(`event pod.AttestationAccepted edge ${d[0].slice(0, 10)}… window ${d[1]}: ${fmt(BigInt(d[4]))} B, credits ${fmt(BigInt(d[7]))}, fee ${fmt(BigInt(d[6]))}`);
          }
        }
      });
      for (;;) {
        const got = [];
        for (const [edge, e] of edges) {
          const bytes = (await settledOf(api, edge)).reduce((a, r) => a + BigInt(r.bytes), 0n);
          got.push({ edge, bytes, want: BigInt(e.bytes) });
        }
        const line = got.map((g) => `${g.edge.slice(0, 8)}… ${fmt(g.bytes)}/${fmt(g.want)}`).join('  ');
        if (line !== last) { console.log(`settled (finalized): ${line}`); last = line; }
        if (got.every((g) => g.bytes >= g.want)) {
          unsub();
          console.log(`${accepted} AttestationAccepted events seen while waiting`);
          break;
        }
        if (Date.now() > deadline) throw new Error('settlement did not complete in time');
        await new Promise((r) => setTimeout(r, 3000));
      }
    } else {
      const before = JSON.parse(readFileSync(opt('--before'), 'utf8'));
      const customer = keyring.addFromUri(expect.customer).address;
      const owners = [...new Set(edges.map(([, e]) => e.owner))];
      const after = await snapshot(api, keyring, owners, customer, operator);
      const price = BigInt(expect.price);
      let ok = true;
      const fail = (m) => { ok = false; console.log(`MISMATCH ${m}`); };
      let sumCharged = 0n; let sumFee = 0n; let sumCredits = 0n; let sumBytes = 0n;
      const perOwner = {};
      console.log('');
      console.log('edge              owner     windows  bytes received  bytes settled  credits minted (planck)');
      for (const [edge, e] of edges) {
        const recs = await settledOf(api, edge);
        let bytes = 0n; let credits = 0n;
        for (const r of recs) {
          const b = BigInt(r.rec.bytes.toString());
          const charged = BigInt(r.rec.charged.toString());
          const fee = BigInt(r.rec.fee.toString());
          const cr = BigInt(r.rec.credits.toString());
          // The formula, independently of the chain: floor(bytes·price/GiB), 5% fee.
          const want = (b * price) / GIB;
          const wantFee = (want * FEE_PPB) / PPB;
          if (charged !== want) fail(`window ${r.window} of ${edge.slice(0, 8)}: charged ${charged} != ${want}`);
          if (fee !== wantFee) fail(`window ${r.window} of ${edge.slice(0, 8)}: fee ${fee} != ${wantFee}`);
          if (cr !== charged - fee) fail(`window ${r.window} of ${edge.slice(0, 8)}: credits ${cr} != charged − fee`);
          bytes += b; credits += cr; sumCharged += charged; sumFee += fee; sumCredits += cr;
        }
        sumBytes += bytes;
        perOwner[e.owner] = (perOwner[e.owner] ?? 0n) + credits;
        console.log(`${edge.slice(0, 16)}  ${e.owner.padEnd(8)}  ${String(recs.length).padStart(7)}  ${fmt(BigInt(e.bytes)).padStart(14)}  ${fmt(bytes).padStart(13)}  ${fmt(credits)}`);
        if (bytes !== BigInt(e.bytes)) fail(`edge ${edge.slice(0, 8)} settled ${bytes} bytes, clients received ${e.bytes}`);
      }
      for (const o of owners) {
        const d = after.credits[o] - BigInt(before.credits[o]);
        if (d !== perOwner[o]) fail(`credits of ${o} grew by ${d}, settlements say ${perOwner[o]}`);
      }
      const dFee = after.operatorFree - BigInt(before.operatorFree);
      const dEscrow = BigInt(before.escrow) - after.escrow;
      const dTotal = after.totalCredits - BigInt(before.totalCredits);
      if (dFee !== sumFee) fail(`operator received ${dFee}, settlements say ${sumFee}`);
      if (dEscrow !== sumCharged) fail(`escrow fell by ${dEscrow}, settlements charged ${sumCharged}`);
      if (dTotal !== sumCredits) fail(`total credits grew by ${dTotal}, settlements minted ${sumCredits}`);
      if (dEscrow !== dFee + dTotal) fail('escrow taken != fee + credits');
      console.log('');
      console.log(`bytes delivered and settled : ${fmt(sumBytes)}`);
      for (const o of owners) console.log(`credits minted to ${o.padEnd(9)}: ${fmt(perOwner[o])} planck`);
      console.log(`operator fee (to ${operator.slice(0, 8)}…): ${fmt(dFee)} planck`);
      console.log(`customer escrow             : ${fmt(BigInt(before.escrow))} → ${fmt(after.escrow)} planck (−${fmt(dEscrow)})`);
      console.log(`check: escrow taken ${fmt(dEscrow)} = fee ${fmt(dFee)} + credits ${fmt(dTotal)}`);
      // Usage per window, as the customer sees it.
      const usage = await api.query.pod.usage.entries(customer);
      const recent = usage.map(([k, v]) => [k.args[1].toNumber(), v.toJSON()]).sort((a, b) => a[0] - b[0]).slice(-6);
      console.log(`customer usage (last windows): ${recent.map(([w, u]) => `w${w}: ${fmt(BigInt(u.bytes))} B`).join(', ')}`);
      console.log(ok ? 'BALANCED: every byte the clients received was paid exactly once' : 'NOT BALANCED');
      if (!ok) process.exitCode = 1;
    }
  } else {
    throw new Error(`unknown command ${cmd}`);
  }
  await api.disconnect();
}

// Exit explicitly: pending timeout timers would otherwise keep node alive.
main()
  .then(() => process.exit(process.exitCode ?? 0))
  .catch((e) => { console.error(`pod.mjs ${cmd}: ${e.stack || e}`); process.exit(1); });
