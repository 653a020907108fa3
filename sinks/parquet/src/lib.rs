//! Parquet sink for jobharvest.
