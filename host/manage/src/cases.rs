//! A study's sample list: cases imported from CSV.
//!
//! The CSV has a header row. `key` is required (the case's key: a project folio, a household
//! code); `form`, `team` and `enumerator` (a username) are optional; every other column is an
//! attribute shown to the enumerator. The whole file is checked before anything is stored:
//! duplicate keys, unknown forms, teams or enumerators each give an error naming the row, and
//! a file with any error changes nothing.

use std::collections::{BTreeMap, HashMap};

use campo_domain::{CaseKey, FormId, StudyId, TeamId, Text};
use campo_store::{Store, StoreError, audit::Actor, management::NewCase};
use serde::Serialize;
use serde_json::Value;

/// One problem in a case file, with its row (1 = the header).
#[derive(Debug, Clone, Serialize)]
pub struct CaseFileProblem {
    pub row: usize,
    pub message: String,
    pub message_en: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CaseImportError {
    #[error("the case file has {} problem(s); nothing was imported", .0.len())]
    Invalid(Vec<CaseFileProblem>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub imported: usize,
}

/// The largest case file accepted (rows).
pub const MAX_CASES: usize = 100_000;

/// Checks a case file against the study and imports it in one transaction. `only_team`: the
/// importer is limited to this team, so every case must belong to it.
pub async fn import(store: &Store, study: &StudyId, csv_bytes: &[u8], only_team: Option<&TeamId>, actor: &Actor) -> Result<ImportReport, CaseImportError> {
    let detail = store.study(study).await?.ok_or_else(|| StoreError::Corrupt(format!("study {study} vanished")))?;
    let forms: Vec<FormId> = detail.forms.iter().map(|f| f.id.clone()).collect();
    let teams: Vec<TeamId> = store.teams(study).await?.into_iter().map(|t| t.id).collect();
    let people = store.active_person_ids().await?;
    let cases = parse(csv_bytes, &forms, &teams, &people, only_team).map_err(CaseImportError::Invalid)?;
    store.import_cases(study, &cases, actor).await?;
    Ok(ImportReport { imported: cases.len() })
}

fn problem(row: usize, text: Text) -> CaseFileProblem {
    CaseFileProblem { row, message: text.es, message_en: text.en }
}

/// Parses and checks a case file; every problem is reported, not only the first.
pub fn parse(
    csv_bytes: &[u8],
    forms: &[FormId],
    teams: &[TeamId],
    people: &HashMap<String, i64>,
    only_team: Option<&TeamId>,
) -> Result<Vec<NewCase>, Vec<CaseFileProblem>> {
    let text = std::str::from_utf8(csv_bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(csv_bytes))
        .map_err(|_| vec![problem(1, Text::new("El archivo no está en UTF-8", "The file is not UTF-8"))])?;
    let mut reader = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| vec![problem(1, Text::new(format!("Encabezado ilegible: {e}"), format!("Unreadable header: {e}")))])?
        .iter()
        .map(|h| h.to_lowercase())
        .collect();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let Some(key_col) = column("key") else {
        return Err(vec![problem(1, Text::new("Falta la columna «key»", "The \"key\" column is missing"))]);
    };
    let (form_col, team_col, enum_col) = (column("form"), column("team"), column("enumerator"));
    if form_col.is_none() && forms.len() != 1 {
        return Err(vec![problem(
            1,
            Text::new("Falta la columna «form»: el estudio tiene varios formularios", "The \"form\" column is missing: the study has several forms"),
        )]);
    }
    let mut problems = Vec::new();
    let mut cases = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        if i >= MAX_CASES {
            problems.push(problem(row, Text::new(format!("Más de {MAX_CASES} casos"), format!("More than {MAX_CASES} cases"))));
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(problem(row, Text::new(format!("Fila ilegible: {e}"), format!("Unreadable row: {e}"))));
                continue;
            }
        };
        let cell = |col: Option<usize>| col.and_then(|c| record.get(c)).filter(|v| !v.is_empty());
        let key = match cell(Some(key_col)).map(CaseKey::parse) {
            Some(Ok(key)) => key,
            _ => {
                problems.push(problem(row, Text::new("Clave de caso vacía o no válida", "Empty or invalid case key")));
                continue;
            }
        };
        if let Some(first) = seen.insert(key.as_str().to_string(), row) {
            problems.push(problem(
                row,
                Text::new(format!("La clave {key} se repite (ya está en la fila {first})"), format!("Key {key} is repeated (first on row {first})")),
            ));
            continue;
        }
        let form = match cell(form_col) {
            None => forms.first().cloned(),
            Some(f) => forms.iter().find(|known| known.as_str() == f).cloned(),
        };
        let Some(form) = form else {
            let f = cell(form_col).unwrap_or("");
            problems.push(problem(row, Text::new(format!("El formulario «{f}» no existe en el estudio"), format!("Form \"{f}\" is not in the study"))));
            continue;
        };
        let team = match cell(team_col) {
            None => None,
            Some(t) => match teams.iter().find(|known| known.as_str() == t) {
                Some(team) => Some(team.clone()),
                None => {
                    problems.push(problem(row, Text::new(format!("El equipo «{t}» no existe en el estudio"), format!("Team \"{t}\" is not in the study"))));
                    continue;
                }
            },
        };
        if let Some(own) = only_team
            && team.as_ref() != Some(own)
        {
            problems.push(problem(
                row,
                Text::new(format!("Solo puede importar casos del equipo {own}"), format!("You can only import cases of team {own}")),
            ));
            continue;
        }
        let assignee = match cell(enum_col) {
            None => None,
            Some(u) => match people.get(u) {
                Some(id) => Some(*id),
                None => {
                    problems.push(problem(row, Text::new(format!("No hay una persona activa «{u}»"), format!("There is no active person \"{u}\""))));
                    continue;
                }
            },
        };
        let mut attributes = BTreeMap::new();
        for (c, name) in headers.iter().enumerate() {
            if c != key_col && Some(c) != form_col && Some(c) != team_col && Some(c) != enum_col {
                attributes.insert(name.clone(), Value::String(record.get(c).unwrap_or("").to_string()));
            }
        }
        cases.push(NewCase { key, form, team, assignee, attributes: attributes.into_iter().collect() });
    }
    if cases.is_empty() && problems.is_empty() {
        problems.push(problem(1, Text::new("El archivo no tiene casos", "The file has no cases")));
    }
    if problems.is_empty() { Ok(cases) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (Vec<FormId>, Vec<TeamId>, HashMap<String, i64>) {
        let forms = vec![FormId::parse("proyecto").unwrap(), FormId::parse("beneficiario").unwrap()];
        let teams = vec![TeamId::parse("jalisco").unwrap(), TeamId::parse("zacatecas").unwrap()];
        let people = HashMap::from([("ana".to_string(), 7)]);
        (forms, teams, people)
    }

    #[test]
    fn a_good_file_becomes_cases_with_attributes() {
        let (forms, teams, people) = ids();
        let csv = "key,form,team,enumerator,municipio,monto\nJAL-001,proyecto,jalisco,ana,Tlaquepaque,120000\nZAC-002,proyecto,zacatecas,,Jerez,\n";
        let cases = parse(csv.as_bytes(), &forms, &teams, &people, None).unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].assignee, Some(7));
        assert_eq!(cases[0].attributes["municipio"], "Tlaquepaque");
        assert_eq!(cases[1].team.as_ref().unwrap().as_str(), "zacatecas");
        assert_eq!(cases[1].assignee, None);
    }

    #[test]
    fn every_problem_is_reported_with_its_row() {
        let (forms, teams, people) = ids();
        let csv = "key,form,team,enumerator\nA,proyecto,jalisco,ana\nA,proyecto,jalisco,ana\nB,proyecto,sonora,\nC,encuesta,jalisco,\nD,proyecto,jalisco,pedro\n";
        let problems = parse(csv.as_bytes(), &forms, &teams, &people, None).unwrap_err();
        let rows: Vec<usize> = problems.iter().map(|p| p.row).collect();
        assert_eq!(rows, vec![3, 4, 5, 6], "{problems:?}");
        assert!(problems[0].message.contains("se repite") && problems[0].message_en.contains("repeated"));
        assert!(problems[1].message_en.contains("sonora"));
    }

    #[test]
    fn a_team_limited_importer_imports_only_their_team() {
        let (forms, teams, people) = ids();
        let csv = "key,form,team\nA,proyecto,jalisco\nB,proyecto,zacatecas\n";
        let problems = parse(csv.as_bytes(), &forms, &teams, &people, Some(&teams[0])).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].row, 3);
    }

    #[test]
    fn files_without_keys_or_cases_are_refused() {
        let (forms, teams, people) = ids();
        assert!(parse(b"folio,team\n1,jalisco\n", &forms, &teams, &people, None).is_err());
        assert!(parse(b"key,form\n", &forms, &teams, &people, None).is_err());
        assert!(parse(b"key\nA\n", &forms, &teams, &people, None).is_err(), "two forms and no form column");
    }
}
