//! Excel (XLSX) sink for jobharvest.
