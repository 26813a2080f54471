//! # pod-http
//!
//! HTTP plumbing shared by the PoD CDN's services (edge data plane,
//! reporter API, the stand-in origin) and its clients, over hyper 1:
//!
//! | module | what |
//! | --- | --- |
//! | [`server`] | the serve loop (HTTP/1.1 and HTTP/2 on one port, graceful shutdown) |
//! | [`public`] | what a public plane is served with: TLS (rustls) and CORS for browsers |
//! | [`refusal`] | [`Refusal`]: a specific status and a JSON [`ErrorBody`](pod_wire::replies::ErrorBody) |
//! | [`reply`] | responses: JSON, bytes, request bodies with limits |
//! | [`files`] | static files under a URL prefix (tower-http's `ServeDir`) |
//! | [`client`] | a small control-plane client whose errors say whether to retry |
//! | [`addresses`] | only public addresses for what others name (origins, edge URLs): SSRF |
//! | [`metrics`] | the exposition in the format a scraper accepts, labels, latency histograms, `build_info` |
//! | [`logs`] | log lines: text on a terminal, JSON lines otherwise |
//! | [`service`] | logging set-up, configuration files and exit codes, for every binary |
#![deny(missing_docs)]

pub mod addresses;
pub mod client;
pub mod files;
pub mod logs;
pub mod metrics;
pub mod public;
pub mod refusal;
pub mod reply;
pub mod server;
pub mod service;

pub use client::{call, client_tls, http_client, CallError, HttpClient, Reply};
pub use public::PublicPlane;
pub use refusal::Refusal;
pub use reply::{binary, body, full, json, json_body, text, Body, Resp};
pub use server::{serve, serve_planes};
