//! A page's edges built directly, without async-graphql's per-field machinery, when the query
//! asks them only for fields a row answers by itself.
//!
//! async-graphql resolves each field of each object as its own boxed future, polled through a
//! `FuturesUnordered` (another allocation per field) and gathered into a map: for the 1,000
//! organizations of a list page with 8 fields each, some 20,000 futures whose work is reading a
//! struct field. `Edges` answers the same `Value` tree in one synchronous pass when every
//! selection under `edges` is a plain field (no arguments, directives or fragments) that `Plain`
//! knows; any other selection (a relation, `@include`, a fragment) goes through async-graphql
//! exactly as before. `tests/api/plain.rs` checks both ways answer the same bytes.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::{ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value};

/// Fields a value answers from itself, with no arguments, context or loaders.
pub trait Plain {
    /// The value of the field called `name` (its sub-selection is `set`), or `None` when
    /// async-graphql must resolve it: it takes arguments, loads something, or is unknown here.
    fn plain(&self, name: &str, set: &SelectionSet) -> Option<Value>;
}

/// The object `value` answers for `set`, keys in document order, or `None` unless every
/// selection is a plain field. A response key selected twice is left to async-graphql, which
/// merges the sub-selections.
pub fn object<T: Plain + OutputType>(value: &T, set: &SelectionSet) -> Option<Value> {
    let mut map: IndexMap<Name, Value> = IndexMap::with_capacity(set.items.len());
    for selection in &set.items {
        let Selection::Field(field) = &selection.node else {
            return None;
        };
        let field: &Field = &field.node;
        if !field.arguments.is_empty() || !field.directives.is_empty() {
            return None;
        }
        let answer = match field.name.node.as_str() {
            "__typename" => Value::String(value.introspection_type_name().into_owned()),
            name => value.plain(name, &field.selection_set.node)?,
        };
        // One hash per key (IndexMap's is SipHash): insert, and give up if it was there.
        let (_, before) = map.insert_full(field.response_key().node.clone(), answer);
        if before.is_some() {
            return None;
        }
    }
    Some(Value::Object(map))
}

/// A connection's `edges`: the list async-graphql would answer, built by `object` when it can.
pub struct Edges<T>(pub Vec<T>);

impl<T: OutputType + Plain> OutputType for Edges<T> {
    fn type_name() -> Cow<'static, str> {
        <Vec<T> as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <Vec<T> as OutputType>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <Vec<T> as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let set = &ctx.item.node;
        let built: Option<Vec<Value>> = self.0.iter().map(|edge| object(edge, set)).collect();
        match built {
            Some(items) => Ok(Value::List(items)),
            None => self.0.resolve(ctx, field).await,
        }
    }
}

/// A scalar's value as async-graphql writes it (`DateTime` as RFC 3339, and so on).
pub fn scalar<S: async_graphql::ScalarType>(value: &S) -> Value {
    value.to_value()
}
