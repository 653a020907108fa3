//! CSV sink for jobharvest.
