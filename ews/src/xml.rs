//! Minimal XML plumbing: an escaping writer for requests and a namespace-aware tree reader for
//! responses (built on quick-xml).
//!
//! Text policy: characters that XML 1.0 forbids (C0 controls other than tab, line feed and
//! carriage return, and U+FFFE/U+FFFF) are **rejected** with [`Error::InvalidXmlChar`]; nothing
//! is silently stripped. Callers who prefer stripping can run [`strip_invalid_xml_chars`] first.
//! Carriage returns are written as `&#xD;` so that they survive XML end-of-line normalisation.

use std::borrow::Cow;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

use crate::error::Error;

/// SOAP 1.1 envelope namespace.
pub const NS_SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// EWS messages namespace (`m:`).
pub const NS_MESSAGES: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
/// EWS types namespace (`t:`).
pub const NS_TYPES: &str = "http://schemas.microsoft.com/exchange/services/2006/types";
/// EWS errors namespace used in SOAP fault details (`e:`).
pub const NS_ERRORS: &str = "http://schemas.microsoft.com/exchange/services/2006/errors";

/// Deepest element nesting the reader accepts (protects against stack exhaustion).
pub const MAX_DEPTH: usize = 256;

/// Most elements plus attributes the tree reader builds from one document; past it,
/// [`parse`] stops with [`Error::TooManyXmlNodes`]. An element costs 120 bytes in the tree plus
/// its strings, so a body of tiny elements (`<a/>` is 4 bytes) would otherwise grow into ~50
/// times its size: a 64 MiB response into gigabytes. This bound keeps a tree under ~40 MiB
/// however the document is shaped. Real responses stay far below it: a 1,000-item FindItem
/// page with the calendar shape is ~25,000 nodes, a GetItem batch of 50 meetings with 100
/// attendees each ~50,000. (The largest response, GetUserAvailability, is read by the
/// streaming parser, which builds no tree.)
pub const MAX_NODES: usize = 150_000;

/// Most attributes (namespace declarations included) on one element. EWS elements carry a few;
/// the bound keeps the reader's duplicate-attribute check (quadratic per element) cheap.
pub const MAX_ATTRIBUTES: usize = 64;

/// Most namespace declarations in scope at once. Every name is resolved by a search through
/// them, so the bound keeps resolution linear in the document size.
pub const MAX_NAMESPACES_IN_SCOPE: usize = 256;

/// Whether `c` may appear in an XML 1.0 document.
pub fn is_xml10_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Removes every character XML 1.0 forbids. Borrowed when nothing had to go.
pub fn strip_invalid_xml_chars(s: &str) -> Cow<'_, str> {
    if s.chars().all(is_xml10_char) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|c| is_xml10_char(*c)).collect())
    }
}

fn escape_into(out: &mut String, s: &str, attribute: bool) -> Result<(), Error> {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\r' => out.push_str("&#xD;"),
            '\n' if attribute => out.push_str("&#xA;"),
            '\t' if attribute => out.push_str("&#x9;"),
            c if is_xml10_char(c) => out.push(c),
            c => {
                return Err(Error::InvalidXmlChar {
                    codepoint: u32::from(c),
                });
            }
        }
    }
    Ok(())
}

/// A small streaming XML writer. Element names are written as given (`t:Subject`); text and
/// attribute values are escaped. The first invalid character is remembered and reported by
/// [`XmlWriter::finish`], so request builders can write without threading `Result`s.
#[derive(Debug, Default)]
pub struct XmlWriter {
    buf: String,
    error: Option<Error>,
}

impl XmlWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    fn push_escaped(&mut self, s: &str, attribute: bool) {
        if self.error.is_none()
            && let Err(e) = escape_into(&mut self.buf, s, attribute)
        {
            self.error = Some(e);
        }
    }

    fn write_tag_open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.buf.push('<');
        self.buf.push_str(name);
        for (k, v) in attrs {
            self.buf.push(' ');
            self.buf.push_str(k);
            self.buf.push_str("=\"");
            self.push_escaped(v, true);
            self.buf.push('"');
        }
    }

    /// `<name attrs…>`
    pub fn open(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.write_tag_open(name, attrs);
        self.buf.push('>');
        self
    }

    /// `</name>`
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// `<name attrs…/>`
    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.write_tag_open(name, attrs);
        self.buf.push_str("/>");
        self
    }

    /// Escaped character data.
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.push_escaped(s, false);
        self
    }

    /// `<name attrs…>text</name>`
    pub fn leaf(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) -> &mut Self {
        self.open(name, attrs).text(text).close(name)
    }

    /// `<name>text</name>` when `text` is `Some`.
    pub fn leaf_opt(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.leaf(name, &[], t);
        }
        self
    }

    /// Raw, already well-formed markup.
    pub fn raw(&mut self, s: &str) -> &mut Self {
        self.buf.push_str(s);
        self
    }

    /// The document, or the first escaping error.
    pub fn finish(self) -> Result<String, Error> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.buf),
        }
    }
}

/// An attribute of a parsed element. `ns` is `None` for unprefixed attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Namespace URI, if the attribute was prefixed.
    pub ns: Option<String>,
    /// Local name.
    pub name: String,
    /// Unescaped value.
    pub value: String,
}

/// A parsed element: namespace URI, local name, attributes, child elements and the
/// concatenated character data directly inside it. Prefixes are resolved and forgotten.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// Namespace URI (`None` when unbound).
    pub ns: Option<String>,
    /// Local name.
    pub name: String,
    /// Attributes other than namespace declarations.
    pub attrs: Vec<Attribute>,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// Text directly inside this element (not trimmed).
    pub text: String,
}

impl Element {
    /// Whether this element is `{ns}name`.
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.name == name && self.ns.as_deref() == Some(ns)
    }

    /// First child `{ns}name`.
    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    /// All children `{ns}name`.
    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    /// Text of the first child `{ns}name`.
    pub fn child_text(&self, ns: &str, name: &str) -> Option<&str> {
        self.child(ns, name).map(|c| c.text.as_str())
    }

    /// Value of the unprefixed attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.is_none() && a.name == name)
            .map(|a| a.value.as_str())
    }

    /// Every descendant (self included), depth first.
    pub fn descendants(&self) -> Vec<&Element> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            out.push(e);
            stack.extend(e.children.iter().rev());
        }
        out
    }
}

fn resolve(r: ResolveResult<'_>, what: &str) -> Result<Option<String>, Error> {
    match r {
        ResolveResult::Bound(ns) => Ok(Some(String::from_utf8_lossy(ns.as_ref()).into_owned())),
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Unknown(p) => Err(Error::Xml(format!(
            "undeclared namespace prefix `{}` on {what}",
            String::from_utf8_lossy(&p)
        ))),
    }
}

fn xml_err(e: impl std::fmt::Display) -> Error {
    Error::Xml(e.to_string())
}

/// Parses a complete document into its root element. Accepts a UTF-8 byte-order mark,
/// any namespace prefixes and default namespaces. Rejects DTDs, undeclared prefixes,
/// non-UTF-8 input, nesting deeper than [`MAX_DEPTH`] and more than [`MAX_NODES`] elements and
/// attributes.
pub fn parse(input: &[u8]) -> Result<Element, Error> {
    parse_bounded(input, MAX_NODES)
}

/// [`parse`] with another bound on elements plus attributes.
pub fn parse_bounded(input: &[u8], max_nodes: usize) -> Result<Element, Error> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let text = std::str::from_utf8(input).map_err(|e| Error::Xml(format!("not UTF-8: {e}")))?;
    let mut reader = quick_xml::NsReader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut nodes = 0usize;
    let mut count = |n: usize| {
        nodes = nodes.saturating_add(n);
        if nodes > max_nodes {
            Err(Error::TooManyXmlNodes { limit: max_nodes })
        } else {
            Ok(())
        }
    };

    // Namespace declarations of each open element, and their sum.
    let mut declared: Vec<usize> = Vec::new();
    let mut in_scope = 0usize;

    loop {
        let (res, event) = reader.read_resolved_event().map_err(xml_err)?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if root.is_some() {
                    return Err(Error::Xml("content after the root element".into()));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(Error::Xml(format!("nesting deeper than {MAX_DEPTH}")));
                }
                count(1)?;
                let ns = resolve(res, "an element")?;
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                let mut attrs = Vec::new();
                let mut declarations = 0usize;
                for (i, a) in e.attributes().enumerate() {
                    if i >= MAX_ATTRIBUTES {
                        return Err(Error::Xml(format!(
                            "an element with more than {MAX_ATTRIBUTES} attributes"
                        )));
                    }
                    let a = a.map_err(xml_err)?;
                    let key = a.key;
                    if key.as_ref() == b"xmlns" || key.as_ref().starts_with(b"xmlns:") {
                        declarations += 1;
                        if in_scope + declarations > MAX_NAMESPACES_IN_SCOPE {
                            return Err(Error::Xml(format!(
                                "more than {MAX_NAMESPACES_IN_SCOPE} namespace declarations in scope"
                            )));
                        }
                        continue;
                    }
                    count(1)?;
                    let (ans, local) = reader.resolve_attribute(key);
                    let ans = match ans {
                        // An unprefixed attribute has no namespace, whatever the default.
                        _ if key.prefix().is_none() => None,
                        other => resolve(other, "an attribute")?,
                    };
                    attrs.push(Attribute {
                        ns: ans,
                        name: String::from_utf8_lossy(local.as_ref()).into_owned(),
                        value: a.unescape_value().map_err(xml_err)?.into_owned(),
                    });
                }
                let el = Element {
                    ns,
                    name,
                    attrs,
                    children: Vec::new(),
                    text: String::new(),
                };
                if matches!(event, Event::Empty(_)) {
                    attach(&mut stack, &mut root, el);
                } else {
                    stack.push(el);
                    declared.push(declarations);
                    in_scope += declarations;
                }
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| Error::Xml("unbalanced end tag".into()))?;
                in_scope -= declared.pop().unwrap_or(0);
                attach(&mut stack, &mut root, el);
            }
            Event::Text(t) => {
                let s = t.xml10_content().map_err(xml_err)?;
                push_text(&mut stack, &s)?;
            }
            Event::CData(t) => {
                let s = t.decode().map_err(xml_err)?;
                push_text(&mut stack, &s)?;
            }
            Event::GeneralRef(r) => {
                let c = if let Some(c) = r.resolve_char_ref().map_err(xml_err)? {
                    c.to_string()
                } else {
                    let name = r.decode().map_err(xml_err)?;
                    quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| Error::Xml(format!("unknown entity &{name};")))?
                        .to_string()
                };
                push_text(&mut stack, &c)?;
            }
            Event::DocType(_) => return Err(Error::Xml("DTDs are not accepted".into())),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(Error::Xml("unexpected end of document".into()));
    }
    root.ok_or_else(|| Error::Xml("no root element".into()))
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

fn push_text(stack: &mut [Element], s: &str) -> Result<(), Error> {
    match stack.last_mut() {
        Some(top) => {
            top.text.push_str(s);
            Ok(())
        }
        None if s.trim().is_empty() => Ok(()),
        None => Err(Error::Xml("text outside the root element".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_keeps_unicode() {
        let mut w = XmlWriter::new();
        w.leaf(
            "a",
            &[("x", "\"q\"\n\t<")],
            "a<b & c> \"d\" \r\n ü 😀 \u{FFFD}",
        );
        assert_eq!(
            w.finish().unwrap(),
            "<a x=\"&quot;q&quot;&#xA;&#x9;&lt;\">a&lt;b &amp; c&gt; \"d\" &#xD;\n ü 😀 \u{FFFD}</a>"
        );
    }

    #[test]
    fn rejects_forbidden_characters() {
        for bad in [
            "\u{0}", "a\u{1}b", "\u{B}", "\u{1F}", "\u{FFFE}", "\u{FFFF}",
        ] {
            let mut w = XmlWriter::new();
            w.leaf("a", &[], bad);
            assert!(
                matches!(w.finish(), Err(Error::InvalidXmlChar { .. })),
                "{bad:?}"
            );
        }
        let mut w = XmlWriter::new();
        w.empty("a", &[("v", "\u{8}")]);
        assert!(matches!(
            w.finish(),
            Err(Error::InvalidXmlChar { codepoint: 8 })
        ));
        assert_eq!(strip_invalid_xml_chars("a\u{0}b\u{FFFF}c"), "abc");
    }

    #[test]
    fn parses_any_prefix_default_namespace_and_bom() {
        let doc = "\u{FEFF}<?xml version=\"1.0\"?><x:Root xmlns:x=\"urn:a\" xmlns=\"urn:b\" a=\"1\" x:b=\"2\">\
                   <Child>t &amp; &#x41;&#66;<![CDATA[<c>]]></Child><!-- c --><x:Other/><y:Z xmlns:y=\"urn:a\"/></x:Root>";
        let root = parse(doc.as_bytes()).unwrap();
        assert!(root.is("urn:a", "Root"));
        assert_eq!(root.attr("a"), Some("1"));
        assert_eq!(root.attrs[1].ns.as_deref(), Some("urn:a"));
        assert_eq!(root.child_text("urn:b", "Child"), Some("t & AB<c>"));
        assert!(root.child("urn:a", "Other").is_some());
        assert_eq!(root.children_named("urn:a", "Z").count(), 1);
    }

    #[test]
    fn rejects_bad_documents() {
        for bad in [
            "",
            "<a>",
            "<a></b>",
            "<p:a/>",
            "<a/><b/>",
            "<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>",
            "<a>&unknown;</a>",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad}");
        }
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert!(parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn bounds_elements_and_attributes() {
        // Root + 3 children + 2 attributes = 6 nodes; namespace declarations do not count.
        let doc = br#"<r xmlns="urn:a" xmlns:p="urn:b"><c/><c p:x="1"/><c y="2"/></r>"#;
        assert!(parse_bounded(doc, 6).is_ok());
        assert!(matches!(
            parse_bounded(doc, 5),
            Err(Error::TooManyXmlNodes { limit: 5 })
        ));
        let flat = format!("<r>{}</r>", "<a/>".repeat(MAX_NODES));
        assert!(matches!(
            parse(flat.as_bytes()),
            Err(Error::TooManyXmlNodes { limit: MAX_NODES })
        ));
        let fits = format!("<r>{}</r>", "<a/>".repeat(MAX_NODES - 1));
        assert_eq!(
            parse(fits.as_bytes()).unwrap().children.len(),
            MAX_NODES - 1
        );
    }

    #[test]
    fn bounds_attributes_per_element_and_namespaces_in_scope() {
        let attrs = |n: usize| (0..n).map(|i| format!(" a{i}=\"v\"")).collect::<String>();
        assert!(parse(format!("<r{}/>", attrs(MAX_ATTRIBUTES)).as_bytes()).is_ok());
        assert!(parse(format!("<r{}/>", attrs(MAX_ATTRIBUTES + 1)).as_bytes()).is_err());
        // 200 nested elements with 2 declarations each: 400 in scope at the bottom.
        let decl = |i: usize| format!("<e xmlns:p{i}=\"urn:{i}\" xmlns:q{i}=\"urn:{i}\">");
        let nested: String = (0..200).map(decl).collect::<String>() + &"</e>".repeat(200);
        let err = parse(nested.as_bytes()).unwrap_err();
        assert!(
            err.to_string().contains("namespace declarations in scope"),
            "{err}"
        );
        // The same declarations on siblings are never in scope together.
        let siblings = format!(
            "<r>{}</r>",
            (0..200).map(|i| decl(i) + "</e>").collect::<String>()
        );
        assert!(parse(siblings.as_bytes()).is_ok());
    }
}
