//! A certificate authority generated at start, and the server certificate it signs for
//! `localhost`, `*.vault.localhost` and `127.0.0.1`. Clients trust the exported CA.

use std::sync::Arc;

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509, X509Builder, X509NameBuilder};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub struct Authority {
    pub ca_pem: String,
    pub server_config: Arc<rustls::ServerConfig>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot create the test certificate authority: {0}")]
pub struct TlsError(String);

fn err<E: std::fmt::Display>(e: E) -> TlsError {
    TlsError(e.to_string())
}

fn builder(
    subject: &str,
    issuer: Option<&X509>,
    key: &PKey<Private>,
) -> Result<X509Builder, TlsError> {
    let mut name = X509NameBuilder::new().map_err(err)?;
    name.append_entry_by_text("CN", subject).map_err(err)?;
    let name = name.build();
    let mut b = X509Builder::new().map_err(err)?;
    b.set_version(2).map_err(err)?;
    let mut serial = BigNum::new().map_err(err)?;
    serial.rand(64, MsbOption::MAYBE_ZERO, false).map_err(err)?;
    let serial = serial.to_asn1_integer().map_err(err)?;
    b.set_serial_number(&serial).map_err(err)?;
    b.set_subject_name(&name).map_err(err)?;
    match issuer {
        Some(ca) => b.set_issuer_name(ca.subject_name()).map_err(err)?,
        None => b.set_issuer_name(&name).map_err(err)?,
    }
    b.set_pubkey(key).map_err(err)?;
    let not_before = Asn1Time::days_from_now(0).map_err(err)?;
    let not_after = Asn1Time::days_from_now(30).map_err(err)?;
    b.set_not_before(&not_before).map_err(err)?;
    b.set_not_after(&not_after).map_err(err)?;
    Ok(b)
}

fn new_key() -> Result<PKey<Private>, TlsError> {
    PKey::from_rsa(Rsa::generate(2048).map_err(err)?).map_err(err)
}

static SHARED: std::sync::OnceLock<Result<Arc<Authority>, String>> = std::sync::OnceLock::new();

impl Authority {
    /// One authority per process: generating RSA keys is the slowest part of a start, and
    /// tests start many simulators.
    pub fn shared() -> Result<Arc<Authority>, TlsError> {
        SHARED
            .get_or_init(|| Authority::generate().map(Arc::new).map_err(|e| e.0))
            .clone()
            .map_err(TlsError)
    }

    pub fn generate() -> Result<Authority, TlsError> {
        let ca_key = new_key()?;
        let mut ca = builder("Roombook simulator test CA", None, &ca_key)?;
        ca.append_extension(
            BasicConstraints::new()
                .critical()
                .ca()
                .build()
                .map_err(err)?,
        )
        .map_err(err)?;
        ca.append_extension(
            KeyUsage::new()
                .critical()
                .key_cert_sign()
                .crl_sign()
                .build()
                .map_err(err)?,
        )
        .map_err(err)?;
        ca.sign(&ca_key, MessageDigest::sha256()).map_err(err)?;
        let ca = ca.build();

        let key = new_key()?;
        let mut leaf = builder("localhost", Some(&ca), &key)?;
        let san = SubjectAlternativeName::new()
            .dns("localhost")
            .dns("vault.localhost")
            .dns("*.vault.localhost")
            .dns("login.localhost")
            .ip("127.0.0.1")
            .build(&leaf.x509v3_context(Some(&ca), None))
            .map_err(err)?;
        leaf.append_extension(san).map_err(err)?;
        leaf.append_extension(ExtendedKeyUsage::new().server_auth().build().map_err(err)?)
            .map_err(err)?;
        leaf.sign(&ca_key, MessageDigest::sha256()).map_err(err)?;
        let leaf = leaf.build();

        let chain = vec![
            CertificateDer::from(leaf.to_der().map_err(err)?),
            CertificateDer::from(ca.to_der().map_err(err)?),
        ];
        let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            key.private_key_to_pkcs8().map_err(err)?,
        ));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(err)?
            .with_no_client_auth()
            .with_single_cert(chain, private)
            .map_err(err)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Authority {
            ca_pem: String::from_utf8(ca.to_pem().map_err(err)?).map_err(err)?,
            server_config: Arc::new(config),
        })
    }
}
