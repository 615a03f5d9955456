//! CSV exports, streamed from the database: the header comes from the form definition (so the
//! first byte leaves at once) and each row is flattened as it is read, so memory stays flat
//! whatever the number of responses.

mod columns;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use serde_json::Value;

pub use columns::{Column, ColumnKind, ColumnPlan};

use crate::{
    domain::{FormId, StudyId},
    store::{FormVersionRecord, Store, StoreError, SubmissionRow},
};

/// Rows are written into chunks of about this size before they are sent.
const CHUNK_BYTES: usize = 64 * 1024;

/// Streams a form's export as CSV bytes: the header, then one row per submission.
pub fn csv_stream(store: Store, study: StudyId, form: FormId, versions: Vec<FormVersionRecord>) -> impl Stream<Item = Result<Bytes, StoreError>> {
    let plan = ColumnPlan::for_versions(&versions);
    async_stream(store, study, form, plan)
}

fn async_stream(store: Store, study: StudyId, form: FormId, plan: ColumnPlan) -> impl Stream<Item = Result<Bytes, StoreError>> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, StoreError>>(4);
    tokio::spawn(async move {
        let mut writer = csv::WriterBuilder::new().from_writer(Vec::with_capacity(CHUNK_BYTES * 2));
        let header = plan.header();
        if writer.write_record(&header).is_err() {
            return;
        }
        let mut record = csv::ByteRecord::new();
        let mut rows = store.stream_submissions(&study, &form);
        while let Some(row) = rows.next().await {
            let row = match row {
                Ok(row) => row,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            plan.fill(&row, &mut record);
            if let Err(e) = writer.write_byte_record(&record) {
                let _ = tx.send(Err(StoreError::Corrupt(e.to_string()))).await;
                return;
            }
            if writer.get_ref().len() >= CHUNK_BYTES {
                let full = std::mem::replace(&mut writer, csv::WriterBuilder::new().has_headers(false).from_writer(Vec::with_capacity(CHUNK_BYTES * 2)));
                let Ok(chunk) = full.into_inner() else { return };
                if tx.send(Ok(Bytes::from(chunk))).await.is_err() {
                    return; // the client went away
                }
            }
        }
        if let Ok(rest) = writer.into_inner() {
            if !rest.is_empty() {
                let _ = tx.send(Ok(Bytes::from(rest))).await;
            }
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

/// Writes the CSV cell text of an answer.
pub(crate) fn cell(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => {}
        Value::String(s) => out.extend_from_slice(s.as_bytes()),
        Value::Bool(b) => out.extend_from_slice(if *b { b"1" } else { b"0" }),
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        other => out.extend_from_slice(other.to_string().as_bytes()),
    }
}

pub(crate) fn parse_row(row: &SubmissionRow) -> (Value, Value) {
    (
        serde_json::from_str(&row.answers).unwrap_or(Value::Null),
        serde_json::from_str(&row.scores).unwrap_or(Value::Null),
    )
}
