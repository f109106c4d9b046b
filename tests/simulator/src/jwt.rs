//! Compact JWS (RS256/PS256) signing and verification with openssl.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private, Public};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Signer, Verifier};
use serde_json::Value;

pub fn b64url(bytes: &[u8]) -> String {
    B64URL.encode(bytes)
}

/// A token split into its parts; nothing verified yet.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub header: Value,
    pub claims: Value,
    pub signing_input: String,
    pub signature: Vec<u8>,
}

pub fn parse(token: &str) -> Option<Parsed> {
    let mut parts = token.split('.');
    let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header = serde_json::from_slice(&B64URL.decode(h).ok()?).ok()?;
    let claims = serde_json::from_slice(&B64URL.decode(c).ok()?).ok()?;
    Some(Parsed {
        header,
        claims,
        signing_input: format!("{h}.{c}"),
        signature: B64URL.decode(s).ok()?,
    })
}

/// Verifies the signature with the algorithm named in the header (RS256 or PS256 only).
pub fn verify(parsed: &Parsed, key: &PKey<Public>) -> bool {
    let alg = parsed.header.get("alg").and_then(Value::as_str);
    let pss = match alg {
        Some("RS256") => false,
        Some("PS256") => true,
        _ => return false,
    };
    let Ok(mut verifier) = Verifier::new(MessageDigest::sha256(), key) else {
        return false;
    };
    if pss
        && (verifier.set_rsa_padding(Padding::PKCS1_PSS).is_err()
            || verifier
                .set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)
                .is_err())
    {
        return false;
    }
    verifier.update(parsed.signing_input.as_bytes()).is_ok()
        && verifier.verify(&parsed.signature).unwrap_or(false)
}

/// Signs RS256 with `kid` and `x5t` in the header.
pub fn sign_rs256(claims: &Value, key: &PKey<Private>, kid: &str) -> String {
    let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "kid": kid, "x5t": kid});
    let input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let mut signer = Signer::new(MessageDigest::sha256(), key).expect("RSA signer");
    signer.update(input.as_bytes()).expect("sign");
    let signature = signer.sign_to_vec().expect("sign");
    format!("{input}.{}", b64url(&signature))
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::rsa::Rsa;

    #[test]
    fn signs_and_verifies_and_rejects_tampering() {
        let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
        let public = PKey::public_key_from_pem(&key.public_key_to_pem().unwrap()).unwrap();
        let token = sign_rs256(&serde_json::json!({"a": 1}), &key, "k1");
        let parsed = parse(&token).unwrap();
        assert!(verify(&parsed, &public));
        assert_eq!(parsed.header["kid"], "k1");
        let mut tampered = parsed.clone();
        tampered.signing_input.push('x');
        assert!(!verify(&tampered, &public));
        assert!(parse("a.b").is_none());
    }
}
