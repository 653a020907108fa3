//! One error type for the whole pipeline.
//!
//! An [`Error`] says *what* failed ([`ErrorKind`]), *whether trying again can
//! help* ([`Error::is_temporary`]), and carries context pairs (the source, the
//! URL, the key path) that the CLI prints under the message. Messages are
//! written for the person running the job: they name the problem and the fix.
//! No secret ever goes into an error: build messages from redacted values.

use std::fmt;
use std::time::Duration;

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The job spec or a command-line option is wrong.
    Config,
    /// Credentials are missing or refused.
    Auth,
    /// The remote API refused the request as malformed (HTTP 400 and kin).
    BadRequest,
    /// The remote API asked us to slow down (HTTP 429).
    RateLimited,
    /// The remote API failed (HTTP 5xx) or answered with an unexpected status.
    Http,
    /// The host could not be reached, or the request timed out.
    Network,
    /// An answer or an input file could not be parsed.
    Parse,
    /// Reading or writing a local file failed.
    Io,
    /// A sink could not write its output.
    Sink,
    /// The run was interrupted (Ctrl-C).
    Cancelled,
}

impl ErrorKind {
    /// A short lower-case name, used in logs and summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Config => "configuration error",
            ErrorKind::Auth => "authentication error",
            ErrorKind::BadRequest => "request refused",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::Http => "server error",
            ErrorKind::Network => "network error",
            ErrorKind::Parse => "invalid data",
            ErrorKind::Io => "file error",
            ErrorKind::Sink => "output error",
            ErrorKind::Cancelled => "interrupted",
        }
    }
}

/// The error of every fallible operation in jobharvest.
pub struct Error {
    kind: ErrorKind,
    message: String,
    temporary: bool,
    retry_after: Option<Duration>,
    context: Vec<(&'static str, String)>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// A permanent error of `kind` with a message for the user.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let temporary = matches!(
            kind,
            ErrorKind::RateLimited | ErrorKind::Http | ErrorKind::Network
        );
        Error {
            kind,
            message: message.into(),
            temporary,
            retry_after: None,
            context: Vec::new(),
            source: None,
        }
    }

    /// A configuration error: the spec or an option is wrong.
    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    /// An I/O error on `path`, saying what was being done.
    pub fn io(action: &str, path: &std::path::Path, err: std::io::Error) -> Self {
        Error::new(
            ErrorKind::Io,
            format!("could not {action} `{}`: {err}", path.display()),
        )
        .with_source(err)
    }

    /// The same error with every one of `secrets` in its message and
    /// context replaced by `***`; a source whose text holds one is dropped.
    /// Sources that read secrets from the environment pass their errors
    /// through this, so that a server echoing a key cannot print it.
    pub fn redact<S: AsRef<str>>(mut self, secrets: &[S]) -> Self {
        let secrets: Vec<&str> = secrets
            .iter()
            .map(AsRef::as_ref)
            .filter(|s| s.len() >= 3)
            .collect();
        if secrets.is_empty() {
            return self;
        }
        let clean = |text: &mut String| {
            for s in &secrets {
                if text.contains(s) {
                    *text = text.replace(s, "***");
                }
            }
        };
        clean(&mut self.message);
        for (_, value) in &mut self.context {
            clean(value);
        }
        if let Some(source) = &self.source {
            let text = source.to_string();
            if secrets.iter().any(|s| text.contains(s)) {
                self.source = None;
            }
        }
        self
    }

    /// The same error without any secret the process registered
    /// ([`crate::secret::register`]): what a program prints.
    pub fn redact_known(self) -> Self {
        self.redact(&crate::secret::known())
    }

    /// Marks the error as worth retrying (or not).
    pub fn set_temporary(mut self, temporary: bool) -> Self {
        self.temporary = temporary;
        self
    }

    /// How long the server asked us to wait before retrying.
    pub fn with_retry_after(mut self, after: Option<Duration>) -> Self {
        self.retry_after = after;
        self
    }

    /// Adds a context pair (`source = "ft"`, `url = "..."`).
    pub fn with_context(mut self, key: &'static str, value: impl fmt::Display) -> Self {
        self.context.push((key, value.to_string()));
        self
    }

    /// Keeps the underlying error for `Error::source`.
    pub fn with_source(mut self, err: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(err));
        self
    }

    /// Prefixes the message, keeping kind and context: `"sources[0]: " + msg`.
    pub fn prefixed(mut self, prefix: impl fmt::Display) -> Self {
        self.message = format!("{prefix}: {}", self.message);
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without context.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether retrying the same operation later can succeed.
    pub fn is_temporary(&self) -> bool {
        self.temporary
    }

    /// The wait the server asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The context pairs, in the order they were added.
    pub fn context(&self) -> &[(&'static str, String)] {
        &self.context
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if !self.context.is_empty() {
            f.write_str(" (")?;
            for (i, (k, v)) in self.context.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{k}: {v}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("temporary", &self.temporary)
            .field("context", &self.context)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_follows_kind_unless_overridden() {
        assert!(Error::new(ErrorKind::RateLimited, "x").is_temporary());
        assert!(Error::new(ErrorKind::Network, "x").is_temporary());
        assert!(!Error::new(ErrorKind::Auth, "x").is_temporary());
        assert!(
            !Error::new(ErrorKind::Http, "x")
                .set_temporary(false)
                .is_temporary()
        );
    }

    #[test]
    fn display_lists_context_after_message() {
        let err = Error::config("unknown sink type `cvs`")
            .with_context("spec", "job.yaml")
            .with_context("key", "sinks[0].type");
        assert_eq!(
            err.to_string(),
            "unknown sink type `cvs` (spec: job.yaml, key: sinks[0].type)"
        );
    }

    /// Each kind of secret, planted in what a server sent back and in an
    /// error chain, never comes out of an error once redacted.
    #[test]
    fn no_kind_of_secret_survives_redaction() {
        let secrets = [
            ("client secret", "ft-client-secret-81f2"),
            ("app key", "adzuna-app-key-77aa"),
            ("access token", "eyJhbGciOiJSUzI1NiJ9.access.sig"),
            ("refresh token", "refresh-token-3c1d"),
            ("board API key", "jooble-api-key-9e0b"),
            ("database password", "pg-pa55word-q1"),
        ];
        for (_, value) in secrets {
            crate::secret::register(value);
        }
        for (kind, value) in secrets {
            let server_said =
                format!("{{\"error\":\"invalid_client\",\"error_description\":\"bad {value}\"}}");
            let cause =
                std::io::Error::other(format!("connection to postgresql://jh:{value}@db failed"));
            let err = Error::new(
                ErrorKind::Auth,
                format!("token request refused: {server_said}"),
            )
            .with_context("url", format!("https://api.example/{value}/search"))
            .with_source(cause)
            .redact_known();
            let shown = [
                err.to_string(),
                format!("{err:?}"),
                err.message().to_string(),
            ];
            for text in shown {
                assert!(!text.contains(value), "the {kind} shows in: {text}");
            }
            assert!(err.to_string().contains("***"), "{kind}: redacted in place");
        }
    }
}
