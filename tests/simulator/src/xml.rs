//! A small namespace-aware element tree for reading requests, and escaping for writing
//! responses. Requests are schema-validated before they reach this tree, so lookups by local
//! name are unambiguous within one parent.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

pub const NS_SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const NS_TYPES: &str = "http://schemas.microsoft.com/exchange/services/2006/types";
pub const NS_MESSAGES: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
pub const NS_ERRORS: &str = "http://schemas.microsoft.com/exchange/services/2006/errors";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Element {
    pub namespace: String,
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Follows a path of local names, first match at each level.
    pub fn path(&self, names: &[&str]) -> Option<&Element> {
        let mut current = self;
        for name in names {
            current = current.child(name)?;
        }
        Some(current)
    }

    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Depth-first search for the first descendant with this local name.
    pub fn find(&self, name: &str) -> Option<&Element> {
        for c in &self.children {
            if c.name == name {
                return Some(c);
            }
            if let Some(found) = c.find(name) {
                return Some(found);
            }
        }
        None
    }
}

#[derive(Debug, thiserror::Error)]
#[error("malformed XML: {0}")]
pub struct ParseError(pub String);

/// Parses a document into a tree. Text is unescaped; whitespace-only text between elements
/// is dropped (EWS has no mixed content where it would matter).
pub fn parse(input: &[u8]) -> Result<Element, ParseError> {
    let mut reader = NsReader::from_reader(input);
    let mut stack: Vec<Element> = Vec::new();
    let mut buf = Vec::new();
    loop {
        let (resolved, event) = reader
            .read_resolved_event_into(&mut buf)
            .map_err(|e| ParseError(e.to_string()))?;
        match event {
            event @ (Event::Start(_) | Event::Empty(_)) => {
                let is_empty = matches!(event, Event::Empty(_));
                let (Event::Start(start) | Event::Empty(start)) = event else {
                    unreachable!("matched above")
                };
                let namespace = match resolved {
                    ResolveResult::Bound(ns) => String::from_utf8_lossy(ns.as_ref()).into_owned(),
                    _ => String::new(),
                };
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                let mut attributes = Vec::new();
                for attr in start.attributes() {
                    let attr = attr.map_err(|e| ParseError(e.to_string()))?;
                    let key = String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned();
                    if attr.key.as_ref().starts_with(b"xmlns") {
                        continue;
                    }
                    let value = attr
                        .decode_and_unescape_value(reader.decoder())
                        .map_err(|e| ParseError(e.to_string()))?
                        .into_owned();
                    attributes.push((key, value));
                }
                let element = Element {
                    namespace,
                    name,
                    attributes,
                    ..Element::default()
                };
                if is_empty {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(element),
                        None => return Ok(element),
                    }
                } else {
                    stack.push(element);
                }
            }
            Event::End(_) => {
                let done = stack
                    .pop()
                    .ok_or_else(|| ParseError("unbalanced end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok(done),
                }
            }
            Event::Text(text) => {
                if let Some(current) = stack.last_mut() {
                    let decoded = text.decode().map_err(|e| ParseError(e.to_string()))?;
                    let unescaped = quick_xml::escape::unescape(&decoded)
                        .map_err(|e| ParseError(e.to_string()))?;
                    current.text.push_str(&unescaped);
                }
            }
            Event::GeneralRef(reference) => {
                if let Some(current) = stack.last_mut() {
                    let name = reference.decode().map_err(|e| ParseError(e.to_string()))?;
                    if let Some(ch) = reference
                        .resolve_char_ref()
                        .map_err(|e| ParseError(e.to_string()))?
                    {
                        current.text.push(ch);
                    } else {
                        let entity = quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| ParseError(format!("unknown entity &{name};")))?;
                        current.text.push_str(entity);
                    }
                }
            }
            Event::CData(cdata) => {
                if let Some(current) = stack.last_mut() {
                    current
                        .text
                        .push_str(&String::from_utf8_lossy(cdata.as_ref()));
                }
            }
            Event::DocType(_) => return Err(ParseError("DTDs are not allowed".into())),
            Event::Eof => return Err(ParseError("unexpected end of document".into())),
            _ => {}
        }
        buf.clear();
    }
}

/// Escapes text and attribute values. Carriage returns are written as a character
/// reference so they survive XML line-end normalisation.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_namespaces_text_and_entities() {
        let doc = br#"<?xml version="1.0"?><a:Root xmlns:a="urn:a" xmlns="urn:d"><Child Id="x&amp;y">1 &lt; 2 &#x41;</Child><a:Empty/></a:Root>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.namespace, "urn:a");
        let child = root.child("Child").unwrap();
        assert_eq!(child.namespace, "urn:d");
        assert_eq!(child.attr("Id"), Some("x&y"));
        assert_eq!(child.text, "1 < 2 A");
        assert!(root.child("Empty").is_some());
    }

    #[test]
    fn refuses_doctype_and_truncation() {
        assert!(parse(b"<!DOCTYPE x><x/>").is_err());
        assert!(parse(b"<x><y></y>").is_err());
    }

    #[test]
    fn escapes_markup_and_carriage_returns() {
        assert_eq!(escape("a<b>&\"'\r"), "a&lt;b&gt;&amp;&quot;&apos;&#xD;");
    }
}
