//! TLS: which URLs ask for it, the rustls connector that verifies the
//! server, and messages for the ways a handshake fails.
//!
//! jobharvest encrypts only when the URL's `sslmode` asks for it
//! (`require`, `verify-ca`, `verify-full`), and then always verifies the
//! server's certificate and host name, whatever the mode's name. `prefer`,
//! `disable` or no `sslmode` connect in plaintext: a libpq-like `prefer`
//! that verified would refuse local servers with a self-signed certificate
//! (Debian's "snakeoil" one), and one that did not would be encryption
//! without authentication.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use jobharvest_core::{Error, ErrorKind, Result};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use rustls::{CertificateError, ClientConfig, RootCertStore};
use rustls_platform_verifier::BuilderVerifierExt as _;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The `sslmode` values the sink accepts.
const SSLMODES: &str = "disable, prefer, require, verify-ca or verify-full";

/// One `key=value` of a connection string, and where its value lies (with
/// its quotes, if any).
#[derive(Debug)]
struct Param {
    key: String,
    value: String,
    span: Range<usize>,
}

/// The connection string as tokio-postgres can read it: `sslmode=verify-ca`
/// and `sslmode=verify-full`, which it does not know, become
/// `sslmode=require` (the sink verifies the server under all three).
/// Everything else is left byte for byte.
///
/// # Errors
/// A config error for an `sslmode` the sink does not know, and for the
/// libpq certificate options tokio-postgres would refuse anyway, each
/// naming the fix. Messages never repeat the URL (it may hold a password).
pub(crate) fn prepare_url(url: &str) -> Result<String> {
    let mut prepared = url.to_owned();
    let mut rewrites = Vec::new();
    for param in params(url) {
        let refused = match param.key.as_str() {
            "sslmode" => match param.value.as_str() {
                "disable" | "prefer" | "require" => None,
                "verify-ca" | "verify-full" => {
                    rewrites.push(param.span);
                    None
                }
                _ => Some(format!(
                    "url: unknown sslmode; use {SSLMODES} (libpq's `allow` is not supported)"
                )),
            },
            "sslrootcert" => Some(
                "url: sslrootcert is not read from the URL; give the CA's PEM file as the sink's `ca_file` option instead".into(),
            ),
            "sslcert" | "sslkey" | "sslpassword" | "sslcrl" | "sslcrldir" => Some(format!(
                "url: `{}` is not supported (no client certificates or revocation lists); remove it from the URL",
                param.key
            )),
            _ => None,
        };
        if let Some(message) = refused {
            return Err(Error::config(message).with_context("key", "url"));
        }
    }
    for span in rewrites.into_iter().rev() {
        prepared.replace_range(span, "require");
    }
    Ok(prepared)
}

/// The parameters of a connection string, read the way tokio-postgres
/// reads them: a URL's query, or libpq's `key=value` form. A string it
/// cannot read gives what was read so far (tokio-postgres then refuses it).
fn params(s: &str) -> Vec<Param> {
    match ["postgresql://", "postgres://"]
        .iter()
        .find(|p| s.starts_with(*p))
    {
        Some(prefix) => url_params(s, prefix.len()),
        None => keyword_params(s),
    }
}

/// A URL's query parameters. As in tokio-postgres, the user and password
/// end at the first `@`, and the query starts at the first `?` after them.
fn url_params(s: &str, start: usize) -> Vec<Param> {
    let rest = &s[start..];
    let after_credentials = rest.find('@').map_or(0, |i| i + 1);
    let Some(question) = rest[after_credentials..].find('?') else {
        return Vec::new();
    };
    let mut pos = start + after_credentials + question + 1;
    let mut params = Vec::new();
    while pos < s.len() {
        let Some(eq) = s[pos..].find('=') else {
            break;
        };
        let value_start = pos + eq + 1;
        let value_end = s[value_start..]
            .find('&')
            .map_or(s.len(), |i| value_start + i);
        params.push(Param {
            key: percent_decode(&s[pos..pos + eq]),
            value: percent_decode(&s[value_start..value_end]),
            span: value_start..value_end,
        });
        pos = value_end + 1;
    }
    params
}

/// `%XX` escapes decoded; an invalid escape is kept as it is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push(((hex(h).unwrap_or(0) << 4) | hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// libpq's `key = value` form: keys up to a space or `=`, values plain
/// (up to a space) or in single quotes, `\` escaping the next character.
fn keyword_params(s: &str) -> Vec<Param> {
    let mut it = s.char_indices().peekable();
    let mut params = Vec::new();
    let at = |it: &mut std::iter::Peekable<std::str::CharIndices<'_>>| {
        it.peek().map_or(s.len(), |&(i, _)| i)
    };
    loop {
        while it.next_if(|&(_, c)| c.is_whitespace()).is_some() {}
        let key_start = at(&mut it);
        while it
            .next_if(|&(_, c)| !c.is_whitespace() && c != '=')
            .is_some()
        {}
        let key = &s[key_start..at(&mut it)];
        while it.next_if(|&(_, c)| c.is_whitespace()).is_some() {}
        if key.is_empty() || it.next_if(|&(_, c)| c == '=').is_none() {
            return params;
        }
        while it.next_if(|&(_, c)| c.is_whitespace()).is_some() {}
        let value_start = at(&mut it);
        let quoted = it.next_if(|&(_, c)| c == '\'').is_some();
        let mut value = String::new();
        let mut closed = !quoted;
        while let Some(&(_, c)) = it.peek() {
            if (quoted && c == '\'') || (!quoted && c.is_whitespace()) {
                break;
            }
            it.next();
            if c == '\\' {
                if let Some((_, escaped)) = it.next() {
                    value.push(escaped);
                }
            } else {
                value.push(c);
            }
        }
        if quoted {
            closed = it.next_if(|&(_, c)| c == '\'').is_some();
        }
        if !closed || (!quoted && value.is_empty()) {
            return params;
        }
        params.push(Param {
            key: key.to_owned(),
            value,
            span: value_start..at(&mut it),
        });
    }
}

/// The connector for a URL that asks for TLS: rustls over ring (set here,
/// not taken from the process default), verifying the server against the
/// system's roots, or against exactly the certificates of `ca_file`.
///
/// # Errors
/// A config error when `ca_file` cannot be read or holds no usable
/// certificate; a sink error when the system has no root certificates.
pub(crate) fn connector(ca_file: Option<&Path>) -> Result<MakeRustlsConnect> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(ErrorKind::Sink, format!("could not set up TLS: {e}")))?;
    let mut config = match ca_file {
        Some(path) => builder
            .with_root_certificates(roots(path)?)
            .with_no_client_auth(),
        None => builder
            .with_platform_verifier()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Sink,
                    format!(
                        "TLS: could not load this system's CA certificates ({e}); install them (Debian: `apt-get install ca-certificates`), or give the server's CA as the sink's `ca_file`"
                    ),
                )
            })?
            .with_no_client_auth(),
    };
    // What libpq 17 sends; PostgreSQL 17 needs it for sslnegotiation=direct
    // and older servers ignore it.
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok(MakeRustlsConnect::new(config))
}

/// The certificates of `ca_file`, as the only roots to trust.
fn roots(path: &Path) -> Result<RootCertStore> {
    let shown = path.display();
    let fail = |message: String| Error::config(message).with_context("key", "ca_file");
    let pem = std::fs::read(path).map_err(|e| {
        fail(format!(
            "ca_file: could not read `{shown}`: {e}; give the path of a PEM file of CA certificates (a relative path is from the spec's directory)"
        ))
    })?;
    let mut store = RootCertStore::empty();
    for (i, cert) in CertificateDer::pem_slice_iter(&pem).enumerate() {
        let cert = cert.map_err(|e| {
            fail(format!(
                "ca_file: `{shown}` is not a valid PEM file ({e}); it must hold `-----BEGIN CERTIFICATE-----` blocks"
            ))
        })?;
        store.add(cert).map_err(|e| {
            fail(format!(
                "ca_file: certificate {} of `{shown}` is not a usable CA certificate: {e}",
                i + 1
            ))
        })?;
    }
    if store.is_empty() {
        return Err(fail(format!(
            "ca_file: `{shown}` holds no certificate; it must hold one or more `-----BEGIN CERTIFICATE-----` blocks, such as the provider's CA bundle (a DER file converts with `openssl x509 -inform der -in CA.der -out CA.pem`)"
        )));
    }
    Ok(store)
}

/// The message for a connection that failed on TLS, naming the likely
/// fix; `None` when `err` is not about TLS. `server` is the redacted
/// `user@host:port/db`.
pub(crate) fn handshake_error(
    server: &str,
    err: &tokio_postgres::Error,
    ca_file: Option<&Path>,
) -> Option<Error> {
    let failed = |why: String, fix: &str| {
        Some(Error::new(
            ErrorKind::Sink,
            format!("TLS with PostgreSQL at {server} failed: {why}; {fix}"),
        ))
    };
    if let Some(tls) = rustls_error(err) {
        let why = tls.to_string();
        let fix = match tls {
            rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer | CertificateError::BadSignature,
            ) => match ca_file {
                Some(_) => {
                    "the certificate was not issued by a CA of the sink's `ca_file`: put the CA that issued the server's certificate in that file"
                }
                None => {
                    "the server's certificate was issued by a CA this system does not trust; for a private CA or a self-signed certificate (Amazon RDS, a local server), give that CA's PEM file as the sink's `ca_file`"
                }
            },
            rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            ) => {
                "use in the `url` the host name the server's certificate was issued for (not an IP address or an alias of it)"
            }
            rustls::Error::InvalidCertificate(
                CertificateError::Expired
                | CertificateError::ExpiredContext { .. }
                | CertificateError::NotValidYet
                | CertificateError::NotValidYetContext { .. },
            ) => "the server's certificate must be renewed, or this machine's clock is wrong",
            _ => {
                "check the `url`'s sslmode, and the sink's `ca_file` if the server uses a private CA"
            }
        };
        return failed(why, fix);
    }
    let text = err.to_string();
    if !text.starts_with("error performing TLS handshake") {
        return None;
    }
    let cause = std::error::Error::source(err).map(ToString::to_string);
    if cause.as_deref() == Some("server does not support TLS") {
        return failed(
            "the server does not accept TLS and the `url`'s sslmode asks for it".into(),
            "enable ssl on the server, or, on a trusted network only, remove sslmode from the `url` (or set sslmode=disable)",
        );
    }
    failed(
        text,
        "check the `url`'s sslmode, and the sink's `ca_file` if the server uses a private CA",
    )
}

/// The rustls error somewhere in `err`'s chain (tokio-rustls wraps it in
/// an `io::Error`, whose `source` skips it).
fn rustls_error(err: &tokio_postgres::Error) -> Option<&rustls::Error> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(e) = next {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(tls) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(tls);
        }
        next = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use tokio_postgres::config::SslMode;

    use super::*;

    fn mode(url: &str) -> SslMode {
        let prepared = prepare_url(url).unwrap();
        tokio_postgres::Config::from_str(&prepared)
            .unwrap()
            .get_ssl_mode()
    }

    #[test]
    fn verify_modes_become_require_and_the_rest_is_kept() {
        let base = "postgresql://u:p%3Fw@db.example.com:5432/jobs";
        for (query, want) in [
            ("?sslmode=verify-full", "?sslmode=require"),
            ("?sslmode=verify-ca", "?sslmode=require"),
            ("?sslmode=require", "?sslmode=require"),
            ("?sslmode=prefer", "?sslmode=prefer"),
            ("?sslmode=disable", "?sslmode=disable"),
            (
                "?connect_timeout=3&sslmode=verify-full&application_name=x",
                "?connect_timeout=3&sslmode=require&application_name=x",
            ),
            ("?sslmode=verify%2Dfull", "?sslmode=require"),
            ("", ""),
        ] {
            assert_eq!(
                prepare_url(&format!("{base}{query}")).unwrap(),
                format!("{base}{want}"),
                "{query}"
            );
        }
        assert_eq!(
            mode(&format!("{base}?sslmode=verify-full")),
            SslMode::Require
        );
        assert_eq!(mode(&format!("{base}?sslmode=verify-ca")), SslMode::Require);
        assert_eq!(mode(&format!("{base}?sslmode=require")), SslMode::Require);
        assert_eq!(mode(&format!("{base}?sslmode=disable")), SslMode::Disable);
        assert_eq!(
            mode(base),
            SslMode::Prefer,
            "absent: tokio-postgres' default"
        );
        // The last one wins, as in tokio-postgres.
        assert_eq!(
            mode(&format!("{base}?sslmode=disable&sslmode=verify-full")),
            SslMode::Require
        );
    }

    #[test]
    fn a_password_that_looks_like_a_query_is_not_rewritten() {
        // `?` and `&` before the `@` are the password's, as tokio-postgres
        // reads it.
        let url = "postgres://u:a?sslmode=verify-full&b@db/jobs";
        assert_eq!(prepare_url(url).unwrap(), url);
        let url = "postgres://u:x?sslmode=verify-full@db/jobs?sslmode=verify-full";
        assert_eq!(
            prepare_url(url).unwrap(),
            "postgres://u:x?sslmode=verify-full@db/jobs?sslmode=require"
        );
    }

    #[test]
    fn the_keyword_form_is_rewritten_too() {
        for (conn, want) in [
            (
                "host=db.example.com user=u password='s p' sslmode=verify-full",
                "host=db.example.com user=u password='s p' sslmode=require",
            ),
            (
                "host=db sslmode = 'verify-ca' dbname=jobs",
                "host=db sslmode = require dbname=jobs",
            ),
            (
                "password=sslmode=verify-full host=db",
                "password=sslmode=verify-full host=db",
            ),
            (
                "password='it\\'s sslmode=verify-full' host=db sslmode=prefer",
                "password='it\\'s sslmode=verify-full' host=db sslmode=prefer",
            ),
        ] {
            assert_eq!(prepare_url(conn).unwrap(), want, "{conn}");
        }
        assert_eq!(mode("host=db sslmode=verify-full"), SslMode::Require);
        assert_eq!(mode("host=db"), SslMode::Prefer);
    }

    #[test]
    fn unknown_modes_and_libpq_file_options_name_the_fix_not_the_url() {
        for (url, says) in [
            ("postgresql://u:S3cret@db/jobs?sslmode=allow", "verify-full"),
            (
                "postgresql://u:S3cret@db/jobs?sslmode=VERIFY-FULL",
                "verify-full",
            ),
            ("host=db password=S3cret sslmode=maybe", "verify-full"),
            (
                "postgresql://u:S3cret@db/jobs?sslmode=require&sslrootcert=/ca.pem",
                "`ca_file`",
            ),
            (
                "postgresql://u:S3cret@db/jobs?sslmode=require&sslcert=/me.pem",
                "not supported",
            ),
        ] {
            let err = prepare_url(url).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{err}");
            let msg = format!("{err} {err:?}");
            assert!(msg.contains(says), "{url}: {msg}");
            assert!(!msg.contains("S3cret"), "password leaked: {msg}");
        }
    }

    #[test]
    fn ca_file_problems_are_config_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        let broken = dir.path().join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        for (path, says) in [
            (&missing, "could not read"),
            (&empty, "holds no certificate"),
            (&broken, "not a usable CA certificate"),
        ] {
            let Err(err) = connector(Some(path)) else {
                panic!("{} was accepted", path.display());
            };
            assert_eq!(err.kind(), ErrorKind::Config, "{err}");
            let msg = err.to_string();
            assert!(msg.starts_with("ca_file: "), "{msg}");
            assert!(msg.contains(says), "{msg}");
            assert!(msg.contains(&path.display().to_string()), "{msg}");
        }
    }
}
