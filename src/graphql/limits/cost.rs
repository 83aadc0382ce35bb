//! The cost of a request: how many fields its answer can hold once pages and `_entities` are
//! counted at their size. It depends on the variables, so it is computed for every request.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Field, Selection, SelectionSet};
use async_graphql::{ServerResult, Value, Variables};

use super::too_complex;

/// Page size of a connection without `first` (`domain::page::DEFAULT_PAGE_SIZE`).
const DEFAULT_FIRST: u64 = crate::domain::page::DEFAULT_PAGE_SIZE;
/// Largest `first` a connection serves (`domain::page::MAX_PAGE_SIZE`); larger ones are refused by the resolver, so they cost this much here.
const MAX_FIRST: u64 = crate::domain::page::MAX_PAGE_SIZE;

/// How many fields the answer to the operations of `doc` can hold at most, with `variables`: a connection's `edges` repeat what they select `first` times (its default page when `first` is absent), `_entities` repeats its selection once per representation, and every alias and fragment counts where it is used. Unlike `measure`, this depends on the variables, so it is computed for every request; it costs the size of the document (fragments are memoized per multiplier). A document whose fragments spread themselves must be refused before this.
pub fn cost(doc: &ExecutableDocument, variables: &Variables) -> u64 {
    let mut coster = Coster {
        doc,
        variables,
        memo: HashMap::new(),
    };
    doc.operations.iter().fold(0u64, |total, (_, operation)| {
        total.saturating_add(coster.set(&operation.node.selection_set.node, DEFAULT_FIRST))
    })
}

struct Coster<'a> {
    doc: &'a ExecutableDocument,
    variables: &'a Variables,
    memo: HashMap<(&'a str, u64), Option<u64>>,
}

impl<'a> Coster<'a> {
    /// The cost of `set`, whose `edges` (if any) repeat `page` times.
    fn set(&mut self, set: &'a SelectionSet, page: u64) -> u64 {
        let mut total = 0u64;
        for item in &set.items {
            let cost = match &item.node {
                Selection::Field(field) => self.field(&field.node, page),
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str(), page)
                }
                Selection::InlineFragment(inline) => {
                    self.set(&inline.node.selection_set.node, page)
                }
            };
            total = total.saturating_add(cost);
        }
        total
    }

    fn field(&mut self, field: &'a Field, page: u64) -> u64 {
        let name = field.name.node.as_str();
        let children = &field.selection_set.node;
        let repeat = match name {
            "_entities" => match self.argument(field, "representations") {
                Some(Value::List(items)) => items.len() as u64,
                Some(Value::Null) | None => 0,
                Some(_) => 1,
            },
            "edges" | "nodes" => page,
            _ => 1,
        };
        let first = match self.argument(field, "first") {
            Some(Value::Number(n)) => n
                .as_i64()
                .map_or(DEFAULT_FIRST, |n| (n.max(0) as u64).min(MAX_FIRST)),
            _ => DEFAULT_FIRST,
        };
        let inner = if children.items.is_empty() {
            0
        } else {
            self.set(children, first)
        };
        repeat.saturating_mul(inner).saturating_add(1)
    }

    /// The value of an argument, its variables replaced by theirs.
    fn argument(&self, field: &Field, name: &str) -> Option<Value> {
        let value = field.get_argument(name)?;
        value
            .node
            .clone()
            .into_const_with(|var| self.variables.get(&var).cloned().ok_or(()))
            .ok()
    }

    fn fragment(&mut self, name: &'a str, page: u64) -> u64 {
        match self.memo.get(&(name, page)) {
            Some(Some(cost)) => return *cost,
            Some(None) => return 0,
            None => {}
        }
        let Some(fragment) = self.doc.fragments.get(name) else {
            return 0;
        };
        self.memo.insert((name, page), None);
        let cost = self.set(&fragment.node.selection_set.node, page);
        self.memo.insert((name, page), Some(cost));
        cost
    }
}

/// Compares the cost of a request with `--max-query-cost`.
pub fn check_cost(cost: u64, limit: u64) -> ServerResult<()> {
    if cost > limit {
        return Err(too_complex(format!(
            "the answer could hold {cost} fields (each page counted at its `first`, each `_entities` representation counted); the limit is {limit}"
        )));
    }
    Ok(())
}
