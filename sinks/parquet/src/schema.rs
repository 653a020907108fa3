//! The Arrow schema of the normalized columns, and the builders that fill
//! it from [`Cell`]s.

use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, ListBuilder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_schema::{DataType, Field, FieldRef, Schema, TimeUnit};
use jobharvest_core::{COLUMNS, Cell, Column, ColumnKind};

/// The time zone of timestamp columns.
const UTC: &str = "UTC";

/// The columns that always have a value.
const KEY_COLUMNS: &[&str] = &["source", "source_id"];

/// The field of a list's elements: a string that is never null.
fn list_item() -> FieldRef {
    Arc::new(Field::new_list_field(DataType::Utf8, false))
}

/// The Arrow field of `column`.
///
/// Keys (`source`, `source_id`) are non-null, lists are non-null (empty when
/// there is nothing) with non-null elements, everything else is nullable.
/// JSON columns are plain UTF-8 strings.
fn field(column: &Column) -> Field {
    let key = KEY_COLUMNS.contains(&column.name);
    let (data_type, nullable) = match column.kind {
        ColumnKind::Text | ColumnKind::Json => (DataType::Utf8, !key),
        ColumnKind::Float => (DataType::Float64, true),
        ColumnKind::Int => (DataType::Int64, true),
        ColumnKind::Bool => (DataType::Boolean, true),
        ColumnKind::Timestamp => (
            DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())),
            true,
        ),
        ColumnKind::TextList => (DataType::List(list_item()), false),
    };
    Field::new(column.name, data_type, nullable)
}

/// The Arrow schema of the columns `columns` (indices into [`COLUMNS`]).
pub fn arrow_schema(columns: &[usize]) -> Schema {
    Schema::new(
        columns
            .iter()
            .map(|&c| field(&COLUMNS[c]))
            .collect::<Vec<_>>(),
    )
}

/// Builds one column of a record batch.
pub(crate) enum ColumnBuilder {
    Text(StringBuilder),
    Float(Float64Builder),
    Int(Int64Builder),
    Bool(BooleanBuilder),
    Timestamp(TimestampMicrosecondBuilder),
    List(ListBuilder<StringBuilder>),
}

impl ColumnBuilder {
    /// A builder for `column`, producing arrays of exactly the type
    /// [`arrow_schema`] gives it.
    pub(crate) fn new(column: &Column) -> Self {
        match column.kind {
            ColumnKind::Text | ColumnKind::Json => ColumnBuilder::Text(StringBuilder::new()),
            ColumnKind::Float => ColumnBuilder::Float(Float64Builder::new()),
            ColumnKind::Int => ColumnBuilder::Int(Int64Builder::new()),
            ColumnKind::Bool => ColumnBuilder::Bool(BooleanBuilder::new()),
            ColumnKind::Timestamp => {
                ColumnBuilder::Timestamp(TimestampMicrosecondBuilder::new().with_timezone(UTC))
            }
            ColumnKind::TextList => {
                ColumnBuilder::List(ListBuilder::new(StringBuilder::new()).with_field(list_item()))
            }
        }
    }

    /// Appends `cell`. A cell of another type than the column's (which the
    /// column table rules out) is appended as a null.
    pub(crate) fn append(&mut self, cell: Cell<'_>) {
        match (self, cell) {
            (ColumnBuilder::Text(b), Cell::Text(s)) => b.append_value(s),
            (ColumnBuilder::Text(b), _) => b.append_null(),
            (ColumnBuilder::Float(b), Cell::Float(f)) => b.append_value(f),
            (ColumnBuilder::Float(b), _) => b.append_null(),
            (ColumnBuilder::Int(b), Cell::Int(i)) => b.append_value(i),
            (ColumnBuilder::Int(b), _) => b.append_null(),
            (ColumnBuilder::Bool(b), Cell::Bool(v)) => b.append_value(v),
            (ColumnBuilder::Bool(b), _) => b.append_null(),
            (ColumnBuilder::Timestamp(b), Cell::Timestamp(t)) => {
                b.append_value(t.timestamp_micros())
            }
            (ColumnBuilder::Timestamp(b), _) => b.append_null(),
            (ColumnBuilder::List(b), Cell::List(items)) => {
                for item in items {
                    b.values().append_value(item);
                }
                b.append(true);
            }
            // An empty list: lists are never null.
            (ColumnBuilder::List(b), _) => b.append(true),
        }
    }

    /// The array built so far; the builder starts over empty.
    pub(crate) fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Text(b) => Arc::new(b.finish()),
            ColumnBuilder::Float(b) => Arc::new(b.finish()),
            ColumnBuilder::Int(b) => Arc::new(b.finish()),
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::Timestamp(b) => Arc::new(b.finish()),
            ColumnBuilder::List(b) => Arc::new(b.finish()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;

    /// The builders must produce exactly the schema's types, or
    /// `RecordBatch::try_new` refuses the batch.
    #[test]
    fn builders_match_the_schema_for_every_column() {
        let all: Vec<usize> = (0..COLUMNS.len()).collect();
        let schema = arrow_schema(&all);
        for (field, column) in schema.fields().iter().zip(COLUMNS) {
            let mut builder = ColumnBuilder::new(column);
            builder.append(Cell::Null);
            let array = builder.finish();
            assert_eq!(array.data_type(), field.data_type(), "{}", column.name);
            // Finishing twice keeps the type (the builder is reused).
            builder.append(Cell::Null);
            assert_eq!(builder.finish().data_type(), field.data_type());
        }
    }

    #[test]
    fn keys_and_lists_are_non_null() {
        let all: Vec<usize> = (0..COLUMNS.len()).collect();
        let schema = arrow_schema(&all);
        let non_null: Vec<&str> = schema
            .fields()
            .iter()
            .filter(|f| !f.is_nullable())
            .map(|f| f.name().as_str())
            .collect();
        let lists: Vec<&str> = COLUMNS
            .iter()
            .filter(|c| c.kind == ColumnKind::TextList)
            .map(|c| c.name)
            .collect();
        let mut expected = vec!["source", "source_id"];
        expected.extend(lists);
        let mut non_null_sorted = non_null.clone();
        non_null_sorted.sort_unstable();
        expected.sort_unstable();
        assert_eq!(non_null_sorted, expected);
    }
}
