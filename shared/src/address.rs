//! What counts as an e-mail address wherever Roombook takes one (an attendee, the mailbox a
//! connection check opens): one rule, for the server and the browser alike.

/// `local@domain.tld`: something before the `@`, a dot after it, no spaces, at most 254
/// characters (RFC 5321's limit on a path). Exchange decides whether the mailbox exists.
pub fn looks_like_address(s: &str) -> bool {
    let s = s.trim();
    s.len() <= 254
        && !s.contains(char::is_whitespace)
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_told_from_names_and_nonsense() {
        assert!(looks_like_address("alice@contoso.example"));
        assert!(looks_like_address(" alice@contoso.example "), "trimmed");
        assert!(!looks_like_address("alice"));
        assert!(!looks_like_address("Okafor"));
        assert!(!looks_like_address("al ice@contoso.example"));
        assert!(!looks_like_address("@contoso.example"));
        assert!(!looks_like_address("alice@localhost"));
        assert!(!looks_like_address("a@b@contoso.example"));
        let long = format!("{}@contoso.example", "a".repeat(250));
        assert!(!looks_like_address(&long));
    }
}
