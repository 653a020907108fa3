//! Integration tests that drive the `jobharvest` binary, as a user would.
//!
//! One test binary (ripgrep's layout): each module covers one area, and
//! every HTTP answer comes from a stand-in started on 127.0.0.1.

mod archive;
mod auth;
mod bad_input;
mod boards;
mod configs;
mod databases;
mod definitions;
mod demo;
mod france_travail;
mod harvest;
mod multi_source;
mod report;
mod state;
mod support;
mod sync;
