//! A small editor for the INI files of ODBC driver managers (`odbcinst.ini`, `odbc.ini`).
//!
//! It keeps every line it does not change, comments included, so a user's hand-made entries
//! survive an install and an uninstall of this driver.

use std::fmt::Write as _;

/// One `[section]` with its raw lines (key lines and comments), in file order.
#[derive(Debug, Clone, PartialEq)]
struct Section {
    name: String,
    lines: Vec<String>,
}

/// An INI document: lines before the first section, then the sections.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ini {
    preamble: Vec<String>,
    sections: Vec<Section>,
}

impl Ini {
    pub fn parse(text: &str) -> Self {
        let mut ini = Ini::default();
        for line in text.lines() {
            match section_header(line) {
                Some(name) => ini.sections.push(Section {
                    name: name.to_string(),
                    lines: Vec::new(),
                }),
                None => match ini.sections.last_mut() {
                    Some(section) => section.lines.push(line.to_string()),
                    None => ini.preamble.push(line.to_string()),
                },
            }
        }
        ini
    }

    /// Section names in file order.
    pub fn section_names(&self) -> Vec<&str> {
        self.sections.iter().map(|s| s.name.as_str()).collect()
    }

    /// The value of `key` in `section`; both match case-insensitively, as unixODBC does.
    pub fn get(&self, section: &str, key: &str) -> Option<&str> {
        let section = self.find(section)?;
        section.lines.iter().find_map(|line| {
            let (k, v) = line.split_once('=')?;
            (k.trim().eq_ignore_ascii_case(key) && !is_comment(line)).then(|| v.trim())
        })
    }

    /// Replaces `section` with exactly `entries` (or appends it), keeping its place in the file.
    pub fn set_section(&mut self, name: &str, entries: &[(String, String)]) {
        let lines = entries.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        match self
            .sections
            .iter_mut()
            .find(|s| s.name.eq_ignore_ascii_case(name))
        {
            Some(section) => {
                let trailing_blank = section.lines.last().is_some_and(|l| l.trim().is_empty());
                section.lines = lines;
                if trailing_blank {
                    section.lines.push(String::new());
                }
            }
            None => self.sections.push(Section {
                name: name.to_string(),
                lines,
            }),
        }
    }

    /// Removes `section`; answers whether it was there.
    pub fn remove_section(&mut self, name: &str) -> bool {
        let before = self.sections.len();
        self.sections.retain(|s| !s.name.eq_ignore_ascii_case(name));
        before != self.sections.len()
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for line in &self.preamble {
            let _ = writeln!(out, "{line}");
        }
        for (i, section) in self.sections.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let _ = writeln!(out, "[{}]", section.name);
            let end = section.lines.iter().rposition(|l| !l.trim().is_empty());
            for line in &section.lines[..end.map_or(0, |i| i + 1)] {
                let _ = writeln!(out, "{line}");
            }
        }
        out
    }

    fn find(&self, name: &str) -> Option<&Section> {
        self.sections
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }
}

fn section_header(line: &str) -> Option<&str> {
    let trimmed = line.trim();
    trimmed.strip_prefix('[')?.strip_suffix(']').map(str::trim)
}

fn is_comment(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.starts_with(';') || trimmed.starts_with('#')
}

/// The key/value entries of one section of a template, comments dropped.
pub fn template_entries(template: &str, section: &str) -> Option<Vec<(String, String)>> {
    let ini = Ini::parse(template);
    let found = ini.find(section)?;
    let entries = found
        .lines
        .iter()
        .filter(|l| !is_comment(l))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "; user comment\n[Other]\nDriver = /x.so\n\n[HubDB]\nDriver=/old.so\n";

    #[test]
    fn set_section_replaces_in_place_and_keeps_other_sections() {
        let mut ini = Ini::parse(FILE);
        ini.set_section("hubdb", &[("Driver".into(), "/new.so".into())]);
        assert_eq!(ini.get("HubDB", "driver"), Some("/new.so"));
        assert_eq!(ini.get("Other", "Driver"), Some("/x.so"));
        assert!(ini.render().starts_with("; user comment\n[Other]\n"));
    }

    #[test]
    fn remove_section_leaves_the_rest_untouched() {
        let mut ini = Ini::parse(FILE);
        assert!(ini.remove_section("HubDB"));
        assert!(!ini.remove_section("HubDB"));
        assert_eq!(ini.render(), "; user comment\n[Other]\nDriver = /x.so\n");
    }

    #[test]
    fn render_then_parse_is_stable() {
        let mut ini = Ini::parse(FILE);
        ini.set_section("New", &[("A".into(), "1".into())]);
        let once = ini.render();
        assert_eq!(Ini::parse(&once).render(), once);
        assert_eq!(ini.section_names(), ["Other", "HubDB", "New"]);
    }

    #[test]
    fn template_entries_skip_comments() {
        let entries = template_entries("[D]\n; why\nDriver = /a.so\nDontDLClose=1\n", "D").unwrap();
        assert_eq!(
            entries,
            [
                ("Driver".into(), "/a.so".into()),
                ("DontDLClose".into(), "1".into())
            ]
        );
    }
}
