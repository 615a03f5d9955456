//! Texts people read, Spanish first, and the languages Campo's own words are written in.

use serde::{Deserialize, Serialize};

/// A text in Spanish (Campo's first language) and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Text {
    pub es: String,
    pub en: String,
}

impl Text {
    pub fn new(es: impl Into<String>, en: impl Into<String>) -> Self {
        Text { es: es.into(), en: en.into() }
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Es => &self.es,
            Lang::En => &self.en,
        }
    }
}

/// A language Campo's own words (pages, messages, export headers) are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Es,
    En,
}

impl Lang {
    /// `es` or `en`, exactly.
    pub fn parse(value: &str) -> Option<Lang> {
        match value {
            "es" => Some(Lang::Es),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language a page's `?lang=` asks for: `en` (any case) is English, anything else Spanish.
    pub fn from_query(query: Option<&str>) -> Lang {
        match query {
            Some(code) if code.trim().eq_ignore_ascii_case("en") => Lang::En,
            _ => Lang::Es,
        }
    }

    /// The BCP 47 code, for `<html lang>` and `?lang=`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
        }
    }

    /// The other language, for a page's language switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::Es => Lang::En,
            Lang::En => Lang::Es,
        }
    }

    /// Picks one of two words: `lang.pick_of("Sí", "Yes")`.
    pub fn pick_of<'a>(self, es: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Es => es,
            Lang::En => en,
        }
    }

    pub fn pick<'a>(self, text: &'a Text) -> &'a str {
        text.get(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_only_when_asked_for() {
        assert_eq!(Lang::from_query(Some("en")), Lang::En);
        assert_eq!(Lang::from_query(Some("EN")), Lang::En);
        assert_eq!(Lang::from_query(Some("es")), Lang::Es);
        assert_eq!(Lang::from_query(Some("fr")), Lang::Es);
        assert_eq!(Lang::from_query(None), Lang::Es);
    }
}

/// `text` cut to at most `max_chars` characters, with "…" where it was cut: an error quotes a
/// value, never echoes a huge one back.
pub fn clip(text: &str, max_chars: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        None => std::borrow::Cow::Borrowed(text),
        Some((end, _)) => std::borrow::Cow::Owned(format!("{}…", &text[..end])),
    }
}

#[cfg(test)]
mod clip_tests {
    #[test]
    fn long_values_are_cut_on_a_character_boundary() {
        assert_eq!(super::clip("corto", 100), "corto");
        assert_eq!(super::clip("ñandú", 3), "ñan…");
        assert_eq!(super::clip(&"x".repeat(1_000_000), 100).chars().count(), 101);
    }
}
