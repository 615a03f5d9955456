//! One way to read a row from either driver, into the domain's types: `row.get("study_id")?`
//! reads a `StudyId`, `row.get("review_state")?` a `ReviewState`, `row.get("answers")?` a
//! `Json<Value>`, each inferred from where it goes. A value the domain refuses is reported as
//! corrupt stored data, naming its column.

use campo_domain::{CaseKey, FormId, PluginHash, RescoreState, ReviewState, Role, StudyId, TeamId, Timestamp, Username, VersionName};
use serde::de::DeserializeOwned;
use sqlx::{Row, ValueRef, postgres::PgRow, sqlite::SqliteRow};

use crate::StoreError;

/// A row of either database.
pub(crate) trait CampoRow {
    fn text(&self, column: &str) -> Result<String, StoreError>;
    fn int(&self, column: &str) -> Result<i64, StoreError>;
    fn is_null(&self, column: &str) -> Result<bool, StoreError>;

    /// The column as `T`.
    fn get<T: Column>(&self, column: &str) -> Result<T, StoreError>
    where
        Self: Sized,
    {
        T::read(self, column)
    }
}

macro_rules! campo_row {
    ($row:ty) => {
        impl CampoRow for $row {
            fn text(&self, column: &str) -> Result<String, StoreError> {
                Ok(self.try_get(column)?)
            }
            fn int(&self, column: &str) -> Result<i64, StoreError> {
                Ok(self.try_get(column)?)
            }
            fn is_null(&self, column: &str) -> Result<bool, StoreError> {
                Ok(self.try_get_raw(column)?.is_null())
            }
        }
    };
}
campo_row!(SqliteRow);
campo_row!(PgRow);

/// A type a column is read into.
pub(crate) trait Column: Sized {
    fn read(row: &impl CampoRow, column: &str) -> Result<Self, StoreError>;
}

impl Column for String {
    fn read(row: &impl CampoRow, column: &str) -> Result<Self, StoreError> {
        row.text(column)
    }
}

impl Column for i64 {
    fn read(row: &impl CampoRow, column: &str) -> Result<Self, StoreError> {
        row.int(column)
    }
}

/// Flags are stored as integers (0 or 1) on both databases.
impl Column for bool {
    fn read(row: &impl CampoRow, column: &str) -> Result<Self, StoreError> {
        Ok(row.int(column)? != 0)
    }
}

impl<T: Column> Column for Option<T> {
    fn read(row: &impl CampoRow, column: &str) -> Result<Self, StoreError> {
        if row.is_null(column)? { Ok(None) } else { T::read(row, column).map(Some) }
    }
}

/// A domain type stored as its text.
macro_rules! parsed_column {
    ($($ty:ty),+) => {$(
        impl Column for $ty {
            fn read(row: &impl CampoRow, column: &str) -> Result<Self, StoreError> {
                <$ty>::try_from(row.text(column)?).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
            }
        }
    )+};
}
parsed_column!(StudyId, FormId, TeamId, Username, CaseKey, VersionName, PluginHash, Role, ReviewState, RescoreState, Timestamp);

/// A column that holds JSON text.
pub(crate) struct Json<T>(pub T);

impl<T: DeserializeOwned> Column for Json<T> {
    fn read(row: &impl CampoRow, column: &str) -> Result<Self, StoreError> {
        serde_json::from_str(&row.text(column)?).map(Json).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
    }
}
