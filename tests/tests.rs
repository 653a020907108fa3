//! Integration tests that drive the `jobharvest` binary.
