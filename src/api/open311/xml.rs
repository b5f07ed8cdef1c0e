//! The two formats of every Open311 route (`.json` and `.xml`) and the spec's XML shapes,
//! written by hand: the documents are small and fixed, so one escaping helper ([`escape`])
//! is all the XML this needs. Every answer, errors included, names `charset=utf-8`.
//!
//! Times are written in the spec's W3C form at whole seconds with the command centre's
//! offset (`2026-11-27T16:00:00+08:00`), which Python's
//! `strptime("%Y-%m-%dT%H:%M:%S%z")` (3.7 and later), `datetime.fromisoformat` and every
//! RFC 3339 parser read.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde::{Serialize, Serializer};

use crate::domain::Timestamp;
use crate::domain::clock::CENTRE_OFFSET_HOURS;

pub const JSON_TYPE: &str = "application/json; charset=utf-8";
pub const XML_TYPE: &str = "text/xml; charset=utf-8";

/// Which of a route's two forms was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Json,
    Xml,
}

impl Format {
    /// The format a path names by its extension (JSON unless it ends in `.xml`).
    pub fn of_path(path: &str) -> Self {
        if path.ends_with(".xml") {
            Self::Xml
        } else {
            Self::Json
        }
    }
}

/// An answer in `format`: `json` serialised, or the XML document `xml` builds.
pub fn respond(
    status: StatusCode,
    format: Format,
    json: &impl Serialize,
    xml: impl FnOnce(&mut Xml),
) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    match format {
        Format::Json => match serde_json::to_string(json) {
            Ok(body) => res.content_type(JSON_TYPE).body(body),
            Err(_) => HttpResponse::InternalServerError()
                .content_type(JSON_TYPE)
                .body(r#"[{"code":500,"description":"the answer could not be written"}]"#),
        },
        Format::Xml => {
            let mut doc = Xml::default();
            xml(&mut doc);
            res.content_type(XML_TYPE).body(doc.finish())
        }
    }
}

/// Text made safe for XML character data (`& < > " '`, and no control characters XML 1.0
/// forbids: they are dropped).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// An XML document under construction: the declaration, then elements in order.
pub struct Xml(String);

impl Default for Xml {
    fn default() -> Self {
        Self(String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"))
    }
}

impl Xml {
    pub fn open(&mut self, tag: &str) -> &mut Self {
        self.0.push('<');
        self.0.push_str(tag);
        self.0.push('>');
        self
    }

    pub fn close(&mut self, tag: &str) -> &mut Self {
        self.0.push_str("</");
        self.0.push_str(tag);
        self.0.push('>');
        self
    }

    /// `<tag>text</tag>`, or `<tag/>` when there is no value.
    pub fn field(&mut self, tag: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => {
                self.open(tag);
                self.0.push_str(&escape(v));
                self.close(tag)
            }
            None => {
                self.0.push('<');
                self.0.push_str(tag);
                self.0.push_str("/>");
                self
            }
        }
    }

    /// Character data inside the element just opened.
    pub fn content(&mut self, text: &str) -> &mut Self {
        self.0.push_str(&escape(text));
        self
    }

    pub fn text(&mut self, tag: &str, value: &str) -> &mut Self {
        self.field(tag, Some(value))
    }

    /// `<root><item>…</item>…</root>`, each item written by `write`.
    pub fn list<T>(
        &mut self,
        root: &str,
        item: &str,
        items: &[T],
        write: impl Fn(&mut Xml, &T),
    ) -> &mut Self {
        self.open(root);
        for i in items {
            self.open(item);
            write(self, i);
            self.close(item);
        }
        self.close(root)
    }

    pub fn finish(mut self) -> String {
        self.0.push('\n');
        self.0
    }
}

/// A time in the spec's W3C form: whole seconds at the command centre's offset.
pub fn w3c(t: Timestamp) -> String {
    let l = t.centre_local();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{:+03}:00",
        l.year(),
        u8::from(l.month()),
        l.day(),
        l.hour(),
        l.minute(),
        l.second(),
        CENTRE_OFFSET_HOURS
    )
}

/// `serialize_with` for a time on the wire.
pub fn w3c_time<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&w3c(*t))
}

/// `serialize_with` for an optional time on the wire.
pub fn w3c_opt<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.collect_str(&w3c(*t)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_forbidden_characters() {
        assert_eq!(
            escape("a<b>&\"c'\u{1}d\n"),
            "a&lt;b&gt;&amp;&quot;c&apos;d\n"
        );
    }

    #[test]
    fn times_are_whole_seconds_at_the_centre_offset() {
        let t = Timestamp::parse("2026-11-27T08:00:00.123456789Z").expect("time");
        assert_eq!(w3c(t), "2026-11-27T16:00:00+08:00");
    }

    #[test]
    fn empty_values_are_empty_elements() {
        let mut x = Xml::default();
        x.open("r").field("a", None).text("b", "1").close("r");
        assert!(x.finish().ends_with("<r><a/><b>1</b></r>\n"));
    }
}
