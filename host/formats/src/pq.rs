//! Parquet with typed columns (text, 64-bit integers, doubles, dates, UTC instants in
//! milliseconds) and the labels in the file's key-value metadata (`campo.labels`, JSON: each
//! column's label and its choices' labels). Rows are buffered per column and written as small
//! row groups, so memory is bounded by a row group, not by the table.

use std::{io::Write, sync::Arc};

use parquet::{
    basic::{Compression, LogicalType, Repetition, TimeUnit, Type as Physical},
    data_type::{ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type},
    file::{
        metadata::KeyValue,
        properties::{EnabledStatistics, WriterProperties},
        writer::SerializedFileWriter,
    },
    schema::types::Type,
};

use super::{Cell, FormatError, Kind, Table};

/// A row group ends at this many rows or this many buffered bytes, whichever comes first.
const GROUP_ROWS: usize = 64 * 1024;
const GROUP_BYTES: usize = 8 * 1024 * 1024;

enum Buffer {
    Text(Vec<ByteArray>),
    Int(Vec<i64>),
    Float(Vec<f64>),
    Date(Vec<i32>),
    Instant(Vec<i64>),
}

struct Column {
    values: Buffer,
    /// 1 where a value is present, 0 where missing.
    levels: Vec<i16>,
}

/// A Parquet file being written into `W`.
pub struct ParquetWriter<W: Write + Send> {
    writer: SerializedFileWriter<W>,
    columns: Vec<Column>,
    rows: usize,
    bytes: usize,
}

impl<W: Write + Send> ParquetWriter<W> {
    pub fn new(table: &Table, out: W) -> Result<ParquetWriter<W>, FormatError> {
        let mut fields = Vec::with_capacity(table.variables.len());
        let mut columns = Vec::with_capacity(table.variables.len());
        let mut labels = Vec::with_capacity(table.variables.len());
        for var in &table.variables {
            let (physical, logical, values) = match &var.kind {
                Kind::Text | Kind::Coded(_) => (Physical::BYTE_ARRAY, Some(LogicalType::String), Buffer::Text(Vec::new())),
                Kind::Integer | Kind::Flag => (Physical::INT64, None, Buffer::Int(Vec::new())),
                Kind::Number => (Physical::DOUBLE, None, Buffer::Float(Vec::new())),
                Kind::Date => (Physical::INT32, Some(LogicalType::Date), Buffer::Date(Vec::new())),
                Kind::DateTime => (
                    Physical::INT64,
                    Some(LogicalType::Timestamp { is_adjusted_to_u_t_c: true, unit: TimeUnit::MILLIS }),
                    Buffer::Instant(Vec::new()),
                ),
            };
            fields.push(Arc::new(
                Type::primitive_type_builder(&var.path, physical).with_repetition(Repetition::OPTIONAL).with_logical_type(logical).build()?,
            ));
            columns.push(Column { values, levels: Vec::new() });
            let mut entry = serde_json::json!({"name": var.path, "label": var.label});
            if let Kind::Coded(choices) = &var.kind {
                let values: serde_json::Map<String, serde_json::Value> =
                    choices.iter().map(|c| (c.code.clone(), serde_json::Value::String(c.label.clone()))).collect();
                entry["values"] = serde_json::Value::Object(values);
            }
            if var.kind == Kind::Flag {
                entry["values"] = serde_json::json!({"0": "0", "1": "1"});
            }
            labels.push(entry);
        }
        let schema = Arc::new(Type::group_type_builder("schema").with_fields(fields).build()?);
        let metadata = serde_json::json!({"table": table.name, "label": table.label, "columns": labels});
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            // Min/max per column chunk, not per page: readers prune row groups with them, and
            // per-page statistics cost a comparison of every text value.
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_max_row_group_size(GROUP_ROWS)
            .set_key_value_metadata(Some(vec![KeyValue::new("campo.labels".to_string(), metadata.to_string())]))
            .set_created_by("Campo".to_string())
            .build();
        let writer = SerializedFileWriter::new(out, schema, Arc::new(properties))?;
        Ok(ParquetWriter { writer, columns, rows: 0, bytes: 0 })
    }

    pub fn push(&mut self, cells: &[Cell]) -> Result<(), FormatError> {
        for (column, cell) in self.columns.iter_mut().zip(cells) {
            let present = match (&mut column.values, cell) {
                (Buffer::Text(v), Cell::Text(t)) if !t.is_empty() => {
                    self.bytes += t.len() + 8;
                    v.push(ByteArray::from(t.as_bytes().to_vec()));
                    true
                }
                (Buffer::Int(v), Cell::Number(x)) if x.is_finite() => {
                    v.push(*x as i64);
                    true
                }
                (Buffer::Float(v), Cell::Number(x)) => {
                    v.push(*x);
                    true
                }
                (Buffer::Date(v), Cell::Date(d)) => {
                    v.push(*d);
                    true
                }
                (Buffer::Instant(v), Cell::DateTime(ms)) => {
                    v.push(*ms);
                    true
                }
                _ => false,
            };
            column.levels.push(i16::from(present));
            self.bytes += 10;
        }
        self.rows += 1;
        if self.rows >= GROUP_ROWS || self.bytes >= GROUP_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), FormatError> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut group = self.writer.next_row_group()?;
        for column in &mut self.columns {
            let Some(mut out) = group.next_column()? else { break };
            match &mut column.values {
                Buffer::Text(v) => {
                    out.typed::<ByteArrayType>().write_batch(v, Some(&column.levels), None)?;
                    v.clear();
                }
                Buffer::Int(v) | Buffer::Instant(v) => {
                    out.typed::<Int64Type>().write_batch(v, Some(&column.levels), None)?;
                    v.clear();
                }
                Buffer::Float(v) => {
                    out.typed::<DoubleType>().write_batch(v, Some(&column.levels), None)?;
                    v.clear();
                }
                Buffer::Date(v) => {
                    out.typed::<Int32Type>().write_batch(v, Some(&column.levels), None)?;
                    v.clear();
                }
            }
            column.levels.clear();
            out.close()?;
        }
        group.close()?;
        self.rows = 0;
        self.bytes = 0;
        Ok(())
    }

    /// Writes the last row group and the footer; gives the output back.
    pub fn finish(mut self) -> Result<W, FormatError> {
        self.flush()?;
        Ok(self.writer.into_inner()?)
    }
}
