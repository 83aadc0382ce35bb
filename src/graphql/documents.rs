//! Parsed documents, cached by their text.
//!
//! Clients send the same few documents over and over (with different variables), and parsing
//! was a tenth of the CPU of a one-organization lookup. Each distinct text is parsed and
//! measured once; later requests get a copy of the parsed document (async-graphql consumes it)
//! and its measured shape. The cache is bounded by the total length of the texts it holds, and
//! texts longer than `MAX_CACHED_TEXT` are parsed every time, so that a client sending endless
//! distinct documents costs a bounded amount of memory.
//!
//! Only documents that parse are cached; the limits are still compared with the shape on every
//! request (they are configuration, not part of the document).

use std::sync::Arc;

use async_graphql::parser::parse_query;
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerError, ServerResult};
use quick_cache::Weighter;
use quick_cache::sync::Cache;

use super::limits::{self, Shape};
use crate::error::AppError;

/// Longest document text kept in the cache, in bytes.
pub const MAX_CACHED_TEXT: usize = 16 * 1024;
/// Total length of the texts the cache holds, in bytes (parsed documents take several times as much).
const CACHE_TEXT_BYTES: u64 = 1024 * 1024;

struct Parsed {
    document: Arc<ExecutableDocument>,
    /// `Err` names a fragment that spreads itself.
    shape: Result<Shape, String>,
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
}

impl Default for Documents {
    fn default() -> Self {
        Documents {
            cache: Cache::with_weighter(1024, CACHE_TEXT_BYTES, ByTextLength),
        }
    }
}

impl Documents {
    /// Puts the parsed document into `request` (from the cache, or parsed now) and returns its shape and the document itself (which the answer's key order follows). A document nested too deep for the parser is refused before it is parsed.
    pub fn parse(&self, request: &mut Request) -> ServerResult<(Shape, Arc<ExecutableDocument>)> {
        let parsed = match self.cache.get(request.query.as_str()) {
            Some(parsed) => parsed,
            None => {
                let parsed = Arc::new(parse(&request.query)?);
                if request.query.len() <= MAX_CACHED_TEXT {
                    self.cache.insert(request.query.clone(), parsed.clone());
                }
                parsed
            }
        };
        request.set_parsed_query((*parsed.document).clone());
        let shape = parsed
            .shape
            .clone()
            .map_err(|message| AppError::ValidationFailed { message }.into_server_error())?;
        Ok((shape, parsed.document.clone()))
    }
}

fn parse(text: &str) -> ServerResult<Parsed> {
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
    let shape = limits::measure(&document);
    Ok(Parsed {
        document: Arc::new(document),
        shape,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_parsed_once_and_copied_after() -> Result<(), ServerError> {
        let documents = Documents::default();
        let text = "query($s: String!) { organization(shortName: $s) { name } }";
        let mut first = Request::new(text);
        let (shape, _) = documents.parse(&mut first)?;
        assert_eq!(shape.depth, 2);
        assert_eq!(documents.cache.len(), 1);
        let mut second = Request::new(text);
        assert_eq!(documents.parse(&mut second)?.0, shape);
        assert_eq!(documents.cache.len(), 1, "the second request hit the cache");
        assert!(second.parsed_query().is_ok());
        Ok(())
    }

    #[test]
    fn bad_and_long_documents_are_not_cached() {
        let documents = Documents::default();
        assert!(documents.parse(&mut Request::new("{ a(")).is_err());
        let deep = format!("{{ a(x: {}1{}) }}", "[".repeat(200), "]".repeat(200));
        assert!(documents.parse(&mut Request::new(deep)).is_err());
        let long = format!("{{ {} }}", "a ".repeat(MAX_CACHED_TEXT));
        assert!(documents.parse(&mut Request::new(long)).is_ok());
        assert_eq!(documents.cache.len(), 0);
    }

    #[test]
    fn a_self_spreading_fragment_is_an_error_every_time() {
        let documents = Documents::default();
        let text = "{ ...A } fragment A on Query { ...A }";
        for _ in 0..2 {
            let err = documents.parse(&mut Request::new(text)).err();
            assert!(err.is_some_and(|e| e.message.contains("within itself")));
        }
    }
}
