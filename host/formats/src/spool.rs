//! Rows kept in an unnamed temporary file until a format that needs the row count or each text
//! column's width in its header can write them. A compact binary form: per row its length, then
//! per cell a tag and the value.

use std::{
    fs::File,
    io::{self, BufReader, BufWriter, Read, Seek, Write},
};

use super::Cell;

const MISSING: u8 = 0;
const NUMBER: u8 = 1;
const TEXT: u8 = 2;
const DATE: u8 = 3;
const DATETIME: u8 = 4;

/// Rows written so far, and what the header will need to know of them.
pub struct Spool {
    file: BufWriter<File>,
    buf: Vec<u8>,
    pub rows: u64,
    /// Per column: the longest text, in bytes.
    pub max_len: Vec<usize>,
    /// Per column: how many non-empty texts, and their bytes.
    pub texts: Vec<(u64, u64)>,
}

impl Spool {
    pub fn new(width: usize) -> io::Result<Spool> {
        Ok(Spool {
            file: BufWriter::with_capacity(256 * 1024, tempfile::tempfile()?),
            buf: Vec::with_capacity(1024),
            rows: 0,
            max_len: vec![0; width],
            texts: vec![(0, 0); width],
        })
    }

    pub fn push(&mut self, cells: &[Cell]) -> io::Result<()> {
        self.buf.clear();
        for (i, cell) in cells.iter().enumerate() {
            match cell {
                Cell::Missing => self.buf.push(MISSING),
                Cell::Number(n) => {
                    self.buf.push(NUMBER);
                    self.buf.extend_from_slice(&n.to_le_bytes());
                }
                Cell::Text(t) => {
                    self.buf.push(TEXT);
                    self.buf.extend_from_slice(&(t.len() as u32).to_le_bytes());
                    self.buf.extend_from_slice(t.as_bytes());
                    if let Some(max) = self.max_len.get_mut(i) {
                        *max = (*max).max(t.len());
                    }
                    if !t.is_empty()
                        && let Some((count, bytes)) = self.texts.get_mut(i)
                    {
                        *count += 1;
                        *bytes += t.len() as u64;
                    }
                }
                Cell::Date(d) => {
                    self.buf.push(DATE);
                    self.buf.extend_from_slice(&d.to_le_bytes());
                }
                Cell::DateTime(ms) => {
                    self.buf.push(DATETIME);
                    self.buf.extend_from_slice(&ms.to_le_bytes());
                }
            }
        }
        self.file.write_all(&(self.buf.len() as u32).to_le_bytes())?;
        self.file.write_all(&self.buf)?;
        self.rows += 1;
        Ok(())
    }

    /// The rows, from the first.
    pub fn reader(self) -> io::Result<SpoolReader> {
        let mut file = self.file.into_inner().map_err(|e| e.into_error())?;
        file.rewind()?;
        Ok(SpoolReader { file: BufReader::with_capacity(256 * 1024, file), buf: Vec::with_capacity(1024) })
    }
}

pub struct SpoolReader {
    file: BufReader<File>,
    buf: Vec<u8>,
}

impl SpoolReader {
    /// The next row's cells, or `None` after the last.
    pub fn next_row(&mut self) -> io::Result<Option<Cells<'_>>> {
        let mut len = [0u8; 4];
        match self.file.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        self.buf.resize(u32::from_le_bytes(len) as usize, 0);
        self.file.read_exact(&mut self.buf)?;
        Ok(Some(Cells { data: &self.buf }))
    }
}

/// One spooled row's cells, decoded as they are read.
pub struct Cells<'a> {
    data: &'a [u8],
}

impl<'a> Iterator for Cells<'a> {
    type Item = Cell<'a>;
    fn next(&mut self) -> Option<Cell<'a>> {
        let (&tag, rest) = self.data.split_first()?;
        let (cell, rest) = match tag {
            NUMBER => (Cell::Number(f64::from_le_bytes(rest[..8].try_into().ok()?)), &rest[8..]),
            TEXT => {
                let len = u32::from_le_bytes(rest[..4].try_into().ok()?) as usize;
                // Written from a `&str` just before: valid UTF-8.
                let text = std::str::from_utf8(&rest[4..4 + len]).unwrap_or("");
                (Cell::Text(text), &rest[4 + len..])
            }
            DATE => (Cell::Date(i32::from_le_bytes(rest[..4].try_into().ok()?)), &rest[4..]),
            DATETIME => (Cell::DateTime(i64::from_le_bytes(rest[..8].try_into().ok()?)), &rest[8..]),
            _ => (Cell::Missing, rest),
        };
        self.data = rest;
        Some(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_come_back_as_written() {
        let mut spool = Spool::new(5).unwrap();
        let row = [Cell::Missing, Cell::Number(1.5), Cell::Text("ñandú"), Cell::Date(-3), Cell::DateTime(1_700_000_000_123)];
        spool.push(&row).unwrap();
        spool.push(&[Cell::Text(""), Cell::Missing, Cell::Text("ab"), Cell::Missing, Cell::Missing]).unwrap();
        assert_eq!(spool.max_len[2], "ñandú".len());
        assert_eq!(spool.texts[2], (2, "ñandú".len() as u64 + 2));
        let mut reader = spool.reader().unwrap();
        assert_eq!(reader.next_row().unwrap().unwrap().collect::<Vec<_>>(), row);
        assert_eq!(reader.next_row().unwrap().unwrap().nth(2), Some(Cell::Text("ab")));
        assert!(reader.next_row().unwrap().is_none());
    }
}
