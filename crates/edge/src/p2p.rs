//! Edge-to-edge networking on libp2p 0.54 (the version the node links).
//!
//! - identity: an ed25519 key derived from the edge's 32-byte seed, so an
//!   edge's peer id is stable across restarts;
//! - transport: TCP with noise and yamux;
//! - discovery: Kademlia (bootstrap peers from the config; each edge
//!   announces itself as a provider of every content it holds) and mDNS on a
//!   LAN; identify tells Kademlia the peers' listen addresses;
//! - chunk exchange: request-response protocol `/pod/chunk/2`
//!   ([`frame::ChunkRequest`] → length-prefixed bytes), answered from the
//!   cache only, and only to registered edges: every request carries the
//!   asking edge's [`PeerCredential`] (its edge key's signature over its
//!   peer id), which the answering edge checks against the connection's
//!   authenticated peer id and the chain's edges before it reads anything;
//!   the asking edge verifies every chunk against the manifest;
//! - orders: gossipsub topic `pod/orders/1` carrying reporter-signed
//!   [`SignedOrder`]s ("hold content C").

use crate::fill::PeerSource;
use async_trait::async_trait;
use bytes::Bytes;
use codec::Encode;
use futures::future::{BoxFuture, FutureExt};
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, StreamExt};
use libp2p::swarm::{behaviour::toggle::Toggle, NetworkBehaviour, SwarmEvent};
use libp2p::{
	gossipsub, identify, identity, kad, mdns, noise, request_response, tcp, yamux, Multiaddr,
	PeerId, StreamProtocol,
};
use pod_primitives::{ContentId, PeerCredential, SignedOrder};
use pod_wire::peer::{self as frame, ChunkRequest};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Semaphore};

const CHUNK_PROTOCOL: StreamProtocol = StreamProtocol::new("/pod/chunk/2");
const ORDERS_TOPIC: &str = "pod/orders/1";

/// Answers a peer's chunk request from the local cache: run outside the
/// swarm task (it checks who asks, reads the disk, checks the hash and
/// waits for the bandwidth caps), `None` for "not held", "not now" or "not
/// for you". Given the request and the asking peer's id (authenticated by
/// the connection).
pub type LocalChunks =
	Arc<dyn Fn(ChunkRequest, PeerId) -> BoxFuture<'static, Option<Bytes>> + Send + Sync>;

/// Largest gossiped order: a manifest of the largest content plus its
/// origin and signature.
const MAX_ORDER_BYTES: usize = 1 << 20;

/// Peer chunk requests answered at once; more get "not held" at once, so a
/// peer flooding requests cannot queue unbounded work.
const PEER_ANSWERS: usize = 8;
/// Receives a gossiped order: whether it is valid (a known reporter's
/// signature, unexpired). Only valid orders are forwarded to other peers;
/// the sender of an invalid one is penalised by gossipsub's scoring.
pub type OrderSink = Arc<dyn Fn(SignedOrder) -> bool + Send + Sync>;

/// Peer-layer configuration.
#[derive(Debug, Clone)]
pub struct PeerConfig {
	/// 32-byte seed the libp2p identity is derived from.
	pub seed: [u8; 32],
	/// Where to listen.
	pub listen: Multiaddr,
	/// `/ip4/…/tcp/…/p2p/<peer id>` addresses of any edge or the reporter.
	pub bootstrap: Vec<Multiaddr>,
	/// mDNS discovery on the LAN.
	pub mdns: bool,
	/// This edge's credential for its peer id ([`peer_id_of`] the seed),
	/// sent with its chunk requests.
	pub credential: PeerCredential,
}

/// The libp2p peer id an edge with this seed has.
pub fn peer_id_of(seed: [u8; 32]) -> Result<PeerId, PeerError> {
	let key = identity::Keypair::ed25519_from_bytes(seed).map_err(|_| PeerError::Identity)?;
	Ok(key.public().to_peer_id())
}

/// Why the peer layer failed to start.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
	/// The seed does not make an ed25519 identity.
	#[error("bad peer identity seed")]
	Identity,
	/// The swarm could not be built.
	#[error("building the libp2p swarm: {0}")]
	Swarm(String),
	/// The listen address could not be bound.
	#[error("listening on {addr}: {reason}")]
	Listen {
		/// The address.
		addr: Multiaddr,
		/// What libp2p said.
		reason: String,
	},
	/// A bootstrap address without its peer id.
	#[error("bootstrap address {0} has no /p2p/<peer id>")]
	BootstrapWithoutPeerId(Multiaddr),
}

#[derive(Debug, Clone, Default)]
struct ChunkCodec;

#[async_trait]
impl request_response::Codec for ChunkCodec {
	type Protocol = StreamProtocol;
	type Request = ChunkRequest;
	type Response = Option<Vec<u8>>;

	async fn read_request<T: AsyncRead + Unpin + Send>(
		&mut self,
		_: &StreamProtocol,
		io: &mut T,
	) -> std::io::Result<Self::Request> {
		let mut buf = [0u8; frame::REQUEST_LEN];
		io.read_exact(&mut buf).await?;
		frame::decode_request(&buf).map_err(invalid)
	}

	async fn read_response<T: AsyncRead + Unpin + Send>(
		&mut self,
		_: &StreamProtocol,
		io: &mut T,
	) -> std::io::Result<Self::Response> {
		let mut header = [0u8; 4];
		io.read_exact(&mut header).await?;
		let Some(len) = frame::response_len(header).map_err(invalid)? else {
			return Ok(None);
		};
		let mut buf = vec![0u8; len];
		io.read_exact(&mut buf).await?;
		Ok(Some(buf))
	}

	async fn write_request<T: AsyncWrite + Unpin + Send>(
		&mut self,
		_: &StreamProtocol,
		io: &mut T,
		req: Self::Request,
	) -> std::io::Result<()> {
		io.write_all(&frame::encode_request(&req)).await?;
		io.close().await
	}

	async fn write_response<T: AsyncWrite + Unpin + Send>(
		&mut self,
		_: &StreamProtocol,
		io: &mut T,
		res: Self::Response,
	) -> std::io::Result<()> {
		io.write_all(&frame::response_header(res.as_deref())).await?;
		io.write_all(res.as_deref().unwrap_or_default()).await?;
		io.close().await
	}
}

fn invalid(e: impl std::fmt::Display) -> std::io::Error {
	std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())
}

#[derive(NetworkBehaviour)]
struct Behaviour {
	kad: kad::Behaviour<kad::store::MemoryStore>,
	identify: identify::Behaviour,
	chunks: request_response::Behaviour<ChunkCodec>,
	mdns: Toggle<mdns::tokio::Behaviour>,
	gossip: gossipsub::Behaviour,
}

enum Command {
	Fetch {
		content: ContentId,
		index: u32,
		reply: oneshot::Sender<Option<Bytes>>,
	},
	Provide(ContentId),
	Publish(SignedOrder),
	Addrs(oneshot::Sender<Vec<Multiaddr>>),
	Connected(oneshot::Sender<usize>),
	/// A peer's chunk request, answered off the swarm task.
	Answer(request_response::ResponseChannel<Option<Vec<u8>>>, Option<Bytes>),
}

/// The swarm's protocols: Kademlia, identify, the chunk exchange, mDNS (if
/// on) and the orders' gossip (validated by the edge, known by their bytes).
fn behaviour(
	key: &identity::Keypair,
	with_mdns: bool,
) -> Result<Behaviour, Box<dyn std::error::Error + Send + Sync>> {
	let id = key.public().to_peer_id();
	let mut kad = kad::Behaviour::new(id, kad::store::MemoryStore::new(id));
	kad.set_mode(Some(kad::Mode::Server));
	let gossip = gossipsub::Behaviour::new(
		gossipsub::MessageAuthenticity::Signed(key.clone()),
		gossipsub::ConfigBuilder::default()
			.heartbeat_interval(Duration::from_millis(500))
			// Forward only what the edge validated, and know a message by
			// its bytes: the same order replayed under another peer id is a
			// duplicate.
			.validate_messages()
			.message_id_fn(|m| {
				gossipsub::MessageId::from(blake3::hash(&m.data).as_bytes().to_vec())
			})
			.max_transmit_size(MAX_ORDER_BYTES)
			.build()
			.map_err(|e| e.to_string())?,
	)?;
	let mdns = match with_mdns {
		true => Some(mdns::tokio::Behaviour::new(mdns::Config::default(), id)?),
		false => None,
	};
	let chunk_config =
		request_response::Config::default().with_request_timeout(Duration::from_secs(10));
	Ok(Behaviour {
		kad,
		identify: identify::Behaviour::new(identify::Config::new(
			"/pod/1.0.0".into(),
			key.public(),
		)),
		chunks: request_response::Behaviour::with_codec(
			ChunkCodec,
			[(CHUNK_PROTOCOL, request_response::ProtocolSupport::Full)],
			chunk_config,
		),
		mdns: mdns.into(),
		gossip,
	})
}

/// A handle to the running peer layer.
#[derive(Clone, Debug)]
pub struct Peers {
	tx: mpsc::Sender<Command>,
	peer_id: PeerId,
}

impl Peers {
	/// Starts the swarm on the current tokio runtime.
	pub fn start(
		cfg: PeerConfig,
		local: LocalChunks,
		orders: OrderSink,
	) -> Result<Peers, PeerError> {
		let key =
			identity::Keypair::ed25519_from_bytes(cfg.seed).map_err(|_| PeerError::Identity)?;
		let peer_id = key.public().to_peer_id();
		let mut swarm = libp2p::SwarmBuilder::with_existing_identity(key)
			.with_tokio()
			.with_tcp(
				tcp::Config::default().nodelay(true),
				noise::Config::new,
				yamux::Config::default,
			)
			.map_err(|e| PeerError::Swarm(e.to_string()))?
			.with_behaviour(|key| behaviour(key, cfg.mdns))
			.map_err(|e| PeerError::Swarm(e.to_string()))?
			.with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
			.build();
		swarm
			.listen_on(cfg.listen.clone())
			.map_err(|e| PeerError::Listen { addr: cfg.listen.clone(), reason: e.to_string() })?;
		for addr in &cfg.bootstrap {
			let Some(libp2p::multiaddr::Protocol::P2p(peer)) = addr.iter().last() else {
				return Err(PeerError::BootstrapWithoutPeerId(addr.clone()));
			};
			swarm.behaviour_mut().kad.add_address(&peer, addr.clone());
			let _ = swarm.dial(addr.clone());
		}
		let topic = gossipsub::IdentTopic::new(ORDERS_TOPIC);
		swarm
			.behaviour_mut()
			.gossip
			.subscribe(&topic)
			.map_err(|e| PeerError::Swarm(e.to_string()))?;
		let (tx, rx) = mpsc::channel(256);
		let answers =
			Answers { local, tx: tx.clone(), slots: Arc::new(Semaphore::new(PEER_ANSWERS)) };
		tokio::spawn(run(swarm, rx, cfg.credential, answers, orders, topic));
		Ok(Peers { tx, peer_id })
	}

	/// This edge's peer id.
	pub fn peer_id(&self) -> PeerId {
		self.peer_id
	}

	/// The addresses the swarm listens on.
	pub async fn listen_addrs(&self) -> Vec<Multiaddr> {
		let (tx, rx) = oneshot::channel();
		let _ = self.tx.send(Command::Addrs(tx)).await;
		rx.await.unwrap_or_default()
	}

	/// How many peers are connected.
	pub async fn connected(&self) -> usize {
		let (tx, rx) = oneshot::channel();
		let _ = self.tx.send(Command::Connected(tx)).await;
		rx.await.unwrap_or_default()
	}

	/// Announces that this edge holds `content` (Kademlia provider record).
	pub async fn provide(&self, content: ContentId) {
		let _ = self.tx.send(Command::Provide(content)).await;
	}

	/// Gossips an order to every edge.
	pub async fn publish(&self, order: SignedOrder) {
		let _ = self.tx.send(Command::Publish(order)).await;
	}
}

impl PeerSource for Peers {
	fn fetch(&self, content: ContentId, index: u32) -> BoxFuture<'static, Option<Bytes>> {
		let tx = self.tx.clone();
		async move {
			let (reply, rx) = oneshot::channel();
			tx.send(Command::Fetch { content, index, reply }).await.ok()?;
			tokio::time::timeout(Duration::from_secs(20), rx).await.ok()?.ok()?
		}
		.boxed()
	}
}

/// A fetch waiting on providers and then on one peer at a time.
struct PendingFetch {
	content: ContentId,
	index: u32,
	reply: oneshot::Sender<Option<Bytes>>,
	candidates: VecDeque<PeerId>,
	tried: HashSet<PeerId>,
	searching: bool,
}

struct State {
	credential: PeerCredential,
	holders: HashMap<ContentId, HashSet<PeerId>>,
	fetches: Vec<PendingFetch>,
	by_query: HashMap<kad::QueryId, usize>,
	by_request: HashMap<request_response::OutboundRequestId, usize>,
}

fn key_of(content: &ContentId) -> kad::RecordKey {
	kad::RecordKey::new(content)
}

/// How peers' chunk requests are answered: by [`LocalChunks`] on their own
/// task, at most [`PEER_ANSWERS`] at once, the answer sent back to the
/// swarm as a [`Command::Answer`].
struct Answers {
	local: LocalChunks,
	tx: mpsc::Sender<Command>,
	slots: Arc<Semaphore>,
}

impl Answers {
	fn answer(
		&self,
		swarm: &mut libp2p::Swarm<Behaviour>,
		request: ChunkRequest,
		peer: PeerId,
		channel: request_response::ResponseChannel<Option<Vec<u8>>>,
	) {
		let Ok(slot) = self.slots.clone().try_acquire_owned() else {
			let _ = swarm.behaviour_mut().chunks.send_response(channel, None);
			return;
		};
		let (local, tx) = (self.local.clone(), self.tx.clone());
		tokio::spawn(async move {
			let chunk = local(request, peer).await;
			drop(slot);
			let _ = tx.send(Command::Answer(channel, chunk)).await;
		});
	}
}

async fn run(
	mut swarm: libp2p::Swarm<Behaviour>,
	mut rx: mpsc::Receiver<Command>,
	credential: PeerCredential,
	answers: Answers,
	orders: OrderSink,
	topic: gossipsub::IdentTopic,
) {
	let mut st = State {
		credential,
		holders: HashMap::new(),
		fetches: Vec::new(),
		by_query: HashMap::new(),
		by_request: HashMap::new(),
	};
	let mut bootstrap = tokio::time::interval(Duration::from_secs(30));
	loop {
		tokio::select! {
			cmd = rx.recv() => {
				let Some(cmd) = cmd else { return };
				match cmd {
					Command::Fetch { content, index, reply } => {
						let mut candidates: VecDeque<PeerId> = st.holders.get(&content).into_iter().flatten().copied().collect();
						// Connected peers are cheap to ask; providers may be more.
						for p in swarm.connected_peers() {
							if !candidates.contains(p) {
								candidates.push_back(*p);
							}
						}
						let qid = swarm.behaviour_mut().kad.get_providers(key_of(&content));
						st.fetches.push(PendingFetch { content, index, reply, candidates, tried: HashSet::new(), searching: true });
						let slot = st.fetches.len() - 1;
						st.by_query.insert(qid, slot);
						try_next(&mut swarm, &mut st, slot);
					},
					Command::Provide(content) => {
						let _ = swarm.behaviour_mut().kad.start_providing(key_of(&content));
					},
					Command::Publish(order) => {
						if let Err(e) = swarm.behaviour_mut().gossip.publish(topic.clone(), order.encode()) {
							tracing::debug!(error = %e, "order not gossiped (no peers yet?)");
						}
					},
					Command::Addrs(reply) => {
						let _ = reply.send(swarm.listeners().cloned().collect());
					},
					Command::Connected(reply) => {
						let _ = reply.send(swarm.connected_peers().count());
					},
					Command::Answer(channel, chunk) => {
						let chunk = chunk.map(|b| b.to_vec());
						let _ = swarm.behaviour_mut().chunks.send_response(channel, chunk);
					},
				}
			},
			_ = bootstrap.tick() => {
				let _ = swarm.behaviour_mut().kad.bootstrap();
			},
			ev = swarm.select_next_some() => handle_event(&mut swarm, &mut st, &answers, &orders, ev),
		}
		// Drop finished fetches, keeping indices of live ones stable by compaction.
		if st.fetches.iter().any(|f| f.reply.is_closed()) {
			compact(&mut st);
		}
	}
}

fn compact(st: &mut State) {
	let mut remap = HashMap::new();
	let mut kept = Vec::new();
	for (i, f) in std::mem::take(&mut st.fetches).into_iter().enumerate() {
		if !f.reply.is_closed() {
			remap.insert(i, kept.len());
			kept.push(f);
		}
	}
	st.fetches = kept;
	st.by_query = st.by_query.drain().filter_map(|(q, i)| remap.get(&i).map(|j| (q, *j))).collect();
	st.by_request =
		st.by_request.drain().filter_map(|(r, i)| remap.get(&i).map(|j| (r, *j))).collect();
}

/// Asks the next untried candidate, or answers `None` when none is left and
/// the provider search is over.
fn try_next(swarm: &mut libp2p::Swarm<Behaviour>, st: &mut State, slot: usize) {
	let me = *swarm.local_peer_id();
	let f = &mut st.fetches[slot];
	if f.reply.is_closed() {
		return;
	}
	if st.by_request.values().any(|s| *s == slot) {
		return; // a request is already out
	}
	while let Some(p) = f.candidates.pop_front() {
		if p == me || !f.tried.insert(p) {
			continue;
		}
		let request =
			ChunkRequest { content: f.content, index: f.index, credential: st.credential };
		let rid = swarm.behaviour_mut().chunks.send_request(&p, request);
		st.by_request.insert(rid, slot);
		return;
	}
	if !f.searching {
		let (tx, _) = oneshot::channel();
		let reply = std::mem::replace(&mut f.reply, tx);
		let _ = reply.send(None);
	}
}

fn handle_event(
	swarm: &mut libp2p::Swarm<Behaviour>,
	st: &mut State,
	answers: &Answers,
	orders: &OrderSink,
	ev: SwarmEvent<BehaviourEvent>,
) {
	match ev {
		SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
			peer_id,
			info,
			..
		})) => {
			for a in info.listen_addrs {
				swarm.behaviour_mut().kad.add_address(&peer_id, a);
			}
		}
		SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Discovered(list))) => {
			for (peer, addr) in list {
				swarm.behaviour_mut().kad.add_address(&peer, addr.clone());
				let _ = swarm.dial(addr);
			}
		}
		SwarmEvent::Behaviour(BehaviourEvent::Kad(kad::Event::OutboundQueryProgressed {
			id,
			result: kad::QueryResult::GetProviders(res),
			step,
			..
		})) => providers_found(swarm, st, id, res, step.last),
		SwarmEvent::Behaviour(BehaviourEvent::Chunks(ev)) => chunk_event(swarm, st, answers, ev),
		SwarmEvent::Behaviour(BehaviourEvent::Gossip(gossipsub::Event::Message {
			propagation_source,
			message_id,
			message,
		})) => {
			let valid = match pod_wire::hex::decode_all::<SignedOrder>("order", &message.data) {
				Ok(order) => orders(order),
				Err(e) => {
					tracing::debug!(error = %e, "undecodable order gossiped");
					false
				}
			};
			let verdict = if valid {
				gossipsub::MessageAcceptance::Accept
			} else {
				gossipsub::MessageAcceptance::Reject
			};
			let gossip = &mut swarm.behaviour_mut().gossip;
			let _ =
				gossip.report_message_validation_result(&message_id, &propagation_source, verdict);
		}
		SwarmEvent::NewListenAddr { address, .. } => {
			tracing::info!(%address, "peer layer listening")
		}
		_ => {}
	}
}

/// Kademlia found providers of a content a fetch is waiting for.
fn providers_found(
	swarm: &mut libp2p::Swarm<Behaviour>,
	st: &mut State,
	id: kad::QueryId,
	res: kad::GetProvidersResult,
	last: bool,
) {
	let Some(&slot) = st.by_query.get(&id) else { return };
	if let Ok(kad::GetProvidersOk::FoundProviders { providers, key }) = res {
		if let Ok(content) = <ContentId>::try_from(key.as_ref()) {
			st.holders.entry(content).or_default().extend(providers.iter().copied());
		}
		st.fetches[slot].candidates.extend(providers);
	}
	if last {
		st.by_query.remove(&id);
		st.fetches[slot].searching = false;
	}
	try_next(swarm, st, slot);
}

/// A chunk request from a peer (answered from the cache, off this task),
/// or the answer to one of ours.
fn chunk_event(
	swarm: &mut libp2p::Swarm<Behaviour>,
	st: &mut State,
	answers: &Answers,
	ev: request_response::Event<ChunkRequest, Option<Vec<u8>>>,
) {
	match ev {
		request_response::Event::Message {
			peer,
			message: request_response::Message::Request { request, channel, .. },
		} => answers.answer(swarm, request, peer, channel),
		request_response::Event::Message {
			peer,
			message: request_response::Message::Response { request_id, response },
		} => {
			let Some(slot) = st.by_request.remove(&request_id) else { return };
			match response {
				Some(bytes) => {
					st.holders.entry(st.fetches[slot].content).or_default().insert(peer);
					let (tx, _) = oneshot::channel();
					let reply = std::mem::replace(&mut st.fetches[slot].reply, tx);
					let _ = reply.send(Some(Bytes::from(bytes)));
				}
				None => try_next(swarm, st, slot),
			}
		}
		request_response::Event::OutboundFailure { request_id, peer, error } => {
			tracing::debug!(%peer, %error, "chunk request failed");
			if let Some(slot) = st.by_request.remove(&request_id) {
				try_next(swarm, st, slot);
			}
		}
		_ => {}
	}
}
