//! Loading a job spec: YAML or TOML, `${VAR}` references, `.env` files.
//!
//! A spec goes through two types, as ripgrep's flags do: [`RawSpec`] is
//! what the file says (sources and sinks as untyped maps), and
//! [`crate::runner::Job`] is what the registry built from it. Loading does
//! no network I/O, so `jobharvest validate` is safe anywhere.
//!
//! Order of work: read `.env` files (the spec's folder, then the working
//! folder; variables already set win), parse the file with figment (format
//! from the extension), replace every `${VAR}` (or `${VAR:-default}`) in a
//! string value from the environment, then check the top-level keys.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Format, Toml, Yaml};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::mode::Mode;
use crate::registry::{BuiltSource, PreparedSink, Registry, from_value};

/// What a spec file says, before any type is resolved.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpec {
    /// The sources, each a map with a `type` key.
    pub sources: Vec<Value>,
    /// The sinks, each a map with a `type` key.
    #[serde(default)]
    pub sinks: Vec<Value>,
    /// Board definitions (YAML files, relative to the spec) whose boards
    /// the sources may use as their `type`, on top of the shipped ones.
    #[serde(default)]
    pub boards: Vec<PathBuf>,
    /// What counts as a duplicate across sources: `id` (the default: the
    /// same offer of the same board) or `fingerprint` (the same job on any
    /// board, see [`crate::fingerprint`]).
    #[serde(default)]
    pub dedupe: crate::runner::Dedupe,
    /// Where the job keeps its state (default: `<spec stem>.state.sqlite`
    /// next to the spec); see [`LoadedSpec::state_path`].
    #[serde(default)]
    pub state: Option<PathBuf>,
    /// How runs treat offers seen before (default: `full`).
    #[serde(default)]
    pub mode: Option<Mode>,
    /// How far before its cursor an incremental run starts: hours as a
    /// number, or `"12h"`, `"2d"` (default: one day); see
    /// [`LoadedSpec::lookback`].
    #[serde(default)]
    pub lookback: Option<Value>,
    /// Whether outputs are flushed to disk (`fsync`) before they are
    /// renamed into place; see [`LoadedSpec::durable`].
    #[serde(default)]
    pub fsync: Option<bool>,
}

/// A spec read from disk.
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    /// The spec's path.
    pub path: PathBuf,
    /// The folder relative paths in the spec are resolved against.
    pub base_dir: PathBuf,
    /// The parsed content, `${VAR}` already replaced.
    pub raw: RawSpec,
}

/// The file formats a spec can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format_ {
    Yaml,
    Toml,
}

fn format_of(path: &Path) -> Result<Format_> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("yaml" | "yml") => Ok(Format_::Yaml),
        Some("toml") => Ok(Format_::Toml),
        _ => Err(Error::config(format!(
            "cannot tell the format of the spec `{}`: name it `.yaml`, `.yml` or `.toml`",
            path.display()
        ))),
    }
}

/// Reads `.env` files next to the spec and in the working folder, without
/// overriding variables that are already set.
fn load_dotenv(spec_dir: &Path) {
    let mut seen = Vec::new();
    for dir in [Some(spec_dir.to_path_buf()), std::env::current_dir().ok()]
        .into_iter()
        .flatten()
    {
        let file = dir.join(".env");
        let canon = file.canonicalize().unwrap_or(file.clone());
        if seen.contains(&canon) || !file.is_file() {
            continue;
        }
        match dotenvy::from_path(&file) {
            Ok(()) => tracing::debug!(path = %file.display(), "Loaded environment file."),
            Err(e) => {
                tracing::warn!(path = %file.display(), error = %e, "Could not read environment file.")
            }
        }
        seen.push(canon);
    }
}

/// Loads and checks the top level of a spec file.
///
/// # Errors
/// A missing or unreadable file, a syntax error (with its line), an unset
/// `${VAR}`, or an unknown top-level key; each message names the fix.
pub fn load(path: &Path) -> Result<LoadedSpec> {
    let format = format_of(path)?;
    if !path.is_file() {
        return Err(Error::config(format!(
            "the spec `{}` does not exist; check the path (see config/demo.yaml for an example)",
            path.display()
        )));
    }
    let base_dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    load_dotenv(&base_dir);
    let figment = match format {
        Format_::Yaml => Figment::from(Yaml::file_exact(path)),
        Format_::Toml => Figment::from(Toml::file_exact(path)),
    };
    let mut value: Value = figment.extract().map_err(|e| {
        Error::config(format!(
            "cannot parse the spec `{}`: {}",
            path.display(),
            e.to_string().replace('\n', " ")
        ))
    })?;
    interpolate(&mut value, &mut String::new(), &|name| {
        std::env::var(name).ok()
    })?;
    if !value.is_object() {
        return Err(Error::config(format!(
            "the spec `{}` must be a map with `sources` and `sinks`",
            path.display()
        )));
    }
    let raw: RawSpec = from_value(value, "spec").map_err(|e| {
        Error::config(
            e.message()
                .trim_start_matches("spec.")
                .trim_start_matches("spec: ")
                .to_string(),
        )
    })?;
    if raw.sources.is_empty() {
        return Err(Error::config(
            "`sources` is empty: list at least one source, e.g. `- type: france_travail`",
        ));
    }
    Ok(LoadedSpec {
        path: path.to_path_buf(),
        base_dir,
        raw,
    })
}

impl LoadedSpec {
    /// Builds every source through the registry (no I/O), telling them
    /// whether the run needs `raw` ([`Registry::build_source_for`]).
    ///
    /// # Errors
    /// The first invalid source, its position named.
    pub fn build_sources(&self, registry: &Registry, keep_raw: bool) -> Result<Vec<BuiltSource>> {
        let registry = &self.registry(registry)?;
        let sources: Vec<BuiltSource> = self
            .raw
            .sources
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let at = format!("sources[{i}]");
                registry.build_source_for(v.clone(), &at, &self.base_dir, keep_raw)
            })
            .collect::<Result<_>>()?;
        let mut names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::config(format!(
                "two sources are named `{}`; give each a distinct `name`",
                w[0]
            )));
        }
        Ok(sources)
    }

    /// `registry` extended with the spec's own board definitions
    /// (`boards:`), resolved against the spec's folder.
    ///
    /// # Errors
    /// A definition that cannot be read or is invalid.
    pub fn registry(&self, registry: &Registry) -> Result<Registry> {
        let paths: Vec<PathBuf> = self
            .raw
            .boards
            .iter()
            .map(|p| self.base_dir.join(p))
            .collect();
        registry.with_boards(&paths)
    }

    /// The job's state file: `state:` resolved against the spec's folder,
    /// or `<spec stem>.state.sqlite` next to the spec.
    pub fn state_path(&self) -> PathBuf {
        match &self.raw.state {
            Some(p) => self.base_dir.join(p),
            None => {
                let stem = self
                    .path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "job".into());
                self.base_dir.join(format!("{stem}.state.sqlite"))
            }
        }
    }

    /// Whether a run of this spec in `mode` keeps the job's state: any mode
    /// but `full`, or a spec with a `state:` key. A plain full run keeps no
    /// state and creates no file.
    pub fn keeps_state(&self, mode: Mode) -> bool {
        mode != Mode::Full || self.raw.state.is_some()
    }

    /// Whether a run of this spec in `mode` flushes its outputs to disk
    /// before renaming them into place: the spec's `fsync:` when given;
    /// otherwise yes, unless every source is a `replay` and the run keeps
    /// no state.
    ///
    /// A replay's outputs can be made again from its input file, so a power
    /// cut costs a rerun; a harvest's can't (offers change and expire), and
    /// a run with state records offers as seen, so its outputs must be on
    /// disk before the state says so. Harvests are bound by the network, so
    /// the flush costs them nothing noticeable; on a replay it is about 10%
    /// of the time.
    pub fn durable(&self, mode: Mode) -> bool {
        self.raw.fsync.unwrap_or_else(|| {
            let replay = <crate::replay::ReplayConfig as crate::SourceConfig>::TYPE;
            let replay_only = self
                .raw
                .sources
                .iter()
                .all(|s| s.get("type").and_then(Value::as_str) == Some(replay));
            !replay_only || self.keeps_state(mode)
        })
    }

    /// The run mode the spec asks for (`full` when it says nothing).
    pub fn mode(&self) -> Mode {
        self.raw.mode.unwrap_or_default()
    }

    /// The incremental lookback (`lookback:`; one day when absent).
    ///
    /// # Errors
    /// A value that is neither a whole number of hours nor `"<n>h"` /
    /// `"<n>d"`.
    pub fn lookback(&self) -> Result<chrono::TimeDelta> {
        match &self.raw.lookback {
            None => Ok(chrono::TimeDelta::days(1)),
            Some(Value::String(s)) => crate::tracking::parse_lookback(s),
            Some(other) => crate::tracking::parse_lookback(&other.to_string()),
        }
    }

    /// Parses and checks every sink through the registry (no I/O).
    ///
    /// # Errors
    /// No sink at all, or the first invalid sink, its position named.
    pub fn prepare_sinks(&self, registry: &Registry) -> Result<Vec<PreparedSink>> {
        if self.raw.sinks.is_empty() {
            return Err(Error::config(
                "no sink: add a `sinks:` list to the spec (e.g. `- { type: csv, path: out/offres.csv }`) or pass `-o PATH`",
            ));
        }
        self.raw
            .sinks
            .iter()
            .enumerate()
            .map(|(i, v)| registry.prepare_sink(v.clone(), &format!("sinks[{i}]")))
            .collect()
    }
}

/// Replaces `${VAR}` and `${VAR:-default}` in every string of `value`;
/// `$${` stands for a literal `${`.
fn interpolate(
    value: &mut Value,
    path: &mut String,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<()> {
    match value {
        Value::String(s) if s.contains('$') => {
            *s = substitute(s, env).map_err(|var| {
                Error::config(format!(
                    "{path}: environment variable `{var}` is not set; set it, or add `{var}=...` to a `.env` file next to the spec"
                ))
                .with_context("key", path.clone())
            })?;
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                interpolate(item, path, env)?;
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                interpolate(v, path, env)?;
                path.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Substitutes references in one string; the error is the unset variable.
fn substitute(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("${") {
            let Some(end) = after.find('}') else {
                out.push_str(tail);
                return Ok(out);
            };
            let inner = &after[..end];
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            match env(name)
                .filter(|v| !v.is_empty())
                .or(default.map(str::to_string))
            {
                Some(v) => out.push_str(&v),
                None => return Err(name.to_string()),
            }
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(name: &str) -> Option<String> {
        match name {
            "FT_CLIENT_ID" => Some("abc".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn substitutes_references_defaults_and_escapes() {
        assert_eq!(substitute("id=${FT_CLIENT_ID}!", &env).unwrap(), "id=abc!");
        assert_eq!(substitute("${NOPE:-fallback}", &env).unwrap(), "fallback");
        assert_eq!(substitute("${EMPTY:-x}", &env).unwrap(), "x");
        assert_eq!(
            substitute("cost $5 and $${LIT}", &env).unwrap(),
            "cost $5 and ${LIT}"
        );
        assert_eq!(substitute("${NOPE}", &env).unwrap_err(), "NOPE");
    }

    #[test]
    fn unset_variable_names_the_key_path() {
        let mut v = json!({"sources": [{"type": "x", "client_secret": "${FT_SECRET_X}"}]});
        let err = interpolate(&mut v, &mut String::new(), &env).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("sources[0].client_secret: environment variable `FT_SECRET_X`"),
            "{msg}"
        );
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn yaml_and_toml_load_the_same_spec() {
        let dir = tempfile::tempdir().unwrap();
        let y = write(
            dir.path(),
            "a.yaml",
            "sources:\n  - type: replay\n    params: { departement: 78 }\nsinks:\n  - { type: csv, path: out.csv }\n",
        );
        let t = write(
            dir.path(),
            "a.toml",
            "[[sources]]\ntype = \"replay\"\nparams = { departement = 78 }\n[[sinks]]\ntype = \"csv\"\npath = \"out.csv\"\n",
        );
        let (a, b) = (load(&y).unwrap(), load(&t).unwrap());
        assert_eq!(a.raw.sources, b.raw.sources);
        assert_eq!(a.raw.sinks, b.raw.sinks);
        assert_eq!(a.raw.sources[0]["params"]["departement"], json!(78));
    }

    #[test]
    fn dedupe_is_off_by_default_and_checked() {
        use crate::runner::Dedupe;
        let dir = tempfile::tempdir().unwrap();
        let plain = write(dir.path(), "a.yaml", "sources: [{type: replay}]\n");
        assert_eq!(load(&plain).unwrap().raw.dedupe, Dedupe::Id);
        let on = write(
            dir.path(),
            "b.yaml",
            "sources: [{type: replay}]\ndedupe: fingerprint\n",
        );
        assert_eq!(load(&on).unwrap().raw.dedupe, Dedupe::Fingerprint);
        let typo = write(
            dir.path(),
            "c.yaml",
            "sources: [{type: replay}]\ndedupe: fingerprints\n",
        );
        let err = load(&typo).unwrap_err().to_string();
        assert!(err.contains("dedupe"), "{err}");
        assert!(err.contains("`fingerprint`"), "{err}");
    }

    #[test]
    fn unknown_top_level_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "a.yaml",
            "sources: [{type: replay}]\nsinkz: []\n",
        );
        let err = load(&p).unwrap_err();
        assert!(err.to_string().contains("sinkz"), "{err}");
    }

    #[test]
    fn state_and_mode_keys_have_defaults_next_to_the_spec() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "daily.yaml", "sources: [{type: replay}]\n");
        let spec = load(&p).unwrap();
        assert_eq!(spec.state_path(), dir.path().join("daily.state.sqlite"));
        assert_eq!(spec.mode(), Mode::Full);

        let p = write(
            dir.path(),
            "b.yaml",
            "sources: [{type: replay}]\nstate: var/b.sqlite\nmode: mirror\n",
        );
        let spec = load(&p).unwrap();
        assert_eq!(spec.state_path(), dir.path().join("var/b.sqlite"));
        assert_eq!(spec.mode(), Mode::Mirror);

        let p = write(
            dir.path(),
            "c.yaml",
            "sources: [{type: replay}]\nmode: daily\n",
        );
        let err = load(&p).unwrap_err().to_string();
        assert!(err.contains("mode") && err.contains("incremental"), "{err}");
    }

    #[test]
    fn outputs_are_durable_unless_a_stateless_run_only_replays() {
        let dir = tempfile::tempdir().unwrap();
        let replay = "{type: replay, connector: france_travail, path: in.jsonl}";
        let harvest = "{type: france_travail}";
        for (sources, extra, mode, durable) in [
            (format!("[{replay}]"), "", Mode::Full, false),
            (format!("[{replay}, {replay}]"), "", Mode::Full, false),
            (format!("[{replay}]"), "", Mode::Mirror, true),
            (format!("[{replay}]"), "", Mode::Incremental, true),
            (format!("[{replay}]"), "state: s.sqlite\n", Mode::Full, true),
            (format!("[{harvest}]"), "", Mode::Full, true),
            (format!("[{replay}, {harvest}]"), "", Mode::Full, true),
            (format!("[{replay}]"), "fsync: true\n", Mode::Full, true),
            (format!("[{harvest}]"), "fsync: false\n", Mode::Full, false),
            (
                format!("[{harvest}]"),
                "fsync: false\n",
                Mode::Mirror,
                false,
            ),
        ] {
            let p = write(
                dir.path(),
                "d.yaml",
                &format!("sources: {sources}\n{extra}"),
            );
            let spec = load(&p).unwrap();
            assert_eq!(spec.durable(mode), durable, "{sources} {extra} {mode:?}");
        }
        let p = write(
            dir.path(),
            "d.yaml",
            "sources: [{type: replay}]\nfsync: sometimes\n",
        );
        let err = load(&p).unwrap_err().to_string();
        assert!(err.contains("fsync"), "{err}");
    }

    #[test]
    fn lookback_is_a_day_by_default_and_takes_hours_or_days() {
        let dir = tempfile::tempdir().unwrap();
        for (text, hours) in [("", 24), ("lookback: 6\n", 6), ("lookback: 2d\n", 48)] {
            let p = write(
                dir.path(),
                "l.yaml",
                &format!("sources: [{{type: replay}}]\n{text}"),
            );
            let spec = load(&p).unwrap();
            assert_eq!(spec.lookback().unwrap().num_hours(), hours, "{text}");
        }
        let p = write(
            dir.path(),
            "l.yaml",
            "sources: [{type: replay}]\nlookback: 1 week\n",
        );
        let err = load(&p).unwrap().lookback().unwrap_err().to_string();
        assert!(err.contains("lookback `1 week`"), "{err}");
    }

    #[test]
    fn syntax_error_and_missing_file_are_clear() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "a.yaml", "sources: [\n");
        assert!(
            load(&p)
                .unwrap_err()
                .to_string()
                .contains("cannot parse the spec")
        );
        let err = load(&dir.path().join("nope.yaml")).unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
        let err = load(&dir.path().join("job.json")).unwrap_err();
        assert!(err.to_string().contains(".toml"), "{err}");
    }
}
