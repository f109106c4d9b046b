//! Validation of every request envelope against the official EWS schema, with libxml2.
//!
//! Compiling `messages.xsd` + `types.xsd` takes a noticeable fraction of a second and the
//! libxml2 handles are not `Send`, so a small pool of threads each compiles the schema once
//! and then validates requests handed to it over a channel. The pool is process-wide: every
//! simulator in a test binary shares it.
//!
//! libxml2 cannot compile the official files as they are, so a patched copy is written to a
//! temporary directory:
//! 1. `types.xsd` imports the XML namespace without a location: a local schema declaring
//!    `xml:lang` is supplied.
//! 2. `ArrayOfTransitionsType` lists the substitution-group members of `t:Transition` next to
//!    the head, which libxml2 rejects as non-deterministic (Unique Particle Attribution). It is
//!    reduced to the head, which still accepts every member through the substitution group.
//!
//! The envelope itself is checked with a minimal SOAP 1.1 schema: header entries and the
//! single body element must be valid EWS elements (`processContents="strict"`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};

use tokio::sync::oneshot;

const SOAP_ENVELOPE_XSD: &str = r###"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://schemas.xmlsoap.org/soap/envelope/" elementFormDefault="qualified">
  <xs:element name="Envelope"><xs:complexType><xs:sequence>
    <xs:element name="Header" minOccurs="0"><xs:complexType><xs:sequence>
      <xs:any namespace="##other" processContents="strict" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence><xs:anyAttribute namespace="##other" processContents="lax"/></xs:complexType></xs:element>
    <xs:element name="Body"><xs:complexType><xs:sequence>
      <xs:any namespace="##other" processContents="strict" minOccurs="1" maxOccurs="1"/>
    </xs:sequence><xs:anyAttribute namespace="##other" processContents="lax"/></xs:complexType></xs:element>
  </xs:sequence><xs:anyAttribute namespace="##other" processContents="lax"/></xs:complexType></xs:element>
</xs:schema>"###;

const XML_NAMESPACE_XSD: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.w3.org/XML/1998/namespace"><xs:attribute name="lang" type="xs:language"/></xs:schema>"#;

const ROOT_XSD: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:roombook:simulator:schema-root">
  <xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="xml.xsd"/>
  <xs:import namespace="http://schemas.xmlsoap.org/soap/envelope/" schemaLocation="soap-envelope.xsd"/>
  <xs:import namespace="http://schemas.microsoft.com/exchange/services/2006/messages" schemaLocation="messages.xsd"/>
</xs:schema>"#;

/// The default location of the official schema: `shared/ews-schema` beside the repository.
pub fn default_schema_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("ROOMBOOK_EWS_SCHEMA_DIR") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ews-schema")
}

/// Where a request broke the schema, in the terms Exchange reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub line: u32,
    pub position: u32,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("EWS schema not found in {0} (set ROOMBOOK_EWS_SCHEMA_DIR)")]
    Missing(PathBuf),
    #[error("cannot prepare the patched schema copy: {0}")]
    Io(#[from] std::io::Error),
    #[error("libxml2 could not compile the EWS schema: {0}")]
    Compile(String),
    #[error("the patch for ArrayOfTransitionsType no longer applies to types.xsd")]
    PatchDrifted,
}

type Job = (Arc<[u8]>, oneshot::Sender<Result<(), Violation>>);

pub struct SchemaValidator {
    workers: Vec<Mutex<mpsc::Sender<Job>>>,
    next: AtomicUsize,
    /// Keeps the patched copy alive as long as the pool.
    _dir: tempfile::TempDir,
}

static GLOBAL: OnceLock<Result<Arc<SchemaValidator>, String>> = OnceLock::new();

impl SchemaValidator {
    /// The process-wide validator, compiled from `schema_dir` on first use.
    pub fn global(schema_dir: &Path) -> Result<Arc<SchemaValidator>, String> {
        GLOBAL
            .get_or_init(|| {
                Self::start(schema_dir)
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }

    fn start(schema_dir: &Path) -> Result<SchemaValidator, SchemaError> {
        let dir = prepare_patched_copy(schema_dir)?;
        let root = dir.path().join("root.xsd");
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .clamp(1, 8);
        let mut workers = Vec::new();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
        for index in 0..threads {
            let (tx, rx) = mpsc::channel::<Job>();
            let root = root.clone();
            let ready = ready_tx.clone();
            std::thread::Builder::new()
                .name(format!("ews-schema-{index}"))
                .spawn(move || validator_thread(&root, rx, ready))?;
            workers.push(Mutex::new(tx));
        }
        drop(ready_tx);
        for _ in 0..threads {
            match ready_rx.recv() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(SchemaError::Compile(e)),
                Err(_) => return Err(SchemaError::Compile("validator thread died".into())),
            }
        }
        Ok(SchemaValidator {
            workers,
            next: AtomicUsize::new(0),
            _dir: dir,
        })
    }

    /// Validates one request envelope.
    pub async fn validate(&self, document: Arc<[u8]>) -> Result<(), Violation> {
        let (tx, rx) = oneshot::channel();
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.workers.len();
        let sent = self.workers[index]
            .lock()
            .map(|sender| sender.send((document, tx)).is_ok())
            .unwrap_or(false);
        if !sent {
            return Err(internal_violation());
        }
        rx.await.unwrap_or_else(|_| Err(internal_violation()))
    }
}

fn internal_violation() -> Violation {
    Violation {
        line: 0,
        position: 0,
        message: "The schema validator is not available.".into(),
    }
}

fn validator_thread(
    root: &Path,
    jobs: mpsc::Receiver<Job>,
    ready: mpsc::Sender<Result<(), String>>,
) {
    use libxml::parser::Parser;
    use libxml::schemas::{SchemaParserContext, SchemaValidationContext};

    let mut schema_parser = SchemaParserContext::from_file(&root.to_string_lossy());
    let mut context = match SchemaValidationContext::from_parser(&mut schema_parser) {
        Ok(context) => context,
        Err(errors) => {
            let text = errors
                .iter()
                .filter_map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ");
            let _ = ready.send(Err(text));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    drop(ready);
    let parser = Parser::default();
    for (document, reply) in jobs {
        let outcome = match parser.parse_string(&*document) {
            Err(e) => Err(Violation {
                line: 1,
                position: 1,
                message: format!("The request is not well-formed XML: {e:?}"),
            }),
            Ok(doc) => context.validate_document(&doc).map_err(|errors| {
                let first = errors.into_iter().next();
                Violation {
                    line: first.as_ref().and_then(|e| e.line).unwrap_or(0).max(0) as u32,
                    position: first.as_ref().and_then(|e| e.col).unwrap_or(0).max(0) as u32,
                    message: first
                        .and_then(|e| e.message)
                        .map(|m| m.trim().to_string())
                        .unwrap_or_else(|| "The request failed schema validation.".into()),
                }
            }),
        };
        let _ = reply.send(outcome);
    }
}

const TRANSITIONS_FROM: &str = r#"<xs:element ref="t:AbsoluteDateTransition" minOccurs="0" maxOccurs="unbounded" />
            <xs:element ref="t:RecurringDayTransition" minOccurs="0" maxOccurs="unbounded" />
            <xs:element ref="t:RecurringDateTransition" minOccurs="0" maxOccurs="unbounded" />
            <xs:element ref="t:Transition" minOccurs="0" maxOccurs="unbounded" />"#;
const TRANSITIONS_TO: &str =
    r#"<xs:element ref="t:Transition" minOccurs="0" maxOccurs="unbounded" />"#;

fn prepare_patched_copy(schema_dir: &Path) -> Result<tempfile::TempDir, SchemaError> {
    let messages = schema_dir.join("messages.xsd");
    let types = schema_dir.join("types.xsd");
    if !messages.is_file() || !types.is_file() {
        return Err(SchemaError::Missing(schema_dir.to_path_buf()));
    }
    let dir = tempfile::Builder::new()
        .prefix("roombook-sim-schema-")
        .tempdir()?;
    std::fs::copy(&messages, dir.path().join("messages.xsd"))?;
    let types_text = std::fs::read_to_string(&types)?.replace("\r\n", "\n");
    if !types_text.contains(TRANSITIONS_FROM) {
        return Err(SchemaError::PatchDrifted);
    }
    let patched = types_text.replacen(TRANSITIONS_FROM, TRANSITIONS_TO, 1).replacen(
        r#"<xs:import namespace="http://www.w3.org/XML/1998/namespace"/>"#,
        r#"<xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="xml.xsd"/>"#,
        1,
    );
    std::fs::write(dir.path().join("types.xsd"), patched)?;
    std::fs::write(dir.path().join("xml.xsd"), XML_NAMESPACE_XSD)?;
    std::fs::write(dir.path().join("soap-envelope.xsd"), SOAP_ENVELOPE_XSD)?;
    std::fs::write(dir.path().join("root.xsd"), ROOT_XSD)?;
    Ok(dir)
}
