//! Job boards described in YAML: the board-definition engine.
//!
//! A *board definition* ([`definition`]) says how to harvest one board's
//! API: the request, the authentication, the paging, where the offers are
//! and how each field becomes a column. This crate reads definitions,
//! registers each as a source type of its own (`type: jobtech`), and runs
//! them ([`source`]) through the core's shared HTTP layer, so a board
//! written in twenty lines of YAML gets the same pacing, retries, quotas,
//! token renewal, checkpoints, state and sinks as a connector written in
//! Rust. The format's reference is this crate's README.
//!
//! The key design choice: the format is declarative and closed. Steps are
//! a fixed, typed set ([`steps`]) rather than templates or code, so a
//! definition is checked completely when it loads, and a wrong one is
//! refused with every problem named before anything is fetched.
//!
//! Modules:
//! - [`definition`]: the YAML, checked and compiled;
//! - [`config`]: a spec's source entry, and building a source from it;
//! - [`source`]: requests, paging, details, date slicing;
//! - [`mapping`], [`steps`], [`pointer`], [`template`]: offer → record;
//! - [`offline`]: mapping a saved answer (`jobharvest boards test`);
//! - [`text`]: HTML to text, dates, salary labels.

pub mod config;
pub mod definition;
mod locate;
pub mod mapping;
pub mod offline;
pub mod pointer;
pub mod source;
pub mod steps;
pub mod template;
pub mod text;

use std::path::Path;
use std::sync::Arc;

use jobharvest_core::registry::TypeInfo;
use jobharvest_core::{Error, Registry, Result};

pub use definition::{Definition, Problems, parse};
pub use source::BoardSource;

mod shipped {
    include!(concat!(env!("OUT_DIR"), "/shipped.rs"));
}

/// The definitions shipped in `boards/`, compiled into the binary: (file
/// name, text).
pub fn shipped_texts() -> &'static [(&'static str, &'static str)] {
    shipped::SHIPPED
}

/// The shipped definitions, parsed.
///
/// # Panics
/// When a shipped definition is invalid: the test suite checks them all.
pub fn shipped() -> Vec<Arc<Definition>> {
    shipped::SHIPPED
        .iter()
        .map(|(file, text)| {
            let definition = parse(text, &format!("boards/{file}"))
                .unwrap_or_else(|p| panic!("a shipped board definition is invalid: {p}"));
            Arc::new(definition)
        })
        .collect()
}

/// Registers `definition` as a source type (and its mapping as a
/// normalizer, so `replay` re-runs its archives).
///
/// # Errors
/// A definition whose board would replace a source type written in Rust.
pub fn register_definition(registry: &mut Registry, definition: Arc<Definition>) -> Result<()> {
    let board = definition.board;
    if registry.has_source(board) && !registry.is_board(board) {
        return Err(Error::config(format!(
            "board definition {}: `{board}` is already a connector of this build; name the board differently",
            definition.file
        )));
    }
    let info = TypeInfo {
        name: board,
        description: definition.description,
        capabilities: Some(source::capabilities(&definition)),
        extensions: &[],
        shared_http: true,
    };
    let def = Arc::clone(&definition);
    registry.register_source_type(
        info,
        Arc::new(move |value, at, cx| {
            let built = config::build(&def, value, at, cx)?;
            Ok(Box::new(built) as Box<dyn jobharvest_core::Source>)
        }),
    );
    registry.mark_board(board);
    registry.register_normalizer(
        board,
        Arc::new(mapping::DefinitionNormalizer(Arc::clone(
            &definition.mapping,
        ))),
    );
    Ok(())
}

/// Reads, checks and registers the definition at `path` (a spec's
/// `boards:` entry).
///
/// # Errors
/// An unreadable file, or every problem of an invalid definition.
pub fn load(path: &Path, registry: &mut Registry) -> Result<()> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::config(format!(
            "boards: cannot read the board definition `{}` ({e}); check the path (relative to the spec)",
            path.display()
        ))
    })?;
    let definition = parse(&text, &path.display().to_string())?;
    register_definition(registry, Arc::new(definition))
}

/// Registers every shipped board, and the loader of a spec's `boards:`.
pub fn register(registry: &mut Registry) {
    for definition in shipped() {
        register_definition(registry, definition).expect("shipped boards have distinct names");
    }
    registry.set_board_loader(load);
}
