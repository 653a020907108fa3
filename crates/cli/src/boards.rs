//! `jobharvest boards`: list the boards defined in YAML, check a
//! definition, and test it offline on a saved answer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Subcommand};
use jobharvest_core::source::{Seen, SourceStats};
use jobharvest_core::{
    BuildContext, COLUMNS, Cell, Error, ErrorKind, NormalizeOptions, Registry, Result,
    SourceContext,
};
use jobharvest_declarative::definition::Definition;
use jobharvest_declarative::offline::map_answer;
use serde_json::Value;

/// Options of `boards`.
#[derive(Debug, Args)]
pub struct BoardsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: BoardsCommand,
}

/// The `boards` subcommands.
#[derive(Debug, Subcommand)]
pub enum BoardsCommand {
    /// List the boards this binary knows from definitions, with their
    /// parameters and terms.
    List,
    /// Check definitions without the network: every problem at once.
    Check {
        /// Definition files (.yaml).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Map a saved answer through a definition and print the records; or,
    /// with --record, fetch live answers and save them (secrets redacted)
    /// for later offline tests.
    #[command(
        after_help = "Examples:\n  jobharvest boards test boards/jobtech.yaml --response boards/fixtures/jobtech/search.json\n  jobharvest boards test my-board.yaml --record answers/ --param q=rust --limit 40"
    )]
    Test {
        /// The definition file (.yaml).
        file: PathBuf,
        /// A saved answer of the board's search (JSON).
        #[arg(long, value_name = "FILE", required_unless_present = "record")]
        response: Option<PathBuf>,
        /// Fetch from the board and save each answer into this folder.
        #[arg(long, value_name = "DIR", conflicts_with = "response")]
        record: Option<PathBuf>,
        /// A search parameter for --record (NAME=VALUE, repeatable).
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// How many offers --record fetches at most.
        #[arg(long, value_name = "N", default_value_t = 40)]
        limit: u64,
        /// The board's URL for --record, instead of the definition's.
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
    },
}

/// Runs `boards`.
pub async fn run(registry: &Registry, args: BoardsArgs) -> Result<()> {
    match args.command {
        BoardsCommand::List => {
            list(registry);
            Ok(())
        }
        BoardsCommand::Check { files } => check(&files),
        BoardsCommand::Test {
            file,
            response: Some(response),
            ..
        } => test(&file, &response),
        BoardsCommand::Test {
            file,
            record: Some(dir),
            params,
            limit,
            base_url,
            ..
        } => record(registry, &file, &dir, &params, limit, base_url).await,
        BoardsCommand::Test { .. } => Err(Error::config("give --response FILE or --record DIR")),
    }
}

fn read(file: &Path) -> Result<Definition> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        Error::config(format!(
            "cannot read `{}` ({e}); check the path",
            file.display()
        ))
    })?;
    Ok(jobharvest_declarative::parse(
        &text,
        &file.display().to_string(),
    )?)
}

fn list(registry: &Registry) {
    let mut boards: Vec<_> = jobharvest_declarative::shipped();
    boards.sort_by_key(|d| d.board);
    println!("Boards defined in YAML (boards/*.yaml; use the name as a source's `type`):");
    for d in &boards {
        let caps = registry
            .sources()
            .find(|i| i.name == d.board)
            .and_then(|i| i.capabilities);
        println!("  {:<14} {}", d.board, d.description);
        let mut facts = vec![format!("auth: {}", caps.map_or("none", |c| c.auth))];
        let vars: Vec<String> = d
            .env_vars()
            .into_iter()
            .map(|(v, optional)| {
                if optional {
                    format!("{v} (optional)")
                } else {
                    v
                }
            })
            .collect();
        if !vars.is_empty() {
            facts.push(format!("env: {}", vars.join(", ")));
        }
        if let Some(c) = &d.country {
            facts.push(format!("country: {c}"));
        }
        if let Some(w) = d.window() {
            facts.push(format!(
                "{w} results per query{}",
                if d.slicing.is_some() {
                    ", sliced by date past it"
                } else {
                    ""
                }
            ));
        }
        println!("  {:<14} {}", "", facts.join("; "));
        if !d.params.is_empty() {
            let params: Vec<&str> = d.params.iter().map(|p| p.name.as_str()).collect();
            println!("  {:<14} params: {}", "", params.join(", "));
        }
        if let Some(a) = &d.mapping.attribution {
            println!("  {:<14} credit: {a}", "");
        }
    }
}

fn check(files: &[PathBuf]) -> Result<()> {
    let mut failed = 0;
    for file in files {
        match read(file) {
            Ok(d) => {
                let env: Vec<String> = d
                    .env_vars()
                    .into_iter()
                    .map(|(v, optional)| {
                        let set = std::env::var_os(&v).is_some_and(|x| !x.is_empty());
                        let state = match (set, optional) {
                            (true, _) => "set",
                            (false, true) => "not set, optional",
                            (false, false) => "NOT SET: a run will be refused",
                        };
                        format!("{v} ({state})")
                    })
                    .collect();
                println!(
                    "ok: {} (board `{}`): {} fields, paging `{:?}`{}",
                    file.display(),
                    d.board,
                    d.mapping.fields.len(),
                    d.paginate.kind,
                    if env.is_empty() {
                        String::new()
                    } else {
                        format!("; needs {}", env.join(", "))
                    }
                );
            }
            Err(e) => {
                failed += 1;
                eprintln!("{}", e.message());
            }
        }
    }
    if failed > 0 {
        return Err(Error::config(format!(
            "{failed} of {} definitions have problems (listed above)",
            files.len()
        )));
    }
    Ok(())
}

/// Columns shown in the table, when any record has a value.
const SHOWN: &[&str] = &[
    "source_id",
    "title",
    "company_name",
    "location_label",
    "created_at",
    "contract_type",
    "salary_min",
    "salary_max",
    "salary_period",
    "salary_currency",
    "remote",
    "latitude",
    "longitude",
];

fn test(file: &Path, response: &Path) -> Result<()> {
    let def = read(file)?;
    let text = std::fs::read_to_string(response).map_err(|e| {
        Error::config(format!(
            "cannot read the answer `{}` ({e})",
            response.display()
        ))
    })?;
    let body: Value = serde_json::from_str(&text).map_err(|e| {
        Error::new(
            ErrorKind::Parse,
            format!("the answer `{}` is not JSON: {e}", response.display()),
        )
    })?;
    let mapping = map_answer(
        &def,
        &body,
        &NormalizeOptions::default().leaving_out_raw(true),
    )
    .map_err(|e| e.prefixed(response.display()))?;
    print_table(&mapping.records);
    let mut filled: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &mapping.records {
        for (c, cell) in COLUMNS.iter().zip(r.cells()) {
            let has = match cell {
                Cell::Null => false,
                Cell::List(l) => !l.is_empty(),
                _ => true,
            };
            if has && c.name != "source" {
                *filled.entry(c.name).or_default() += 1;
            }
        }
    }
    let columns: Vec<String> = filled.iter().map(|(c, n)| format!("{c} {n}")).collect();
    println!(
        "\n{} mapped from {}{}{}{}.",
        plural(mapping.records.len(), "offer"),
        response.display(),
        if mapping.skipped > 0 {
            format!("; {} elements skipped", mapping.skipped)
        } else {
            String::new()
        },
        if mapping.closed > 0 {
            format!("; {} closed offers left out", mapping.closed)
        } else {
            String::new()
        },
        mapping
            .total
            .as_ref()
            .map(|t| format!("; the board reports a total of {t}"))
            .unwrap_or_default(),
    );
    println!("Columns filled (offers): {}", columns.join(", "));
    for (column, id) in &mapping.problems {
        println!(
            "warning: offer {id}: the value of `{column}` does not fit the column; it is left empty"
        );
    }
    for failure in &mapping.failed {
        println!("warning: {failure}");
    }
    if mapping.records.is_empty() && mapping.failed.is_empty() {
        return Err(Error::new(
            ErrorKind::Parse,
            format!(
                "no offer in `{}`: check `records` and `skip` in {}",
                response.display(),
                def.file
            ),
        ));
    }
    if !mapping.failed.is_empty() {
        return Err(Error::new(
            ErrorKind::Parse,
            format!("{} offers could not be mapped", mapping.failed.len()),
        ));
    }
    Ok(())
}

/// `1 offer`, `3 offers`.
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn print_table(records: &[jobharvest_core::JobRecord]) {
    let columns: Vec<usize> = SHOWN
        .iter()
        .filter_map(|name| jobharvest_core::column_index(name))
        .filter(|&i| records.iter().any(|r| !r.cell(i).is_null()))
        .collect();
    let text = |cell: Cell<'_>| -> String {
        let t = match cell {
            Cell::Null => String::new(),
            Cell::Text(t) => t.to_string(),
            Cell::Float(f) => f.to_string(),
            Cell::Int(i) => i.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Timestamp(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            Cell::List(l) => l.join(", "),
        };
        let t = t.replace(['\n', '\t'], " ");
        if t.chars().count() > 32 {
            format!("{}…", t.chars().take(31).collect::<String>())
        } else {
            t
        }
    };
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| columns.iter().map(|&i| text(r.cell(i))).collect())
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            rows.iter()
                .map(|row| row[k].chars().count())
                .chain([COLUMNS[i].name.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join(" | ")
    };
    println!(
        "{}",
        line(
            columns
                .iter()
                .map(|&i| COLUMNS[i].name.to_string())
                .collect()
        )
    );
    println!(
        "{}",
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("-+-")
    );
    for row in rows {
        println!("{}", line(row));
    }
}

async fn record(
    registry: &Registry,
    file: &Path,
    dir: &Path,
    params: &[String],
    limit: u64,
    base_url: Option<String>,
) -> Result<()> {
    let def = Arc::new(read(file)?);
    let mut map = serde_json::Map::new();
    for p in params {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| Error::config(format!("--param `{p}`: write NAME=VALUE")))?;
        map.insert(k.to_string(), Value::String(v.to_string()));
    }
    let mut entry = serde_json::json!({"params": map});
    if let Some(url) = base_url {
        entry["base_url"] = Value::String(url);
    }
    let mut cx: BuildContext = registry.build_context(Path::new("."), def.board);
    if let Value::Object(e) = &mut entry {
        cx.http = jobharvest_core::http_config::HttpConfig::take(e, "--record")?;
    }
    let source = jobharvest_declarative::config::build(&def, entry, "--record", &cx)?
        .with_recording(dir.to_path_buf());
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let stats = Arc::new(SourceStats::new());
    let scx = SourceContext::new(
        def.board,
        tx,
        Arc::clone(&stats),
        Arc::new(Seen::default()),
        Some(limit),
    );
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let result = jobharvest_core::Source::run(Box::new(source), scx).await;
    let _ = drain.await;
    result?;
    println!(
        "Saved {} into {} ({}, {}); test them offline with\n  jobharvest boards test {} --response {}",
        plural(
            std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0),
            "answer"
        ),
        dir.display(),
        plural(SourceStats::get(&stats.offers) as usize, "offer"),
        plural(SourceStats::get(&stats.requests) as usize, "request"),
        file.display(),
        dir.join("001-page-1.json").display()
    );
    Ok(())
}
