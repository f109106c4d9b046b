//! One-time messages from a form handler to the page it redirects to ("flash").
//!
//! A page never shows a sentence taken from its URL: anyone can write a link. A refused form's
//! reason (and what was typed, which is no business of the address bar, the history or a
//! proxy's log either) travels in a short-lived HttpOnly cookie instead. The cookie names the
//! page it is for and carries the session's CSRF token, so it is shown only on that page, only
//! to that session, and only once: reading it clears it.

/// The cookie's name.
pub const COOKIE: &str = "roombook_flash";

/// How long a flash waits for its page, in seconds.
pub const MAX_AGE_SECONDS: i64 = 120;

/// The cookie's value: for `session_csrf`'s session, on `path`, the non-empty `fields`.
/// Form-urlencoded, so it needs no quoting in a cookie (no spaces, commas or semicolons).
pub fn encode(session_csrf: &str, path: &str, fields: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    out.append_pair("_s", session_csrf);
    out.append_pair("_p", path);
    for (key, value) in fields.iter().filter(|(_, v)| !v.is_empty()) {
        out.append_pair(key, value);
    }
    out.finish()
}

/// The fields of a cookie value, if it was made for this session and this page.
pub fn decode(value: &str, session_csrf: &str, path: &str) -> Option<Vec<(String, String)>> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(value.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let owner = get("_s")?;
    if session_csrf.is_empty() || !same(owner, session_csrf) || get("_p")? != path {
        return None;
    }
    Some(
        pairs
            .into_iter()
            .filter(|(k, _)| !k.starts_with('_'))
            .collect(),
    )
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The flash cookie's value in a `Cookie` request header, if any.
pub fn in_cookie_header(header: &str) -> Option<&str> {
    header
        .split(';')
        .find_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .filter(|v| !v.is_empty())
}

/// What a page received: look a field up by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Flash(pub Vec<(String, String)>);

impl Flash {
    pub fn get(&self, key: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some_and(|v| !v.is_empty())
    }
}

/// A refused booking form, handed back to the page it came from. The server answers the POST
/// with the form rendered again (422), so what was typed (a subject, a note) never goes into a
/// URL; the page reads it through its data, so hydration sees the same.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BookDraft {
    pub room: String,
    pub date: String,
    pub start: String,
    pub minutes: String,
    pub end: String,
    pub tz: String,
    pub subject: String,
    pub attendees: String,
    pub note: String,
    /// The idempotency key to send again (empty after "just taken": the next try is new).
    pub key: String,
    /// Why it was refused, as the server put it.
    pub error: String,
    /// The slot was just taken; `alternatives` are free rooms' ids (comma-separated).
    pub taken: bool,
    pub alternatives: String,
    /// The page the form was opened from (`day` for the day view), for its back link.
    #[serde(default)]
    pub from: String,
    /// A name that matched several people (`pick_for`), and the first of them as
    /// `(name, address)`: the form offers them to choose from.
    #[serde(default)]
    pub pick_for: String,
    #[serde(default)]
    pub picks: Vec<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flash_is_read_only_by_its_session_on_its_page() {
        let value = encode(
            "tok",
            "/admin/rooms",
            &[("error", "No; really, \"no\""), ("x", "")],
        );
        assert!(!value.contains(';') && !value.contains(' ') && !value.contains('"'));
        assert_eq!(
            decode(&value, "tok", "/admin/rooms"),
            Some(vec![("error".into(), "No; really, \"no\"".into())])
        );
        assert_eq!(decode(&value, "other", "/admin/rooms"), None);
        assert_eq!(decode(&value, "", "/admin/rooms"), None);
        assert_eq!(decode(&value, "tok", "/admin/people"), None);
        assert_eq!(decode("error=forged", "tok", "/admin/rooms"), None);
        let header = format!("tz=UTC; {COOKIE}={value}; other=1");
        assert_eq!(in_cookie_header(&header), Some(value.as_str()));
        assert_eq!(in_cookie_header("tz=UTC"), None);
    }
}
