//! Stopping on a signal: Ctrl-C (SIGINT), SIGTERM (`kill`, `systemctl
//! stop`, a container runtime, Kubernetes) and SIGHUP (a closed terminal)
//! all stop a run the same way: no more fetching, nothing half-written at
//! an output path, the checkpoint kept for `--resume`, a summary of what
//! was done. The exit code says which signal (130, 143, 129). A second
//! signal ends the process at once.

use std::sync::atomic::{AtomicI32, Ordering};

/// The signal that stopped the run (0: none).
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// SIGINT's number.
pub const SIGINT: i32 = 2;
/// SIGHUP's number.
pub const SIGHUP: i32 = 1;
/// SIGTERM's number.
pub const SIGTERM: i32 = 15;

/// The signal received, if any.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        n => Some(n),
    }
}

/// The conventional exit code of a process stopped by `signal`.
pub fn exit_code(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(1)
}

/// The signal's name, for messages.
pub fn name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "Ctrl-C (SIGINT)",
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}

/// Waits for the first of Ctrl-C, SIGTERM and SIGHUP, and returns it.
/// Once one has come, a second one ends the process at once with its
/// exit code.
pub async fn first() -> i32 {
    let signal = next().await;
    RECEIVED.store(signal, Ordering::SeqCst);
    tokio::spawn(async {
        let again = next().await;
        eprintln!(
            "{}: stopping at once (temporary files left behind are removed by the next run).",
            name(again)
        );
        std::process::exit(i32::from(exit_code(again)));
    });
    signal
}

#[cfg(unix)]
async fn next() -> i32 {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        let _ = tokio::signal::ctrl_c().await;
        return SIGINT;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => SIGINT,
        _ = term.recv() => SIGTERM,
        _ = hup.recv() => SIGHUP,
    }
}

#[cfg(not(unix))]
async fn next() -> i32 {
    let _ = tokio::signal::ctrl_c().await;
    SIGINT
}
