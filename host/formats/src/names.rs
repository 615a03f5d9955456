//! Variable names that Stata and SPSS accept: ASCII letters, digits and `_`, starting with a
//! letter, within the format's length, not a reserved word, and unique (compared without case,
//! as SPSS compares them). A path too long keeps its last segments, the part that tells columns
//! apart; the full path goes to the variable label and the codebook.

use std::collections::HashSet;

/// Stata: 32 characters; its reserved words.
pub const STATA: Rules = Rules {
    max: 32,
    reserved: &[
        "_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n", "_N", "_pi", "_pred", "_rc", "_skip",
        "str", "strL", "using", "with",
    ],
};

/// SPSS: 64 bytes; its reserved keywords.
pub const SPSS: Rules = Rules { max: 64, reserved: &["ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"] };

#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub max: usize,
    pub reserved: &'static [&'static str],
}

/// One valid, unique name per path, in order.
pub fn unique(paths: &[&str], rules: Rules) -> Vec<String> {
    let mut taken: HashSet<String> = HashSet::new();
    let mut names = Vec::with_capacity(paths.len());
    for path in paths {
        let mut base = shorten(path, rules.max);
        if rules.reserved.iter().any(|r| r.eq_ignore_ascii_case(&base)) || is_stata_type(&base) {
            base = format!("{}_", &base[..base.len().min(rules.max - 1)]);
        }
        let mut name = base.clone();
        let mut n = 2;
        while !taken.insert(name.to_ascii_lowercase()) {
            let suffix = format!("_{n}");
            name = format!("{}{suffix}", base[..base.len().min(rules.max - suffix.len())].trim_end_matches('_'));
            n += 1;
        }
        names.push(name);
    }
    names
}

/// `str1`…`str2045` are type names in Stata.
fn is_stata_type(name: &str) -> bool {
    name.strip_prefix("str").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The path's segments as name parts: letters without accents, anything else an underscore.
fn segments(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for ch in path.chars() {
        match ch {
            '/' | '.' | ':' | '-' | ' ' | '[' | ']' => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => {
                let plain = ascii(c);
                if plain == '_' && current.ends_with('_') {
                    continue;
                }
                current.push(plain);
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out.into_iter().map(|s| s.trim_matches('_').to_string()).filter(|s| !s.is_empty()).collect()
}

fn shorten(path: &str, max: usize) -> String {
    let parts = segments(path);
    let mut name = String::new();
    for part in parts.iter().rev() {
        let longer = if name.is_empty() { part.clone() } else { format!("{part}_{name}") };
        if longer.len() > max && !name.is_empty() {
            break;
        }
        name = longer;
    }
    if name.is_empty() {
        name = "v".into();
    }
    if !name.as_bytes()[0].is_ascii_alphabetic() {
        name = format!("v_{name}");
    }
    name.truncate(max);
    name.trim_end_matches('_').to_string()
}

fn ascii(c: char) -> char {
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' | '_' => c,
        'á' | 'à' | 'ä' | 'â' | 'ã' | 'å' => 'a',
        'Á' | 'À' | 'Ä' | 'Â' | 'Ã' | 'Å' => 'A',
        'é' | 'è' | 'ë' | 'ê' => 'e',
        'É' | 'È' | 'Ë' | 'Ê' => 'E',
        'í' | 'ì' | 'ï' | 'î' => 'i',
        'Í' | 'Ì' | 'Ï' | 'Î' => 'I',
        'ó' | 'ò' | 'ö' | 'ô' | 'õ' => 'o',
        'Ó' | 'Ò' | 'Ö' | 'Ô' | 'Õ' => 'O',
        'ú' | 'ù' | 'ü' | 'û' => 'u',
        'Ú' | 'Ù' | 'Ü' | 'Û' => 'U',
        'ñ' => 'n',
        'Ñ' => 'N',
        'ç' => 'c',
        'Ç' => 'C',
        _ => '_',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(paths: &[&str], rules: Rules, expect: &[&str]) {
        assert_eq!(unique(paths, rules), expect);
    }

    #[test]
    fn paths_become_valid_names() {
        check(&["seccion_a/edad", "score/autonomía_económica", "1st", "if", "str12"], STATA, &[
            "seccion_a_edad",
            "score_autonomia_economica",
            "v_1st",
            "if_",
            "str12_",
        ]);
    }

    #[test]
    fn long_paths_keep_their_last_segments_and_stay_unique() {
        let a = "modulo_de_preguntas_largas_1/pregunta_con_nombre_largo";
        let b = "modulo_de_preguntas_largas_2/pregunta_con_nombre_largo";
        let names = unique(&[a, b, "Pregunta_con_nombre_largo"], STATA);
        assert_eq!(names[0], "pregunta_con_nombre_largo");
        assert_eq!(names[1], "pregunta_con_nombre_largo_2");
        assert_eq!(names[2], "Pregunta_con_nombre_largo_3");
    }

    #[test]
    fn four_hundred_thirty_character_paths_give_unique_names() {
        let paths: Vec<String> = (0..400).map(|i| format!("grupo_{:02}/q_{:03}_{}", i % 7, i, "x".repeat(24))).collect();
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        for rules in [STATA, SPSS] {
            let names = unique(&refs, rules);
            let distinct: HashSet<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
            assert_eq!(distinct.len(), 400);
            assert!(names.iter().all(|n| n.len() <= rules.max && n.as_bytes()[0].is_ascii_alphabetic()));
        }
    }
}
