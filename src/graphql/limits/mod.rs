//! Query depth and complexity limits, checked before async-graphql validates or runs anything.
//!
//! async-graphql has limits of its own, but it checks them while walking the document with
//! fragments expanded: a document of a few kilobytes whose fragments spread each other twice
//! over twenty levels expands to millions of fields, and its walk (and its recursion-depth check,
//! which runs before any limit) would take seconds of CPU that no time limit can interrupt. Here
//! each fragment is measured once and its size reused wherever it is spread, so measuring costs
//! the size of the document, not of its expansion. The numbers are the ones async-graphql would
//! compute: depth counts nested fields (a fragment spread adds no level of its own), complexity
//! counts every selected field once per place it is selected, aliases included.
//!
//! Before any of that, the document's text is scanned for nesting: async-graphql's parser and
//! validator recurse on nested lists, objects and selection sets, and a few kilobytes of `[[[[`
//! in an argument overflow the stack, which aborts the whole process (no panic guard catches a
//! stack overflow). Nothing legitimate nests deeper than `MAX_NESTING`.
//!
//! async-graphql's own limit errors (its recursion-depth check, which stays at its default, and
//! any limit set on the schema) carry no code; they are given `QUERY_TOO_COMPLEX` here as well.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult};

use crate::error::AppError;

mod cost;

pub use cost::{check_cost, cost};

/// Deepest nesting of `{`, `[` and `(` a document may have, whatever the depth limit: the parser refuses selection sets nested deeper than 64 anyway, and values never need much.
pub const MAX_NESTING: usize = 128;

/// The deepest nesting of brackets in a GraphQL document, outside strings and comments; it stops counting past `MAX_NESTING`.
pub fn nesting(query: &str) -> usize {
    let bytes = query.as_bytes();
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() && max <= MAX_NESTING {
        match bytes[i] {
            b'{' | b'[' | b'(' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                // A block string ends at the next unescaped `"""`.
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            _ => {}
        }
        i += 1;
    }
    max
}

/// What a document costs to run, as the limits measure it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// The deepest field nesting.
    pub depth: usize,
    /// Fields selected, counted once per place they are selected, across all operations.
    pub complexity: usize,
}

/// Measures every operation of `doc`. A fragment that spreads itself (directly or through others) has no finite shape: `Err` names it.
pub fn measure(doc: &ExecutableDocument) -> Result<Shape, String> {
    let mut measurer = Measurer {
        doc,
        fragments: HashMap::new(),
    };
    let mut total = Shape::default();
    for (_, operation) in doc.operations.iter() {
        let shape = measurer.selection_set(&operation.node.selection_set.node)?;
        total.depth = total.depth.max(shape.depth);
        total.complexity = total.complexity.saturating_add(shape.complexity);
    }
    Ok(total)
}

enum Memo {
    InProgress,
    Done(Shape),
}

struct Measurer<'a> {
    doc: &'a ExecutableDocument,
    fragments: HashMap<&'a str, Memo>,
}

impl<'a> Measurer<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet) -> Result<Shape, String> {
        let mut shape = Shape::default();
        for item in &set.items {
            let inner = match &item.node {
                Selection::Field(field) => {
                    let children = self.selection_set(&field.node.selection_set.node)?;
                    Shape {
                        depth: children.depth.saturating_add(1),
                        complexity: children.complexity.saturating_add(1),
                    }
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str())?
                }
                Selection::InlineFragment(inline) => {
                    self.selection_set(&inline.node.selection_set.node)?
                }
            };
            shape.depth = shape.depth.max(inner.depth);
            shape.complexity = shape.complexity.saturating_add(inner.complexity);
        }
        Ok(shape)
    }

    fn fragment(&mut self, name: &'a str) -> Result<Shape, String> {
        match self.fragments.get(name) {
            Some(Memo::Done(shape)) => return Ok(*shape),
            Some(Memo::InProgress) => {
                return Err(format!(r#"Cannot spread fragment "{name}" within itself."#));
            }
            None => {}
        }
        // An unknown fragment is validation's to report; it selects nothing here.
        let Some(fragment) = self.doc.fragments.get(name) else {
            return Ok(Shape::default());
        };
        self.fragments.insert(name, Memo::InProgress);
        let shape = self.selection_set(&fragment.node.selection_set.node)?;
        self.fragments.insert(name, Memo::Done(shape));
        Ok(shape)
    }
}

/// Refuses a document whose brackets nest deeper than `MAX_NESTING`, before it is parsed.
pub fn check_nesting(text: &str) -> ServerResult<()> {
    if nesting(text) > MAX_NESTING {
        return Err(too_complex(format!(
            "the document nests brackets more than {MAX_NESTING} deep"
        )));
    }
    Ok(())
}

/// Compares a document's shape with the configured limits.
///
/// The HTTP layer calls this (and `check_nesting`) itself rather than through an async-graphql extension: with any extension installed, async-graphql sends the resolution of every field of every answer through the extension chain, which cost a sixth of the CPU of a 1,000-row list.
pub fn check(shape: Shape, depth: usize, complexity: usize) -> ServerResult<()> {
    if shape.depth > depth {
        return Err(too_complex(format!(
            "the query nests fields {} deep; the limit is {depth}",
            shape.depth
        )));
    }
    if shape.complexity > complexity {
        return Err(too_complex(format!(
            "the query selects {} fields (aliases and fragments counted where used); the limit is {complexity}",
            shape.complexity
        )));
    }
    Ok(())
}

fn too_complex(message: String) -> ServerError {
    AppError::too_complex(message).into_server_error()
}

/// Gives async-graphql's own limit errors (they have no code) the code `QUERY_TOO_COMPLEX`; other errors pass unchanged.
pub fn code_limit_error(err: ServerError) -> ServerError {
    const LIMIT_MESSAGES: [&str; 4] = [
        "Query is too complex.",
        "Query is nested too deep.",
        "The recursion depth of the query cannot be greater than",
        "The number of directives on the field",
    ];
    if err.extensions.is_none() && LIMIT_MESSAGES.iter().any(|m| err.message.starts_with(m)) {
        let mut coded = too_complex(err.message);
        coded.locations = err.locations;
        coded
    } else {
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn shape(query: &str) -> Result<Shape, String> {
        measure(&parse_query(query).map_err(|e| e.to_string())?)
    }

    #[test]
    fn depth_counts_fields_and_complexity_counts_every_selection() {
        assert_eq!(
            shape("{ a { b { c } d } }"),
            Ok(Shape {
                depth: 3,
                complexity: 4
            })
        );
        // Aliases are fields of their own.
        assert_eq!(shape("{ x: a y: a z: a }").map(|s| s.complexity), Ok(3));
    }

    #[test]
    fn fragments_count_where_they_are_spread() {
        let q = "{ a { ...F } b { ...F } } fragment F on T { c { d } }";
        assert_eq!(
            shape(q),
            Ok(Shape {
                depth: 3,
                complexity: 6
            })
        );
        let inline = "{ a { ... on T { b { c } } } }";
        assert_eq!(shape(inline).map(|s| s.depth), Ok(3));
    }

    #[test]
    fn a_fragment_bomb_is_measured_without_expanding_it() {
        // 2^40 fields once expanded; measured in microseconds.
        let mut q = String::from("{ ...F0 }");
        for i in 0..40 {
            q.push_str(&format!(
                " fragment F{i} on Query {{ ...F{n} ...F{n} }}",
                n = i + 1
            ));
        }
        q.push_str(" fragment F40 on Query { __typename }");
        let started = std::time::Instant::now();
        assert_eq!(shape(&q).map(|s| s.complexity), Ok(1 << 40));
        assert!(started.elapsed().as_millis() < 500);
    }

    #[test]
    fn nesting_counts_brackets_outside_strings_and_comments() {
        assert_eq!(nesting("{ a(x: [[1]]) { b } }"), 4);
        assert_eq!(nesting(r#"{ a(x: "[[[{{{\"[[[") }"#), 2);
        assert_eq!(nesting("{ a # [[[[[[\n }"), 1);
        assert_eq!(nesting(r#"{ a(x: """ [[[ \""" [[[ """) }"#), 2);
        let deep = format!(
            "{{ a(x: {}1{}) }}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert_eq!(
            nesting(&deep),
            MAX_NESTING + 1,
            "stops counting past the limit"
        );
    }

    #[test]
    fn cycles_are_reported_not_followed() {
        let q = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        assert!(shape(q).is_err());
    }

    #[test]
    fn async_graphql_limit_errors_get_a_code() {
        let coded = code_limit_error(ServerError::new("Query is nested too deep.", None));
        assert!(format!("{:?}", coded.extensions).contains("QUERY_TOO_COMPLEX"));
        let other = code_limit_error(ServerError::new("Unknown field", None));
        assert!(other.extensions.is_none());
    }
}
