//! Renders the guide (docs/, an mdBook) into OUT_DIR/book, which `docs.rs` embeds so that
//! `campo serve` serves it at /docs with no internet and no files beside the binary.
//!
//! With mdbook available (`CAMPO_MDBOOK`, the project-local `.tools/bin/mdbook` that
//! `scripts/setup` installs, or `mdbook` on PATH) this is the real book, with its search. Without
//! it (a plain `cargo build` on a fresh checkout) the chapters are rendered with pulldown-cmark
//! into plain pages with the same table of contents and file names, so /docs always holds the
//! guide; the pages say how to get the full book.

use std::{
    env, fs,
    path::{Path, PathBuf},
    process::Command,
};

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..");
    let docs = root.join("docs");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("book");
    println!("cargo:rerun-if-env-changed=CAMPO_MDBOOK");
    // The enumerator app (web_app.rs) is embedded with include_dir too, which cannot tell cargo
    // to watch it.
    println!("cargo:rerun-if-changed={}", manifest.join("../static").display());
    for watched in ["src", "book.toml", "theme"] {
        if docs.join(watched).exists() {
            println!("cargo:rerun-if-changed={}", docs.join(watched).display());
        }
    }
    let _ = fs::remove_dir_all(&out);
    fs::create_dir_all(&out).expect("create OUT_DIR/book");
    if !docs.join("src/SUMMARY.md").exists() {
        fs::write(out.join("index.html"), page("Campo", "<p>This build of Campo has no guide (docs/ was missing).</p>", "", "")).expect("write");
        return;
    }
    if let Some(mdbook) = find_mdbook(&root) {
        let status = Command::new(&mdbook).arg("build").arg(&docs).arg("--dest-dir").arg(&out).status();
        match status {
            Ok(s) if s.success() => return,
            Ok(s) => println!("cargo:warning=mdbook build failed ({s}); embedding the plain rendering of the guide"),
            Err(e) => println!("cargo:warning=cannot run {}: {e}; embedding the plain rendering of the guide", mdbook.display()),
        }
        let _ = fs::remove_dir_all(&out);
        fs::create_dir_all(&out).expect("create OUT_DIR/book");
    }
    plain::render(&docs.join("src"), &out).expect("render the guide");
}

fn find_mdbook(root: &Path) -> Option<PathBuf> {
    if let Some(path) = env::var_os("CAMPO_MDBOOK") {
        return Some(PathBuf::from(path));
    }
    let local = root.join(".tools/bin/mdbook");
    if local.is_file() {
        return Some(local);
    }
    let on_path = env::var_os("PATH")?;
    env::split_paths(&on_path).map(|dir| dir.join("mdbook")).find(|p| p.is_file())
}

fn page(title: &str, body: &str, nav: &str, root: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"es\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Campo</title><style>{CSS}</style></head><body><nav><a href=\"{root}index.html\"><strong>Campo</strong></a>{nav}</nav>\
         <main>{body}<p class=\"note\">Plain rendering of the guide: build Campo after <code>scripts/setup</code> (which installs mdbook) for the full book with search.</p></main></body></html>\n"
    )
}

const CSS: &str = "body{font:16px/1.5 system-ui,sans-serif;margin:0;display:flex;flex-wrap:wrap}nav{flex:0 0 16rem;padding:1rem;background:#f4f4f0;min-height:100vh}\
nav ol{padding-left:1.1rem}main{flex:1 1 20rem;max-width:50rem;padding:1rem 2rem}pre{background:#f4f4f0;padding:.6rem;overflow-x:auto}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .4rem}.note{color:#666;font-size:.85em}";

mod plain {
    use std::{fs, io, path::Path};

    use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

    /// Renders every chapter named in SUMMARY.md to the same path with `.html`.
    pub fn render(src: &Path, out: &Path) -> io::Result<()> {
        let summary = fs::read_to_string(src.join("SUMMARY.md"))?;
        let chapters: Vec<(String, String)> = summary
            .lines()
            .filter_map(|line| {
                let start = line.find("](")?;
                let title_start = line[..start].rfind('[')?;
                let end = line[start + 2..].find(')')? + start + 2;
                let target = &line[start + 2..end];
                (!target.is_empty()).then(|| (line[title_start + 1..start].to_string(), target.to_string()))
            })
            .collect();
        for (i, (title, target)) in chapters.iter().enumerate() {
            let depth = target.matches('/').count();
            let root = "../".repeat(depth);
            let nav: String = format!(
                "<ol>{}</ol>",
                chapters.iter().map(|(t, p)| format!("<li><a href=\"{root}{}\">{}</a></li>", html_path(p), escape(t))).collect::<String>()
            );
            let markdown = fs::read_to_string(src.join(target))?;
            let mut body = String::new();
            let events: Vec<Event> = Parser::new_ext(&markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH)
                .map(|event| match event {
                    Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                        Event::Start(Tag::Link { link_type, dest_url: CowStr::from(html_link(&dest_url)), title, id })
                    }
                    other => other,
                })
                .collect();
            html::push_html(&mut body, with_heading_ids(events).into_iter());
            let file = out.join(html_path(target));
            fs::create_dir_all(file.parent().unwrap_or(out))?;
            fs::write(&file, super::page(title, &body, &nav, &root))?;
            if i == 0 {
                fs::write(out.join("index.html"), super::page(title, &body, &nav.replace(&format!("href=\"{root}"), "href=\""), ""))?;
            }
        }
        Ok(())
    }

    /// Gives every heading the id mdbook would (`## Schema: ErrorBody` → `schema-errorbody`), so
    /// links to sections work in the plain rendering too.
    fn with_heading_ids(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
        let mut out = Vec::with_capacity(events.len());
        let mut i = 0;
        while i < events.len() {
            if let Event::Start(Tag::Heading { level, id: None, classes, attrs }) = &events[i] {
                let end = (i..events.len()).find(|&j| matches!(events[j], Event::End(TagEnd::Heading(_)))).unwrap_or(events.len() - 1);
                let text: String = events[i..end]
                    .iter()
                    .filter_map(|e| match e {
                        Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                        _ => None,
                    })
                    .collect();
                let slug: String = text
                    .trim()
                    .chars()
                    .filter_map(|c| match c {
                        c if c.is_alphanumeric() || c == '_' || c == '-' => Some(c.to_lowercase().next().unwrap_or(c)),
                        c if c.is_whitespace() => Some('-'),
                        _ => None,
                    })
                    .collect();
                out.push(Event::Start(Tag::Heading { level: *level, id: Some(CowStr::from(slug)), classes: classes.clone(), attrs: attrs.clone() }));
                i += 1;
                continue;
            }
            out.push(events[i].clone());
            i += 1;
        }
        out
    }

    fn html_path(target: &str) -> String {
        target.strip_suffix(".md").map(|t| format!("{t}.html")).unwrap_or_else(|| target.to_string())
    }

    /// A relative link to a chapter (`x.md#part`) points at its page (`x.html#part`).
    fn html_link(dest: &str) -> String {
        if dest.contains("://") || dest.starts_with('#') || dest.starts_with('/') {
            return dest.to_string();
        }
        match dest.split_once('#') {
            Some((path, anchor)) => format!("{}#{anchor}", html_path(path)),
            None => html_path(dest),
        }
    }

    fn escape(text: &str) -> String {
        text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
    }
}
