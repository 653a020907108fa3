//! The connector's integration tests: one binary, one module per topic.
//!
//! - `normalize`: the mapping of every recorded offer (insta snapshots and
//!   explicit assertions), personal data, replay through the registry;
//! - `source`: paging and failures against a wiremock stand-in of the API;
//! - `config`: building the source from a spec;
//! - `connect`: acting for a user (France Travail Connect);
//! - `slicing`: queries beyond the API's window, against the stand-in
//!   (`jobharvest-standin`): every offer once, plans, resume, failures.

mod config;
mod connect;
mod normalize;
mod slicing;
mod source;
mod support;
