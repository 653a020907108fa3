//! The explicit registry of source and sink types, keyed by the spec's
//! `type`.
//!
//! A connector crate exposes one `register(&mut Registry)` function and the
//! CLI calls it: no link-time magic, and an unknown `type` is answered with
//! the list of known ones. Configs are typed inside (each connector and sink
//! deserializes its own struct, with `deny_unknown_fields`) and erased at the
//! edge (the registry holds plain function pointers).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::record::JobRecord;
use crate::sink::{Sink, SinkContext};
use crate::source::{Capabilities, Source};

/// Options that apply to every normalization.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct NormalizeOptions {
    /// Copy recruiter names, phones and e-mails into the record (and keep
    /// them in `raw`). Off by default: they are personal data.
    pub include_personal_data: bool,
    /// Leave [`JobRecord`]'s `raw` empty: no sink of the run writes it and
    /// no state keeps it, so copying each payload would be wasted work (a
    /// twentieth of a replay's CPU time). Off by default.
    pub leave_out_raw: bool,
}

impl NormalizeOptions {
    /// Options with personal data kept or not, `raw` kept.
    pub fn with_personal_data(include: bool) -> Self {
        NormalizeOptions {
            include_personal_data: include,
            leave_out_raw: false,
        }
    }

    /// The same options, with `raw` left out or not.
    pub fn leaving_out_raw(mut self, leave_out: bool) -> Self {
        self.leave_out_raw = leave_out;
        self
    }
}

/// Turns one raw offer of a board (JSON text) into a [`JobRecord`].
///
/// Connectors register theirs so that the `replay` source can run archived
/// raw offers through the same mapping as a live harvest.
pub trait Normalizer: Send + Sync {
    /// Normalizes one offer.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Parse`] when the text is not an offer.
    fn normalize(&self, raw: &str, options: &NormalizeOptions) -> Result<JobRecord>;
}

/// An archive of raw offers kept in a file format the core does not read
/// (the raw column of a Parquet output), opened by its [`ArchiveOpener`].
pub struct Archive {
    /// The payloads as JSON lines: one per line, in the archive's order,
    /// and an empty line for a row without a payload or from another board,
    /// so that line numbers stay row numbers.
    pub lines: Box<dyn Read + Send>,
    /// How many rows (lines) the archive holds, if it says: the replay's
    /// progress bar shows it.
    pub rows: Option<u64>,
}

/// Opens an [`Archive`]. The second argument is the board whose payloads
/// to keep (the replay's `connector`).
///
/// # Errors
/// When the file cannot be opened or holds no raw payloads, with the fix.
pub type ArchiveOpener = fn(&Path, &str) -> Result<Archive>;

/// What building a source may use. Building does no I/O.
#[derive(Clone)]
#[non_exhaustive]
pub struct BuildContext {
    /// The directory relative paths are resolved against (the spec's).
    pub base_dir: PathBuf,
    /// The name of the source in the spec (its `name`, or its `type`).
    pub name: String,
    /// No sink of the run writes `raw` and no state keeps it: a source may
    /// leave it empty (see [`NormalizeOptions::leave_out_raw`]). False
    /// unless the caller says so.
    pub leave_out_raw: bool,
    /// The shared HTTP keys of the source's entry, for source types that
    /// take them ([`SourceConfig::SHARED_HTTP`]); empty for the others.
    pub http: crate::http_config::HttpConfig,
    normalizers: Arc<BTreeMap<&'static str, Arc<dyn Normalizer>>>,
    archives: Arc<BTreeMap<&'static str, ArchiveOpener>>,
}

impl BuildContext {
    /// `path` resolved against the base directory.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base_dir.join(path)
        }
    }

    /// The normalizer registered for `connector`.
    ///
    /// # Errors
    /// A config error listing the connectors that have one.
    pub fn normalizer(&self, connector: &str) -> Result<Arc<dyn Normalizer>> {
        self.normalizers.get(connector).cloned().ok_or_else(|| {
            Error::config(format!(
                "no connector `{connector}` to normalize replayed offers with; known: {}",
                self.normalizers
                    .keys()
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }

    /// The opener registered for archives with `path`'s extension, if any
    /// (files of other extensions are JSON lines).
    pub fn archive_opener(&self, path: &Path) -> Option<ArchiveOpener> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        self.archives.get(ext.as_str()).copied()
    }
}

/// A source type's typed config. Implement this, then call
/// [`Registry::register_source`].
pub trait SourceConfig: DeserializeOwned + 'static {
    /// The spec's `type` for this source.
    const TYPE: &'static str;
    /// One line for `jobharvest connectors`.
    const DESCRIPTION: &'static str;

    /// Whether the registry takes the shared HTTP keys (`base_url`,
    /// `rate_limit_per_sec`, `timeout_secs`, `max_retries`, `max_results`)
    /// out of the entry and hands them over in [`BuildContext::http`]
    /// instead of leaving them to the config.
    const SHARED_HTTP: bool = false;

    /// What every source of this type can do.
    fn capabilities() -> Capabilities;

    /// Checks the config and builds the source, without any I/O.
    ///
    /// # Errors
    /// A config error that names the key and the fix.
    fn build(self, cx: &BuildContext) -> Result<Box<dyn Source>>;
}

/// A sink type's typed config. Implement this, then call
/// [`Registry::register_sink`].
pub trait SinkConfig: DeserializeOwned + Send + 'static {
    /// The spec's `type` for this sink.
    const TYPE: &'static str;
    /// One line for `jobharvest connectors`.
    const DESCRIPTION: &'static str;
    /// File extensions that select this sink for `-o PATH`.
    const EXTENSIONS: &'static [&'static str];

    /// Where the sink writes, for messages and the summary.
    fn target(&self) -> String;

    /// Checks the config without any I/O.
    ///
    /// # Errors
    /// A config error that names the key and the fix.
    fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// Whether the sink writes the `raw` column. When no sink of a run
    /// does, sources may leave it empty; a sink that does not say gets it.
    fn writes_raw(&self) -> bool {
        true
    }

    /// Opens the output (creates the temporary file, ...).
    ///
    /// # Errors
    /// When the output cannot be created.
    fn open(self, cx: &SinkContext) -> Result<Box<dyn Sink>>;
}

/// A sink whose config was parsed and validated, ready to open.
pub struct PreparedSink {
    /// The sink's type.
    pub type_name: &'static str,
    /// Where it writes.
    pub target: String,
    /// Whether it writes the `raw` column ([`SinkConfig::writes_raw`]).
    pub writes_raw: bool,
    open: OpenSinkFn,
}

/// Opens a prepared sink (the config is captured inside).
type OpenSinkFn = Box<dyn FnOnce(&SinkContext) -> Result<Box<dyn Sink>> + Send>;

impl PreparedSink {
    /// A prepared sink from its type, target and opening function; the
    /// registry builds these from configs, embedders may build their own.
    pub fn new(
        type_name: &'static str,
        target: impl Into<String>,
        open: impl FnOnce(&SinkContext) -> Result<Box<dyn Sink>> + Send + 'static,
    ) -> Self {
        PreparedSink {
            type_name,
            target: target.into(),
            writes_raw: true,
            open: Box::new(open),
        }
    }

    /// Opens the sink.
    ///
    /// # Errors
    /// When the output cannot be created.
    pub fn open(self, cx: &SinkContext) -> Result<Box<dyn Sink>> {
        (self.open)(cx)
    }
}

impl std::fmt::Debug for PreparedSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedSink")
            .field("type", &self.type_name)
            .field("target", &self.target)
            .field("writes_raw", &self.writes_raw)
            .finish()
    }
}

/// A built source and its name.
#[derive(Debug)]
pub struct BuiltSource {
    /// The source's name (its `name` in the spec, or its type).
    pub name: String,
    /// The source's type.
    pub type_name: &'static str,
    /// The source itself.
    pub source: Box<dyn Source>,
}

/// One registered type, as `jobharvest connectors` lists it.
#[derive(Debug, Clone)]
pub struct TypeInfo {
    /// The spec's `type`.
    pub name: &'static str,
    /// One line of description.
    pub description: &'static str,
    /// For sources, what they can do.
    pub capabilities: Option<Capabilities>,
    /// For sinks, the file extensions they answer to.
    pub extensions: &'static [&'static str],
    /// For sources, whether the registry takes the shared HTTP keys out of
    /// their entries ([`SourceConfig::SHARED_HTTP`]).
    pub shared_http: bool,
}

/// Builds a source from its spec entry (the map without `type`, `name` and
/// `filter`), the entry's position (`sources[0]`) and the build context.
///
/// Typed connectors get one from [`Registry::register_source`]; sources
/// whose types are only known at run time (board definitions) register
/// theirs with [`Registry::register_source_type`].
pub type BuildSourceFn =
    Arc<dyn Fn(Value, &str, &BuildContext) -> Result<Box<dyn Source>> + Send + Sync>;
type PrepareSinkFn = fn(Value) -> Result<PreparedSink>;

/// Loads the board definitions a spec names in its `boards:` list into a
/// registry (see [`Registry::set_board_loader`]).
///
/// # Errors
/// A definition that cannot be read or is invalid, with its file named.
pub type BoardLoader = fn(&Path, &mut Registry) -> Result<()>;

/// Every source, sink and normalizer type the binary knows.
///
/// Cloning is cheap (builders and normalizers are shared): a spec with its
/// own `boards:` extends a clone, so the binary's registry stays as built.
#[derive(Default, Clone)]
pub struct Registry {
    sources: BTreeMap<&'static str, (TypeInfo, BuildSourceFn)>,
    sinks: BTreeMap<&'static str, (TypeInfo, PrepareSinkFn)>,
    normalizers: BTreeMap<&'static str, Arc<dyn Normalizer>>,
    archives: BTreeMap<&'static str, ArchiveOpener>,
    board_loader: Option<BoardLoader>,
    boards: std::collections::BTreeSet<&'static str>,
}

/// Deserializes `value` into `T`, naming the key path of any error.
///
/// # Errors
/// A config error such as `sinks[0].delimter: unknown field ...`.
pub fn from_value<T: DeserializeOwned>(value: Value, at: &str) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let key = if path == "." || path.is_empty() {
            at.to_string()
        } else {
            format!("{at}.{path}")
        };
        Error::config(format!("{key}: {}", e.into_inner())).with_context("key", key)
    })
}

fn prepare_sink<C: SinkConfig>(value: Value) -> Result<PreparedSink> {
    let config: C = from_value(value, C::TYPE)?;
    config.validate()?;
    Ok(PreparedSink {
        type_name: C::TYPE,
        target: config.target(),
        writes_raw: config.writes_raw(),
        open: Box::new(move |cx| config.open(cx)),
    })
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Registers a source type.
    pub fn register_source<C: SourceConfig>(&mut self) -> &mut Self {
        let info = TypeInfo {
            name: C::TYPE,
            description: C::DESCRIPTION,
            capabilities: Some(C::capabilities()),
            extensions: &[],
            shared_http: C::SHARED_HTTP,
        };
        let build: BuildSourceFn = Arc::new(|value, at, cx| from_value::<C>(value, at)?.build(cx));
        self.sources.insert(C::TYPE, (info, build));
        self
    }

    /// Registers a source type known only at run time (a board
    /// definition): its description and capabilities in `info`, and how to
    /// build it. A type of the same name registered earlier is replaced.
    pub fn register_source_type(&mut self, info: TypeInfo, build: BuildSourceFn) -> &mut Self {
        self.sources.insert(info.name, (info, build));
        self
    }

    /// Whether a source type of this name is registered.
    pub fn has_source(&self, name: &str) -> bool {
        self.sources.contains_key(name)
    }

    /// Records that source type `name` comes from a board definition
    /// (another definition may replace it; a Rust connector may not be).
    pub fn mark_board(&mut self, name: &'static str) -> &mut Self {
        self.boards.insert(name);
        self
    }

    /// Whether source type `name` comes from a board definition.
    pub fn is_board(&self, name: &str) -> bool {
        self.boards.contains(name)
    }

    /// Sets how a spec's `boards:` list is loaded (the board-definition
    /// engine registers itself here; the core reads no definition).
    pub fn set_board_loader(&mut self, loader: BoardLoader) -> &mut Self {
        self.board_loader = Some(loader);
        self
    }

    /// This registry extended with the board definitions at `paths`
    /// (already resolved), or a plain clone when there are none.
    ///
    /// # Errors
    /// The first definition that fails to load, or a list of definitions
    /// in a build without the engine that reads them.
    pub fn with_boards(&self, paths: &[PathBuf]) -> Result<Registry> {
        let mut extended = self.clone();
        if paths.is_empty() {
            return Ok(extended);
        }
        let loader = self.board_loader.ok_or_else(|| {
            Error::config(
                "boards: this build of jobharvest cannot read board definitions; remove the `boards:` list or use the full build",
            )
        })?;
        for path in paths {
            loader(path, &mut extended)?;
        }
        Ok(extended)
    }

    /// Registers a sink type.
    pub fn register_sink<C: SinkConfig>(&mut self) -> &mut Self {
        let info = TypeInfo {
            name: C::TYPE,
            description: C::DESCRIPTION,
            capabilities: None,
            extensions: C::EXTENSIONS,
            shared_http: false,
        };
        self.sinks.insert(C::TYPE, (info, prepare_sink::<C>));
        self
    }

    /// Registers the normalizer of a connector, for the `replay` source.
    pub fn register_normalizer(
        &mut self,
        connector: &'static str,
        normalizer: Arc<dyn Normalizer>,
    ) -> &mut Self {
        self.normalizers.insert(connector, normalizer);
        self
    }

    /// Registers how the `replay` source reads archives whose file name ends
    /// with one of `extensions` (lower case, without the dot).
    pub fn register_archive(
        &mut self,
        extensions: &[&'static str],
        opener: ArchiveOpener,
    ) -> &mut Self {
        for ext in extensions {
            self.archives.insert(ext, opener);
        }
        self
    }

    /// The registered source types.
    pub fn sources(&self) -> impl Iterator<Item = &TypeInfo> {
        self.sources.values().map(|(i, _)| i)
    }

    /// The registered sink types.
    pub fn sinks(&self) -> impl Iterator<Item = &TypeInfo> {
        self.sinks.values().map(|(i, _)| i)
    }

    /// A context for building sources relative to `base_dir`.
    pub fn build_context(&self, base_dir: &Path, name: &str) -> BuildContext {
        BuildContext {
            base_dir: base_dir.to_path_buf(),
            name: name.to_string(),
            leave_out_raw: false,
            http: Default::default(),
            normalizers: Arc::new(self.normalizers.clone()),
            archives: Arc::new(self.archives.clone()),
        }
    }

    /// Builds the source described by `value` (a map with a `type` key).
    ///
    /// `at` names the entry in messages (`sources[0]`). The keys every
    /// source has are handled here, before the connector reads the rest:
    /// `type`, `name` and `filter` (see [`crate::filter`]).
    ///
    /// # Errors
    /// An unknown or missing type (listing the known ones), a `filter:`
    /// block the source cannot take, or the source's own config errors,
    /// prefixed with `at`.
    pub fn build_source(&self, value: Value, at: &str, base_dir: &Path) -> Result<BuiltSource> {
        self.build_source_for(value, at, base_dir, true)
    }

    /// As [`Registry::build_source`], telling the source whether the run
    /// needs `raw` (see [`BuildContext::leave_out_raw`]).
    ///
    /// # Errors
    /// As [`Registry::build_source`].
    pub fn build_source_for(
        &self,
        value: Value,
        at: &str,
        base_dir: &Path,
        keep_raw: bool,
    ) -> Result<BuiltSource> {
        let (type_name, name, mut value) = split_type(value, at, true)?;
        let filter = value.as_object_mut().and_then(|m| m.remove("filter"));
        let (info, build) = self
            .sources
            .get(type_name.as_str())
            .ok_or_else(|| unknown_type(at, "source", &type_name, self.sources.keys().copied()))?;
        let name = name.unwrap_or_else(|| info.name.to_string());
        let mut cx = self.build_context(base_dir, &name);
        cx.leave_out_raw = !keep_raw;
        if info.shared_http
            && let Value::Object(entry) = &mut value
        {
            cx.http = crate::http_config::HttpConfig::take(entry, at)?;
        }
        let mut source = build(value, at, &cx).map_err(|e| with_at(e, at))?;
        if let Some(filter) = filter {
            source = crate::filter::attach(source, info.name, filter, at)?;
        }
        Ok(BuiltSource {
            name,
            type_name: info.name,
            source,
        })
    }

    /// Parses and validates the sink described by `value`.
    ///
    /// # Errors
    /// An unknown or missing type (listing the known ones), or the sink's own
    /// config errors, prefixed with `at`.
    pub fn prepare_sink(&self, value: Value, at: &str) -> Result<PreparedSink> {
        let (type_name, _, value) = split_type(value, at, false)?;
        let (_, prepare) = self
            .sinks
            .get(type_name.as_str())
            .ok_or_else(|| unknown_type(at, "sink", &type_name, self.sinks.keys().copied()))?;
        prepare(value).map_err(|e| with_at(e, at))
    }

    /// The sink type whose extensions include `path`'s extension.
    ///
    /// # Errors
    /// A config error listing the extensions known.
    pub fn sink_type_for_path(&self, path: &Path) -> Result<&'static str> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        self.sinks
            .values()
            .find(|(i, _)| i.extensions.contains(&ext.as_str()))
            .map(|(i, _)| i.name)
            .ok_or_else(|| {
                let known: Vec<String> = self
                    .sinks
                    .values()
                    .flat_map(|(i, _)| i.extensions.iter().map(|e| format!(".{e}")))
                    .collect();
                Error::config(format!(
                    "cannot tell the output format of `{}` from its extension; use one of {} or name the type with --sink TYPE:PATH",
                    path.display(),
                    known.join(", ")
                ))
            })
    }
}

/// Replaces the registry's own prefix (the type name) by the entry's
/// position, so that messages read `sinks[1].delimiter: ...`.
fn with_at(err: Error, at: &str) -> Error {
    if err.message().starts_with(at) {
        err
    } else {
        err.prefixed(at)
    }
}

fn split_type(value: Value, at: &str, named: bool) -> Result<(String, Option<String>, Value)> {
    let Value::Object(mut map) = value else {
        return Err(Error::config(format!(
            "{at}: expected a map with a `type` key, found {}",
            kind_of(&value)
        )));
    };
    let type_name = match map.remove("type") {
        Some(Value::String(t)) => t,
        Some(other) => {
            return Err(Error::config(format!(
                "{at}.type: expected a text such as `csv`, found {}",
                kind_of(&other)
            )));
        }
        None => return Err(Error::config(format!("{at}: missing `type` key"))),
    };
    let name = if named {
        match map.remove("name") {
            Some(Value::String(n)) => Some(n),
            Some(other) => {
                return Err(Error::config(format!(
                    "{at}.name: expected a text, found {}",
                    kind_of(&other)
                )));
            }
            None => None,
        }
    } else {
        None
    };
    Ok((type_name, name, Value::Object(map)))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

fn unknown_type<'a>(
    at: &str,
    what: &str,
    name: &str,
    known: impl Iterator<Item = &'a str>,
) -> Error {
    let known: Vec<_> = known.collect();
    let hint = known
        .iter()
        .find(|k| similar(k, name))
        .map(|k| format!(" Did you mean `{k}`?"))
        .unwrap_or_default();
    Error::config(format!(
        "{at}.type: unknown {what} type `{name}`; known {what} types: {}.{hint}",
        known.join(", ")
    ))
    .with_context("key", format!("{at}.type"))
}

/// Whether `b` looks like a typo of `a`: at most two edits apart, ignoring
/// case. Used for every "did you mean" hint (types here, parameter names in
/// connectors).
pub fn similar(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (
        a.to_lowercase().chars().collect(),
        b.to_lowercase().chars().collect(),
    );
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()] <= 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct NullSink {
        path: String,
        #[serde(default)]
        #[allow(dead_code)]
        delimiter: Option<char>,
    }

    struct Dummy;
    impl Sink for Dummy {
        fn write(&mut self, _: &[JobRecord]) -> Result<()> {
            Ok(())
        }
        fn finish(self: Box<Self>) -> Result<crate::SinkReport> {
            Ok(crate::SinkReport {
                rows: 0,
                bytes: None,
                warnings: vec![],
            })
        }
    }

    impl SinkConfig for NullSink {
        const TYPE: &'static str = "csv";
        const DESCRIPTION: &'static str = "test";
        const EXTENSIONS: &'static [&'static str] = &["csv"];
        fn target(&self) -> String {
            self.path.clone()
        }
        fn open(self, _: &SinkContext) -> Result<Box<dyn Sink>> {
            Ok(Box::new(Dummy))
        }
    }

    fn registry() -> Registry {
        let mut r = Registry::new();
        r.register_sink::<NullSink>();
        r
    }

    #[test]
    fn unknown_type_lists_known_types_and_suggests() {
        let err = registry()
            .prepare_sink(json!({"type": "cvs", "path": "x"}), "sinks[0]")
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("unknown sink type `cvs`"), "{msg}");
        assert!(msg.contains("known sink types: csv"), "{msg}");
        assert!(msg.contains("Did you mean `csv`?"), "{msg}");
    }

    #[test]
    fn unknown_key_names_its_path() {
        let err = registry()
            .prepare_sink(
                json!({"type": "csv", "path": "x", "delimter": ";"}),
                "sinks[2]",
            )
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("sinks[2]"), "{msg}");
        assert!(msg.contains("delimter"), "{msg}");
    }

    #[test]
    fn missing_key_is_reported() {
        let err = registry()
            .prepare_sink(json!({"type": "csv"}), "sinks[0]")
            .unwrap_err();
        assert!(err.to_string().contains("missing field `path`"), "{err}");
    }

    #[derive(Debug)]
    struct Nothing;

    #[async_trait::async_trait]
    impl Source for Nothing {
        fn capabilities(&self) -> Capabilities {
            Capabilities::local()
        }
        async fn run(self: Box<Self>, _: crate::SourceContext) -> Result<()> {
            Ok(())
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct LocalFiles {}

    impl SourceConfig for LocalFiles {
        const TYPE: &'static str = "local_files";
        const DESCRIPTION: &'static str = "test";
        fn capabilities() -> Capabilities {
            Capabilities::local()
        }
        fn build(self, _: &BuildContext) -> Result<Box<dyn Source>> {
            Ok(Box::new(Nothing))
        }
    }

    #[test]
    fn a_filter_on_a_source_that_takes_none_is_refused() {
        let mut r = registry();
        r.register_source::<LocalFiles>();
        let base = Path::new(".");
        let ok = r.build_source(json!({"type": "local_files"}), "sources[0]", base);
        assert!(ok.is_ok(), "the filter key is not passed to the connector");
        let err = r
            .build_source(
                json!({"type": "local_files", "filter": {"keywords": ["rust"]}}),
                "sources[1]",
                base,
            )
            .unwrap_err();
        let msg = err.to_string();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
        assert!(msg.starts_with("sources[1].filter:"), "{msg}");
        assert!(msg.contains("takes no filter"), "{msg}");
        assert!(msg.contains("remove the `filter:` block"), "{msg}");
        let typo = r
            .build_source(
                json!({"type": "local_files", "filter": {"keywrds": ["rust"]}}),
                "sources[2]",
                base,
            )
            .unwrap_err();
        assert!(
            typo.to_string().contains("sources[2].filter.keywrds"),
            "{typo}"
        );
    }

    #[test]
    fn extension_picks_the_sink() {
        let r = registry();
        assert_eq!(r.sink_type_for_path(Path::new("a/b.CSV")).unwrap(), "csv");
        let err = r.sink_type_for_path(Path::new("a/b.txt")).unwrap_err();
        assert!(err.to_string().contains(".csv"), "{err}");
    }
}
