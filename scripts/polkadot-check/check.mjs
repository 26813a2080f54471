// A client nobody on this project wrote (@polkadot/api, types from metadata
// only, no custom definitions) drives the PoD chain end to end:
//   - Bob registers an edge with the edge key's proof of possession (a
//     registration with another key's proof is refused), Ferdie registers a
//     content (Ferdie has genesis escrow);
//   - after the window closes, this script signs an attestation itself as the
//     edge and as the dev reporter (sr25519, "substrate" context, tag ‖ genesis ‖ SCALE)
//     and submits it unsigned;
//   - it reads credits, escrow, usage and the operator's fee back, through storage
//     and through the PodApi runtime API, and checks they match the 95/5 split exactly;
//   - a replay of the same attestation is refused by the pool.
// Usage: node check.mjs [ws://127.0.0.1:9944]
import { ApiPromise, WsProvider, Keyring } from '@polkadot/api';
import { u8aConcat, stringToU8a, u8aToHex } from '@polkadot/util';
import { cryptoWaitReady, sr25519PairFromSeed, sr25519Sign, randomAsU8a } from '@polkadot/util-crypto';

const url = process.argv[2] || 'ws://127.0.0.1:9944';
const GIB = 1n << 30n;
const UNIT = 1_000_000_000_000n;
const REPORTER_SEED = stringToU8a('pod-cdn/dev/reporter/seed/v1____');
const TAG_ATTESTATION = stringToU8a('PODATT01');

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) { passed++; console.log(`ok   ${name}`); }
  else { failed++; console.log(`FAIL ${name} ${detail}`); }
}

function withTimeout(p, ms, what) {
  return Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(`timed out: ${what}`)), ms))]);
}

// Sign and send, resolving once in a block with no dispatch error.
function sendSigned(api, tx, signer, what) {
  return withTimeout(new Promise((resolve, reject) => {
    tx.signAndSend(signer, ({ status, dispatchError, events }) => {
      if (dispatchError) {
        const e = dispatchError.isModule ? api.registry.findMetaError(dispatchError.asModule) : dispatchError;
        reject(new Error(`${what}: ${e.section ? `${e.section}.${e.name}` : e.toString()}`));
      } else if (status.isInBlock) resolve(events);
    }).catch(reject);
  }), 90_000, what);
}

async function main() {
  await cryptoWaitReady();
  const api = await withTimeout(ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true }), 60_000, 'connect');
  console.log(`connected to ${(await api.rpc.system.chain()).toString()} at ${url}`);
  const keyring = new Keyring({ type: 'sr25519' });
  const bob = keyring.addFromUri('//Bob');
  const eve = keyring.addFromUri('//Eve');
  const ferdie = keyring.addFromUri('//Ferdie');

  const seen = [];
  const unsub = await api.query.system.events((events) => {
    for (const { event } of events) {
      if (event.section === 'pod') {
        seen.push(event);
        console.log(`event pod.${event.method} ${JSON.stringify(event.data.toHuman())}`);
      }
    }
  });

  const windowLength = (await api.call.podApi.windowLength()).toNumber();
  check('PodApi.window_length matches the pallet constant', windowLength === api.consts.pod.windowLength.toNumber());
  const reporter = sr25519PairFromSeed(REPORTER_SEED);
  check('dev reporter is in the reporter set', (await api.query.pod.reporters(reporter.publicKey)).isSome);

  // A fresh edge key and content id per run, so the check can rerun on one chain.
  const edge = sr25519PairFromSeed(randomAsU8a(32));
  const content = randomAsU8a(32);
  // The edge key signs PODREG01 ‖ genesis ‖ SCALE(edge key, owner account).
  const regMsg = (key, owner) => u8aConcat(stringToU8a('PODREG01'), api.genesisHash.toU8a(), key, owner);
  const squat = sr25519Sign(regMsg(edge.publicKey, bob.publicKey), sr25519PairFromSeed(randomAsU8a(32)));
  const squatted = await sendSigned(api, api.tx.pod.registerEdge(edge.publicKey, 'eu-west', 1_000_000_000n, squat), bob, 'squat')
    .then(() => 'accepted', (e) => e.message);
  check('registering an edge key without its proof is refused', squatted.endsWith('pod.BadEdgeProof'));
  const proof = sr25519Sign(regMsg(edge.publicKey, bob.publicKey), edge);
  await sendSigned(api, api.tx.pod.registerEdge(edge.publicKey, 'eu-west', 1_000_000_000n, proof), bob, 'register_edge');
  await sendSigned(api, api.tx.pod.registerContent(content, 4n * GIB, UNIT, 'http://127.0.0.1:8080/c'), ferdie, 'register_content');
  const window = (await api.call.podApi.currentWindow()).toNumber();
  console.log(`edge ${u8aToHex(edge.publicKey)} and content registered in window ${window}`);

  const credits0 = (await api.query.pod.credits(bob.address)).toBigInt();
  const escrow0 = (await api.query.pod.escrow(ferdie.address)).toBigInt();
  const usage0 = await api.query.pod.usage(window, ferdie.address);
  const eve0 = (await api.query.system.account(eve.address)).data.free.toBigInt();

  // Wait for the window to close.
  await withTimeout(new Promise((resolve) => {
    const u = api.rpc.chain.subscribeNewHeads(async () => {
      if ((await api.call.podApi.currentWindow()).toNumber() > window) { (await u)(); resolve(); }
    });
  }), (windowLength + 5) * 6_000 * 2, 'window close');

  // Build the attestation from metadata types only.
  const attType = api.tx.pod.submitAttestation.meta.args[0].type.toString();
  const bytes = GIB + 12_345n;
  const payload = {
    edge: edge.publicKey, window, part: 0,
    entries: [{ content, bytes }],
    receiptsRoot: new Uint8Array(32).fill(7), receiptCount: 3,
  };
  const unsigned = api.createType(attType, { payload, edgeSignature: new Uint8Array(64), reporter: reporter.publicKey, reporterSignature: new Uint8Array(64) });
  const msg = u8aConcat(TAG_ATTESTATION, api.genesisHash.toU8a(), unsigned.payload.toU8a());
  const att = api.createType(attType, {
    payload,
    edgeSignature: sr25519Sign(msg, edge),
    reporter: reporter.publicKey,
    reporterSignature: sr25519Sign(msg, reporter),
  });

  const accepted = withTimeout(new Promise((resolve, reject) => {
    api.tx.pod.submitAttestation(att).send(({ status, dispatchError }) => {
      if (dispatchError) reject(new Error(`attestation failed: ${dispatchError.toString()}`));
      else if (status.isFinalized) resolve(status.asFinalized);
    }).catch(reject);
  }), 120_000, 'attestation finalized');
  const finalizedIn = await accepted;
  console.log(`attestation finalized in ${finalizedIn.toHex()}`);

  // Expected amounts, computed independently of the chain.
  const charge = bytes * UNIT / GIB;
  const fee = charge * 50_000_000n / 1_000_000_000n;
  const credits = charge - fee;

  // Settled, but the credits and the fee vest only after the vesting delay.
  const settledNow = await api.call.podApi.settlement(edge.publicKey, window, reporter.publicKey, 0);
  check('settlement recorded as vesting', settledNow.isSome && settledNow.unwrap().state.isVesting);
  check('PodApi.unvested shows the pending credits', (await api.call.podApi.unvested(bob.address)).toBigInt() >= credits);
  const vested = async () => {
    const r = await api.call.podApi.settlement(edge.publicKey, window, reporter.publicKey, 0);
    return r.isSome && r.unwrap().state.isVested;
  };
  const deadline = Date.now() + 180_000;
  while (!(await vested())) {
    if (Date.now() > deadline) throw new Error('the settlement did not vest within 180 s');
    await new Promise((r) => setTimeout(r, 2_000));
  }
  console.log('settlement vested');

  const credits1 = (await api.query.pod.credits(bob.address)).toBigInt();
  check('edge owner credited 95%', credits1 - credits0 === credits, `${credits1 - credits0} != ${credits}`);
  check('PodApi.credits agrees with storage', (await api.call.podApi.credits(bob.address)).toBigInt() === credits1);
  const escrow1 = (await api.query.pod.escrow(ferdie.address)).toBigInt();
  check('customer escrow charged in full', escrow0 - escrow1 === charge, `${escrow0 - escrow1} != ${charge}`);
  check('PodApi.escrow agrees with storage', (await api.call.podApi.escrow(ferdie.address)).toBigInt() === escrow1);
  const eve1 = (await api.query.system.account(eve.address)).data.free.toBigInt();
  check('operator (Eve) received the 5% fee', eve1 - eve0 === fee, `${eve1 - eve0} != ${fee}`);
  const usage1 = await api.query.pod.usage(window, ferdie.address);
  check('customer usage counts the bytes', usage1.bytes.toBigInt() - usage0.bytes.toBigInt() === bytes);
  const rec = await api.call.podApi.settlement(edge.publicKey, window, reporter.publicKey, 0);
  check('PodApi.settlement shows the window settled', rec.isSome && rec.unwrap().credits.toBigInt() === credits);
  check('PodApi.edge_earnings', (await api.call.podApi.edgeEarnings(edge.publicKey, window)).toBigInt() === credits);
  check('AttestationAccepted event seen', seen.some((e) => e.method === 'AttestationAccepted' && u8aToHex(e.data[0]) === u8aToHex(edge.publicKey)));

  // Replay: the same bytes are refused by the pool …
  const refused = async (tx) => {
    try { await withTimeout(tx.send(), 30_000, 'replay'); return ''; } catch (e) { return e.message; }
  };
  const replay = await refused(api.tx.pod.submitAttestation(att));
  check('replayed attestation refused by the pool', replay !== '', 'the replay was accepted');
  console.log(`replay answer: ${replay}`);
  // … and so is a different, validly two-signed payload for the same (edge, window):
  // the pallet's own check (AlreadySettled → stale), not just the pool's hash ban.
  const payload2 = { ...payload, entries: [{ content, bytes: bytes * 2n }] };
  const u2 = api.createType(attType, { payload: payload2, edgeSignature: new Uint8Array(64), reporter: reporter.publicKey, reporterSignature: new Uint8Array(64) });
  const msg2 = u8aConcat(TAG_ATTESTATION, api.genesisHash.toU8a(), u2.payload.toU8a());
  const att2 = api.createType(attType, { payload: payload2, edgeSignature: sr25519Sign(msg2, edge), reporter: reporter.publicKey, reporterSignature: sr25519Sign(msg2, reporter) });
  const second = await refused(api.tx.pod.submitAttestation(att2));
  check('second attestation for a settled (edge, window) refused as stale', /outdated|stale/i.test(second), second || 'it was accepted');
  console.log(`second attestation answer: ${second}`);
  // An attestation for a window that has not closed is refused (future).
  const att3 = api.createType(attType, { payload: { ...payload, window: window + 1 }, edgeSignature: sr25519Sign(msg, edge), reporter: reporter.publicKey, reporterSignature: sr25519Sign(msg, edge) });
  const forged = await refused(api.tx.pod.submitAttestation(att3));
  check('attestation for a window not yet closed refused by the pool', forged !== '', 'it was accepted');
  console.log(`forged attestation answer: ${forged}`);

  unsub();
  await api.disconnect();
}

main()
  .catch((e) => { failed++; console.log(`FAIL ${e.stack || e}`); })
  .finally(() => {
    console.log(`polkadot.js check: ${passed} passed, ${failed} failed`);
    process.exit(failed === 0 && passed > 0 ? 0 : 1);
  });
