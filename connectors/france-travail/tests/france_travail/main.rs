//! The connector's integration tests: one binary, one module per topic.
//!
//! - `normalize`: the mapping of every recorded offer (insta snapshots and
//!   explicit assertions), personal data, replay through the registry;
//! - `properties`: the normalizer and the salary parser on generated input;
//! - `source`: paging and failures against a wiremock stand-in of the API;
//! - `config`: building the source from a spec;
//! - `connect`: acting for a user (France Travail Connect);
//! - `slicing`: queries beyond the API's window, against the stand-in
//!   (`jobharvest-standin`): every offer once, plans, resume, failures.

mod config;
mod connect;
mod normalize;
mod properties;
mod slicing;
mod source;
mod support;
