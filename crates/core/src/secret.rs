//! [`Secret`]: a string that never prints, and the redactor that keeps
//! every secret out of what the process writes.
//!
//! A secret can still come back from outside: a token endpoint that quotes
//! the client secret it received in its `error_description`, a board that
//! echoes its API key in an error page, a URL with a password in a
//! message. So every secret value is also registered, process-wide, with
//! one redactor ([`register`]; [`Secret::new`] does it), and every text
//! that leaves the process for a person (error messages, log lines,
//! summaries) goes through [`redact`], which replaces each registered value
//! by `***`.

use std::borrow::Cow;
use std::fmt;
use std::sync::RwLock;

/// Every secret value registered, longest first (so that a secret
/// containing another is replaced whole).
static KNOWN: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Values shorter than this are not redacted: replacing `abc` everywhere
/// would garble output, and no real key is that short.
const MIN_LEN: usize = 4;

/// Registers `value` as a secret: [`redact`] replaces it from now on.
pub fn register(value: &str) {
    let value = value.trim();
    if value.len() < MIN_LEN {
        return;
    }
    let mut known = KNOWN.write().unwrap_or_else(|p| p.into_inner());
    if !known.iter().any(|k| k == value) {
        known.push(value.to_string());
        known.sort_by_key(|k| std::cmp::Reverse(k.len()));
    }
}

/// `text` with every registered secret replaced by `***`.
pub fn redact(text: &str) -> Cow<'_, str> {
    let known = KNOWN.read().unwrap_or_else(|p| p.into_inner());
    if !known.iter().any(|k| text.contains(k.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for k in known.iter() {
        if out.contains(k.as_str()) {
            out = out.replace(k.as_str(), "***");
        }
    }
    Cow::Owned(out)
}

/// The registered secrets (for [`crate::Error::redact`] on an error that
/// leaves the process).
pub fn known() -> Vec<String> {
    KNOWN.read().unwrap_or_else(|p| p.into_inner()).clone()
}

use serde::{Deserialize, Deserializer};

/// A credential (client secret, API key, access token).
///
/// `Debug` and `Display` print `***`; the value is reachable only through
/// [`Secret::expose`], so a secret cannot end up in a log line or an error
/// message by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value, and registers it with the redactor ([`register`]).
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        register(&value);
        Secret(value)
    }

    /// The value itself. Only call this where it is sent over the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_values_are_redacted_from_any_text() {
        let _ = Secret::new("client-secret-echo-1234");
        register("api-key-5678");
        register("ab");
        let text = "invalid_client: client_secret=client-secret-echo-1234 (key api-key-5678, ab)";
        assert_eq!(
            redact(text),
            "invalid_client: client_secret=*** (key ***, ab)"
        );
        assert!(matches!(redact("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn never_prints_its_value() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{s}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }
}
