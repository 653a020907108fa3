//! The Arrow schema of the normalized columns, and the arrays built for it
//! from [`Cell`]s.

use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, FieldRef, Schema, TimeUnit};
use jobharvest_core::{COLUMNS, Cell, Column, ColumnKind, JobRecord};

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

/// The Arrow array of column `index` (an index into [`COLUMNS`]) over
/// `records`, of exactly the type [`arrow_schema`] gives it.
///
/// Column by column, with every buffer sized before the first value goes
/// in: building row by row into growing builders spent more time in
/// `realloc` copies than in the appends themselves.
pub(crate) fn column_array(index: usize, records: &[JobRecord]) -> ArrayRef {
    let cells = || records.iter().map(move |r| r.cell(index));
    match COLUMNS[index].kind {
        ColumnKind::Text | ColumnKind::Json => {
            let bytes = cells().map(|c| text(c).map_or(0, str::len)).sum();
            let mut b = StringBuilder::with_capacity(records.len(), bytes);
            for cell in cells() {
                b.append_option(text(cell));
            }
            Arc::new(b.finish())
        }
        ColumnKind::Float => Arc::new(
            cells()
                .map(|c| match c {
                    Cell::Float(f) => Some(f),
                    _ => None,
                })
                .collect::<Float64Array>(),
        ),
        ColumnKind::Int => Arc::new(
            cells()
                .map(|c| match c {
                    Cell::Int(i) => Some(i),
                    _ => None,
                })
                .collect::<Int64Array>(),
        ),
        ColumnKind::Bool => Arc::new(
            cells()
                .map(|c| match c {
                    Cell::Bool(b) => Some(b),
                    _ => None,
                })
                .collect::<BooleanArray>(),
        ),
        ColumnKind::Timestamp => Arc::new(
            cells()
                .map(|c| match c {
                    Cell::Timestamp(t) => Some(t.timestamp_micros()),
                    _ => None,
                })
                .collect::<TimestampMicrosecondArray>()
                .with_timezone(UTC),
        ),
        ColumnKind::TextList => {
            let (items, bytes) = cells().fold((0, 0), |(n, b), c| {
                let l = list(c);
                (n + l.len(), b + l.iter().map(String::len).sum::<usize>())
            });
            let values = StringBuilder::with_capacity(items, bytes);
            let mut b = ListBuilder::with_capacity(values, records.len()).with_field(list_item());
            for cell in cells() {
                for item in list(cell) {
                    b.values().append_value(item);
                }
                // Lists are never null: no value is an empty list.
                b.append(true);
            }
            Arc::new(b.finish())
        }
    }
}

/// The text of a text cell; a cell of another type (which the column table
/// rules out) counts as a null.
fn text(cell: Cell<'_>) -> Option<&str> {
    match cell {
        Cell::Text(s) => Some(s),
        _ => None,
    }
}

/// The items of a list cell; anything else is an empty list.
fn list(cell: Cell<'_>) -> &[String] {
    match cell {
        Cell::List(items) => items,
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Array, ListArray, StringArray};
    use jobharvest_core::column_index;

    /// The arrays must have exactly the schema's types, or
    /// `RecordBatch::try_new` refuses the batch; values and nulls land in
    /// their rows.
    #[test]
    fn arrays_match_the_schema_for_every_column() {
        let all: Vec<usize> = (0..COLUMNS.len()).collect();
        let schema = arrow_schema(&all);
        let mut full = JobRecord::new("france_travail", "1");
        full.title = Some("Data analyst".into());
        full.skills = vec!["SQL".into(), "Python".into()];
        full.latitude = Some(48.85);
        let records = [JobRecord::new("adzuna", "2"), full];
        for (index, field) in schema.fields().iter().enumerate() {
            let array = column_array(index, &records);
            assert_eq!(array.data_type(), field.data_type(), "{}", field.name());
            assert_eq!(array.len(), 2, "{}", field.name());
        }
        let title = column_array(column_index("title").unwrap(), &records);
        let title = title.as_any().downcast_ref::<StringArray>().unwrap();
        assert!(title.is_null(0));
        assert_eq!(title.value(1), "Data analyst");
        let skills = column_array(column_index("skills").unwrap(), &records);
        let skills = skills.as_any().downcast_ref::<ListArray>().unwrap();
        assert!(!skills.is_null(0) && skills.value(0).is_empty());
        let second = skills.value(1);
        let second = second.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!((second.value(0), second.value(1)), ("SQL", "Python"));
        let lat = column_array(column_index("latitude").unwrap(), &records);
        let lat = lat.as_any().downcast_ref::<Float64Array>().unwrap();
        assert!(lat.is_null(0));
        assert_eq!(lat.value(1), 48.85);
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
