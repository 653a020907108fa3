//! Logs and progress on stderr, without tearing each other.
//!
//! Log lines go through the progress bars' `suspend`, so a bar is cleared,
//! the line printed, and the bar redrawn; and through the redactor, so no
//! secret reaches a log.

use std::io::{self, IsTerminal, Write};

use indicatif::{MultiProgress, ProgressDrawTarget};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Where progress bars draw; hidden when stderr is not a terminal or with
/// `--quiet`.
#[derive(Clone)]
pub struct Progress {
    /// The bars.
    pub bars: MultiProgress,
    /// Whether bars are shown at all.
    pub visible: bool,
}

#[derive(Clone)]
struct LogWriter(MultiProgress);

impl Write for LogWriter {
    /// Writes one formatted log line, without any secret the process
    /// knows ([`jobharvest_core::secret::redact`]): a server's answer
    /// quoted in a warning may echo a key.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let clean = jobharvest_core::secret::redact(&text);
        self.0
            .suspend(|| io::stderr().write_all(clean.as_bytes()))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Sets up logging and returns the progress display.
pub fn init(verbose: u8, quiet: bool) -> Progress {
    let visible = !quiet && io::stderr().is_terminal();
    let bars = MultiProgress::with_draw_target(if visible {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let default = match (quiet, verbose) {
        (true, _) => "error",
        // rustls logs a failed certificate check itself, before the error
        // it returns, which jobharvest reports with the fix (`-v` shows it).
        (false, 0) => "warn,rustls=off,jobharvest=info,jobharvest_declarative=info",
        (false, 1) => {
            "info,jobharvest=debug,jobharvest_core=debug,jobharvest_france_travail=debug,jobharvest_declarative=debug"
        }
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(LogWriter(bars.clone()))
        .with_ansi(io::stderr().is_terminal())
        .with_target(false)
        .try_init();
    Progress { bars, visible }
}
