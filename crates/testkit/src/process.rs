//! Child processes that are always stopped: killed when dropped, restarted
//! by a supervisor when they exit on purpose (fault injection), and waits
//! that fail loudly with what they waited for.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The exit code of a fault-injection exit: the supervisor restarts the
/// process without the fault variable.
pub const FAULT_EXIT: i32 = 75;

/// Why a harness step failed.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
	/// A process could not be started.
	#[error("starting {what}: {source}")]
	Spawn {
		/// The process.
		what: String,
		/// What the OS said.
		#[source]
		source: std::io::Error,
	},
	/// A wait ran out of time.
	#[error("timed out after {after:?} waiting for {what}")]
	Timeout {
		/// What was awaited.
		what: String,
		/// How long.
		after: Duration,
	},
	/// A check failed.
	#[error("{0}")]
	Check(String),
	/// A file could not be used.
	#[error("{path}: {source}")]
	Io {
		/// The file.
		path: PathBuf,
		/// What the OS said.
		#[source]
		source: std::io::Error,
	},
}

/// A child process stopped (SIGTERM, then SIGKILL) when dropped.
#[derive(Debug)]
pub struct Proc {
	name: String,
	child: Child,
}

impl Proc {
	/// Starts `cmd` with stdout and stderr appended to `log`.
	pub fn spawn(name: &str, mut cmd: Command, log: &Path) -> Result<Proc, HarnessError> {
		let out = append(log)?;
		let err =
			out.try_clone().map_err(|source| HarnessError::Io { path: log.into(), source })?;
		cmd.stdout(Stdio::from(out)).stderr(Stdio::from(err)).stdin(Stdio::null());
		let child =
			cmd.spawn().map_err(|source| HarnessError::Spawn { what: name.into(), source })?;
		Ok(Proc { name: name.into(), child })
	}

	/// The process's id.
	pub fn id(&self) -> u32 {
		self.child.id()
	}

	/// The process's name.
	pub fn name(&self) -> &str {
		&self.name
	}

	/// Its exit status, if it has exited.
	pub fn exited(&mut self) -> Option<ExitStatus> {
		self.child.try_wait().ok().flatten()
	}

	/// SIGTERM, then SIGKILL after `grace`.
	pub fn stop(&mut self, grace: Duration) {
		if self.exited().is_some() {
			return;
		}
		let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
		let deadline = Instant::now() + grace;
		while Instant::now() < deadline {
			if self.exited().is_some() {
				return;
			}
			std::thread::sleep(Duration::from_millis(50));
		}
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

impl Drop for Proc {
	fn drop(&mut self) {
		self.stop(Duration::from_secs(5));
	}
}

fn append(log: &Path) -> Result<File, HarnessError> {
	OpenOptions::new()
		.create(true)
		.append(true)
		.open(log)
		.map_err(|source| HarnessError::Io { path: log.into(), source })
}

/// A process restarted whenever it exits with [`FAULT_EXIT`], without its
/// fault variable; stopped when dropped. The restarts are noted in its log.
#[derive(Debug)]
pub struct Supervised {
	current: Arc<Mutex<Option<Proc>>>,
	stop: Arc<std::sync::atomic::AtomicBool>,
	thread: Option<std::thread::JoinHandle<()>>,
	restarts: Arc<std::sync::atomic::AtomicU32>,
}

impl Supervised {
	/// Starts the process `make()` builds; `fault_var` is removed from its
	/// environment on restarts.
	pub fn start(
		name: &str,
		make: impl Fn() -> Command + Send + 'static,
		fault_var: &'static str,
		log: &Path,
	) -> Result<Supervised, HarnessError> {
		let current = Arc::new(Mutex::new(Some(Proc::spawn(name, make(), log)?)));
		let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
		let restarts = Arc::new(std::sync::atomic::AtomicU32::new(0));
		let (c, s, r, log, name) =
			(current.clone(), stop.clone(), restarts.clone(), log.to_path_buf(), name.to_string());
		let thread = std::thread::spawn(move || watch(&name, &c, &s, &r, &log, make, fault_var));
		Ok(Supervised { current, stop, thread: Some(thread), restarts })
	}

	/// How many times the process was restarted after a fault exit.
	pub fn restarts(&self) -> u32 {
		self.restarts.load(std::sync::atomic::Ordering::SeqCst)
	}
}

fn watch(
	name: &str,
	current: &Mutex<Option<Proc>>,
	stop: &std::sync::atomic::AtomicBool,
	restarts: &std::sync::atomic::AtomicU32,
	log: &Path,
	make: impl Fn() -> Command,
	fault_var: &str,
) {
	use std::sync::atomic::Ordering;
	while !stop.load(Ordering::SeqCst) {
		std::thread::sleep(Duration::from_millis(100));
		let mut slot = current.lock().expect("supervisor lock");
		let Some(status) = slot.as_mut().and_then(Proc::exited) else { continue };
		if status.code() != Some(FAULT_EXIT) || stop.load(Ordering::SeqCst) {
			return;
		}
		if let Ok(mut f) = append(log) {
			let _ = writeln!(f, "[supervisor] exited with {FAULT_EXIT} (fault injection); restarting without {fault_var}");
		}
		let mut cmd = make();
		cmd.env_remove(fault_var);
		match Proc::spawn(name, cmd, log) {
			Ok(p) => {
				*slot = Some(p);
				restarts.fetch_add(1, Ordering::SeqCst);
			}
			Err(e) => return eprintln!("supervisor of {name}: {e}"),
		}
	}
}

impl Drop for Supervised {
	fn drop(&mut self) {
		self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
		if let Some(t) = self.thread.take() {
			let _ = t.join();
		}
		self.current.lock().expect("supervisor lock").take();
	}
}

/// Polls `check` every `every` until it returns `Some`, or fails loudly
/// after `timeout` naming `what`.
pub async fn wait_for<T, F, Fut>(
	what: &str,
	timeout: Duration,
	every: Duration,
	mut check: F,
) -> Result<T, HarnessError>
where
	F: FnMut() -> Fut,
	Fut: std::future::Future<Output = Option<T>>,
{
	let deadline = Instant::now() + timeout;
	loop {
		if let Some(v) = check().await {
			return Ok(v);
		}
		if Instant::now() >= deadline {
			return Err(HarnessError::Timeout { what: what.into(), after: timeout });
		}
		tokio::time::sleep(every).await;
	}
}
