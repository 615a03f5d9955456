//! Writes a small table in every format into the directory given as the first argument, to
//! open with the readers by hand: `cargo run -p campo-formats --example sample -- DIR`.

use campo_formats::{Cell, Choice, Kind, Table, Variable, dta::DtaWriter, pq::ParquetWriter, sav::SavWriter, xlsx::Workbook};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).ok_or("give a directory")?);
    let var = |path: &str, label: &str, kind: Kind| Variable { path: path.into(), label: label.into(), kind };
    let table = Table {
        name: "muestra".into(),
        label: "Muestra de año".into(),
        variables: vec![
            var("submission_id", "ID", Kind::Text),
            var("datos/edad", "¿Cuántos años tiene?", Kind::Integer),
            var("datos/ingreso", "Ingreso mensual", Kind::Number),
            var("datos/pais", "País de nacimiento", Kind::Coded(vec![
                Choice { code: "peru".into(), label: "Perú".into() },
                Choice { code: "colombia".into(), label: "Colombia".into() },
            ])),
            var("datos/trabaja", "¿Trabaja?", Kind::Flag),
            var("datos/nacimiento", "Fecha de nacimiento", Kind::Date),
            var("received_at", "Recibida", Kind::DateTime),
            var("datos/historia", "Historia", Kind::Text),
        ],
    };
    let long = "ñ".repeat(1500);
    let rows: Vec<Vec<Cell>> = vec![
        vec![Cell::Text("a1"), Cell::Number(34.0), Cell::Number(276000.5), Cell::Text("peru"), Cell::Number(1.0), Cell::Date(7000), Cell::DateTime(1_764_000_000_123), Cell::Text("corta")],
        vec![Cell::Text("a2"), Cell::Missing, Cell::Missing, Cell::Text("colombia"), Cell::Number(0.0), Cell::Missing, Cell::Missing, Cell::Text(&long)],
        vec![Cell::Text("a3"), Cell::Number(-5.0), Cell::Number(1e10), Cell::Text("otro"), Cell::Missing, Cell::Date(-4000), Cell::DateTime(0), Cell::Missing],
    ];
    let mut dta = DtaWriter::new(table.clone(), true)?;
    let mut sav = SavWriter::new(table.clone(), true)?;
    let mut pq = ParquetWriter::new(&table, std::fs::File::create(dir.join("muestra.parquet"))?)?;
    let mut book = Workbook::new(std::fs::File::create(dir.join("muestra.xlsx"))?);
    book.start_sheet("muestra", &table.variables.iter().map(|v| v.path.clone()).collect::<Vec<_>>())?;
    for row in &rows {
        dta.push(row)?;
        sav.push(row)?;
        pq.push(row)?;
        book.row(row)?;
    }
    dta.finish(&mut std::fs::File::create(dir.join("muestra.dta"))?)?;
    sav.finish(&mut std::fs::File::create(dir.join("muestra.sav"))?)?;
    pq.finish()?;
    book.finish()?;
    Ok(())
}
