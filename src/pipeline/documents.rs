//! Parsed and validated documents, cached by their text (the prepare stage's memory).
//!
//! Clients send the same few documents over and over, with different variables. Each distinct
//! text is parsed, measured and validated once (as Apollo Router keeps query plans); later
//! requests get a copy of the parsed document (async-graphql consumes it), its measured shape
//! and its validation verdict. The cache is bounded by the total length of the texts it holds;
//! texts longer than `MAX_CACHED_TEXT` are handled afresh every time, so a client sending endless
//! distinct documents costs bounded memory. `tenancy_document_cache_lookups_total{result}` counts hits.
//!
//! Validation is split the way the GraphQL spec splits it: the document's own rules (fields,
//! arguments, fragments, variable positions, literal values) depend on the text alone and run
//! once, in a validating copy of the schema that stops before executing anything; the values of
//! the variables are checked against their declared types for every request (`variables`). The
//! executing schema then skips the document rules (`ValidationMode::Fast`). One consequence: an
//! input object literal that mixes variables and literals (`input: {name: $n, logoUrl: 5}`) has
//! its literal parts checked when the argument is read (a field error with `BAD_USER_INPUT`),
//! not before the operation runs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use async_graphql::parser::parse_query;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument};
use async_graphql::{Request, Response, ServerError, ServerResult, Value};
use prometheus::IntCounter;
use quick_cache::Weighter;
use quick_cache::sync::Cache;

use super::variables::InputTypes;
use crate::error::AppError;
use crate::graphql::AppSchema;
use crate::graphql::limits::{self, Shape};
use crate::metrics::Metrics;

/// Longest document text kept in the cache, in bytes.
pub const MAX_CACHED_TEXT: usize = 16 * 1024;
/// Total length of the texts the cache holds, in bytes (parsed documents take several times as much).
const CACHE_TEXT_BYTES: u64 = 1024 * 1024;

/// Valid, or why not.
type Verdict = Result<(), Vec<ServerError>>;

/// One document, parsed and measured; its validation verdicts per operation name (only the
/// names it declares, and none: a client sending endless unknown names adds nothing to it).
pub struct Parsed {
    pub document: Arc<ExecutableDocument>,
    /// `Err`: a fragment that spreads itself.
    pub shape: ServerResult<Shape>,
    verdicts: Mutex<HashMap<Option<String>, Verdict>>,
    validator: AppSchema,
}

impl Parsed {
    /// Whether the document is valid for the request's operation name (validated once per name).
    pub async fn validated(&self, request: &Request) -> Verdict {
        let name = request.operation_name.clone();
        if let Some(verdict) = self.verdict(&name) {
            return verdict;
        }
        let verdict = validate(
            &self.validator,
            &self.document,
            name.as_deref(),
            &request.query,
        )
        .await;
        if self.declares(name.as_deref())
            && let Ok(mut verdicts) = self.verdicts.lock()
        {
            verdicts.insert(name, verdict.clone());
        }
        verdict
    }

    /// Whether `name` is no name or one of the document's operations.
    fn declares(&self, name: Option<&str>) -> bool {
        match (&self.document.operations, name) {
            (_, None) => true,
            (DocumentOperations::Multiple(operations), Some(name)) => operations.contains_key(name),
            (DocumentOperations::Single(_), Some(_)) => false,
        }
    }

    fn verdict(&self, name: &Option<String>) -> Option<Verdict> {
        self.verdicts.lock().ok()?.get(name).cloned()
    }
}

#[derive(Clone)]
struct ByTextLength;

impl Weighter<String, Arc<Parsed>> for ByTextLength {
    fn weight(&self, text: &String, _: &Arc<Parsed>) -> u64 {
        text.len() as u64
    }
}

pub struct Documents {
    cache: Cache<String, Arc<Parsed>, ByTextLength>,
    /// The schema that validates and never executes (`ValidateOnly`).
    validator: AppSchema,
    /// The input types variables are checked against.
    pub inputs: InputTypes,
    hits: IntCounter,
    misses: IntCounter,
}

impl Documents {
    pub fn new(schema_sdl: &str, metrics: &Metrics) -> Self {
        Documents {
            cache: Cache::with_weighter(1024, CACHE_TEXT_BYTES, ByTextLength),
            validator: crate::graphql::schema::validator(ValidateOnly),
            inputs: InputTypes::from_sdl(schema_sdl),
            hits: metrics.documents.with_label_values(&["hit"]),
            misses: metrics.documents.with_label_values(&["miss"]),
        }
    }

    /// Puts the parsed document into `request` (from the cache, or parsed now) and returns it.
    /// A document nested too deep for the parser is refused before it is parsed.
    pub fn parse(&self, request: &mut Request) -> ServerResult<Arc<Parsed>> {
        let parsed = match self.cache.get(request.query.as_str()) {
            Some(parsed) => {
                self.hits.inc();
                parsed
            }
            None => {
                self.misses.inc();
                let parsed = Arc::new(self.parse_text(&request.query)?);
                if request.query.len() <= MAX_CACHED_TEXT {
                    self.cache.insert(request.query.clone(), parsed.clone());
                }
                parsed
            }
        };
        request.set_parsed_query((*parsed.document).clone());
        Ok(parsed)
    }

    fn parse_text(&self, text: &str) -> ServerResult<Parsed> {
        limits::check_nesting(text)?;
        let document = parse_query(text).map_err(|err| {
            let err = ServerError::from(err);
            let mut coded = AppError::ParseFailed {
                message: err.message,
            }
            .into_server_error();
            coded.locations = err.locations;
            coded
        })?;
        let shape = limits::measure(&document)
            .map_err(|message| AppError::ValidationFailed { message }.into_server_error());
        Ok(Parsed {
            document: Arc::new(document),
            shape,
            verdicts: Mutex::default(),
            validator: self.validator.clone(),
        })
    }
}

/// The document rules, by the validating schema (no variables: their values are checked per
/// request).
async fn validate(
    validator: &AppSchema,
    document: &ExecutableDocument,
    operation: Option<&str>,
    text: &str,
) -> Verdict {
    let mut request = Request::new(text);
    request.operation_name = operation.map(str::to_owned);
    request.set_parsed_query(document.clone());
    let response = validator.execute(request).await;
    if response.errors.is_empty() {
        Ok(())
    } else {
        Err(response.errors)
    }
}

/// Makes a schema validate only: its execution ends before any resolver runs.
pub struct ValidateOnly;

struct StopBeforeExecution;

impl ExtensionFactory for ValidateOnly {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(StopBeforeExecution)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for StopBeforeExecution {
    async fn execute(
        &self,
        _ctx: &ExtensionContext<'_>,
        _operation_name: Option<&str>,
        _next: NextExecute<'_>,
    ) -> Response {
        Response::new(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn documents() -> Documents {
        Documents::new(&crate::graphql::sdl(), &Metrics::new())
    }

    #[tokio::test]
    async fn a_document_is_parsed_and_validated_once_and_copied_after() -> Result<(), ServerError> {
        let documents = documents();
        let text = "query($s: String!) { organization(shortName: $s) { name } }";
        let mut first = Request::new(text);
        let parsed = documents.parse(&mut first)?;
        assert_eq!(parsed.shape.clone()?.depth, 2);
        assert!(parsed.validated(&first).await.is_ok());
        assert_eq!(documents.cache.len(), 1);
        let mut second = Request::new(text);
        let again = documents.parse(&mut second)?;
        assert!(
            Arc::ptr_eq(&parsed, &again),
            "the second request hit the cache"
        );
        assert!(again.verdict(&None).is_some(), "validated once, kept");
        assert!(second.parsed_query().is_ok());
        Ok(())
    }

    #[tokio::test]
    async fn invalid_documents_are_refused_every_time() -> Result<(), ServerError> {
        let documents = documents();
        for _ in 0..2 {
            let mut request = Request::new("{ organization(shortName: 5) { nope } }");
            let parsed = documents.parse(&mut request)?;
            let verdict = parsed.validated(&request).await;
            assert!(verdict.is_err_and(|errors| errors.len() == 2));
        }
        let mut two = Request::new("query A { viewer { administrator } } query B { __typename }");
        let parsed = documents.parse(&mut two)?;
        assert!(parsed.validated(&two).await.is_err(), "no operation name");
        two.operation_name = Some("B".into());
        assert!(parsed.validated(&two).await.is_ok(), "B named");
        Ok(())
    }

    #[tokio::test]
    async fn unknown_operation_names_are_refused_and_not_kept() -> Result<(), ServerError> {
        let documents = documents();
        let text = "query A { __typename } query B { __typename }";
        for n in 0..100 {
            let mut request = Request::new(text);
            request.operation_name = Some(format!("unknown{n}"));
            let parsed = documents.parse(&mut request)?;
            assert!(parsed.validated(&request).await.is_err());
        }
        let mut request = Request::new(text);
        request.operation_name = Some("A".into());
        let parsed = documents.parse(&mut request)?;
        assert!(parsed.validated(&request).await.is_ok());
        let kept = parsed.verdicts.lock().map(|v| v.len()).unwrap_or_default();
        assert_eq!(kept, 1, "only A's verdict is kept");
        Ok(())
    }

    #[test]
    fn bad_and_long_documents_are_not_cached() {
        let documents = documents();
        assert!(documents.parse(&mut Request::new("{ a(")).is_err());
        let deep = format!("{{ a(x: {}1{}) }}", "[".repeat(200), "]".repeat(200));
        assert!(documents.parse(&mut Request::new(deep)).is_err());
        let long = format!("{{ {} }}", "a ".repeat(MAX_CACHED_TEXT));
        assert!(documents.parse(&mut Request::new(long)).is_ok());
        assert_eq!(documents.cache.len(), 0);
    }

    #[test]
    fn a_self_spreading_fragment_is_an_error_every_time() {
        let documents = documents();
        let text = "{ ...A } fragment A on Query { ...A }";
        for _ in 0..2 {
            let shape = documents
                .parse(&mut Request::new(text))
                .map(|p| p.shape.clone());
            assert!(matches!(shape, Ok(Err(e)) if e.message.contains("within itself")));
        }
    }
}
