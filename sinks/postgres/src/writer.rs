//! The `postgres` sink: a thread that owns the connection, and the
//! synchronous [`Sink`] that sends it commands.

use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;

use jobharvest_core::{Error, ErrorKind, JobRecord, Result, Sink, SinkReport};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::config::{PostgresConfig, describe};
use crate::session::Session;

/// What the sink asks of its connection thread.
enum Command {
    /// Copy and merge these records; answer when done.
    Write(Vec<JobRecord>, SyncSender<Result<()>>),
    /// Commit the run; answer with the outcome.
    Commit(SyncSender<Result<()>>),
}

/// A run's writes to a PostgreSQL table. Dropped without
/// [`Sink::finish`], the transaction rolls back and the table stays as it
/// was.
pub struct PostgresSink {
    commands: Option<Sender<Command>>,
    thread: Option<JoinHandle<()>>,
    /// `user@host:port/db schema.table`, without the password.
    target: String,
    rows: u64,
    warnings: Vec<String>,
}

impl std::fmt::Debug for PostgresSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresSink")
            .field("target", &self.target)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl PostgresSink {
    /// Connects, begins the run's transaction and makes the table ready.
    /// Blocks until then; callable from any thread, inside a tokio runtime
    /// or not.
    ///
    /// # Errors
    /// A network error when the server cannot be reached, an auth error
    /// when it refuses the credentials, a sink error when the table cannot
    /// hold the offers or another run holds it, when the TLS handshake
    /// fails (naming the likely fix), and a config error when `ca_file`
    /// cannot be used. None of them names the password. A relative
    /// `ca_file` is read from the current directory.
    pub fn open(config: &PostgresConfig) -> Result<Self> {
        let pg = config.connection()?;
        let target = format!("{} {}.{}", describe(&pg), config.schema, config.table);
        let tls = config.tls(&pg)?;
        let (commands, rx) = channel::<Command>();
        let (ready_tx, ready) = sync_channel::<Result<Vec<&'static str>>>(1);
        let config = config.clone();
        let thread = std::thread::Builder::new()
            .name("jobharvest-postgres".into())
            .spawn(move || serve(&config, tls, &ready_tx, &rx))
            .map_err(|e| {
                Error::new(
                    ErrorKind::Sink,
                    format!("{target}: could not start the connection thread: {e}"),
                )
            })?;
        let mut sink = PostgresSink {
            commands: Some(commands),
            thread: Some(thread),
            target,
            rows: 0,
            warnings: Vec::new(),
        };
        let added = ready.recv().map_err(|_| sink.thread_gone())??;
        if !added.is_empty() {
            sink.warnings.push(format!(
                "{}: added the columns {}",
                sink.target,
                added.join(", ")
            ));
        }
        Ok(sink)
    }

    fn thread_gone(&self) -> Error {
        Error::new(
            ErrorKind::Sink,
            format!(
                "{}: the connection thread stopped; nothing of this run was committed",
                self.target
            ),
        )
    }

    /// Sends `command` built around a reply channel and waits for the
    /// answer.
    fn ask(&self, command: impl FnOnce(SyncSender<Result<()>>) -> Command) -> Result<()> {
        let (reply, answer) = sync_channel(1);
        self.commands
            .as_ref()
            .ok_or_else(|| self.thread_gone())?
            .send(command(reply))
            .map_err(|_| self.thread_gone())?;
        answer.recv().map_err(|_| self.thread_gone())?
    }
}

/// The connection thread: its own single-threaded runtime, the session,
/// and a loop over the sink's commands. When the sink goes away without
/// committing, the transaction is rolled back.
fn serve(
    config: &PostgresConfig,
    tls: Option<MakeRustlsConnect>,
    ready: &SyncSender<Result<Vec<&'static str>>>,
    commands: &Receiver<Command>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(Error::new(
                ErrorKind::Sink,
                format!("could not start the PostgreSQL runtime: {e}"),
            )));
            return;
        }
    };
    runtime.block_on(async {
        let mut session = match Session::start(config, tls).await {
            Ok(s) => s,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        if ready.send(Ok(std::mem::take(&mut session.added))).is_err() {
            session.rollback().await;
            return;
        }
        // Waiting here blocks the runtime's only thread, which is fine: the
        // connection has nothing to do between two commands.
        while let Ok(command) = commands.recv() {
            match command {
                Command::Write(batch, reply) => {
                    let result = session.write(&batch).await;
                    let failed = result.is_err();
                    if reply.send(result).is_err() || failed {
                        break;
                    }
                }
                Command::Commit(reply) => {
                    let _ = reply.send(session.commit().await);
                    return;
                }
            }
        }
        session.rollback().await;
    });
}

impl Sink for PostgresSink {
    fn write(&mut self, batch: &[JobRecord]) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        self.ask(|reply| Command::Write(batch.to_vec(), reply))?;
        self.rows += batch.len() as u64;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<SinkReport> {
        self.ask(Command::Commit)?;
        self.stop();
        Ok(SinkReport {
            rows: self.rows,
            bytes: None,
            warnings: std::mem::take(&mut self.warnings),
        })
    }
}

impl PostgresSink {
    /// Closes the command channel and waits for the thread, which rolls
    /// back whatever was not committed.
    fn stop(&mut self) {
        self.commands = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for PostgresSink {
    fn drop(&mut self) {
        self.stop();
    }
}
