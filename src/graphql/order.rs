//! Response keys in the order the query selects them.
//!
//! The GraphQL spec says a response map should list its keys in the order the selection set
//! asks for them (fragments expanded where they are spread). async-graphql does not keep that
//! order (its upstream issue 612: fields of a `ComplexObject` come after the simple ones, merged
//! root objects come in their own order), so the execution layer puts the executed answer back
//! in order: a `Plan` is built once per operation from the document (its size is the expanded
//! selection, which the complexity limit bounds) and then applied to the answer, sorting each
//! object in place only when it is out of order.

use async_graphql::Name;
use async_graphql::Value;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, Selection, SelectionSet,
};

/// The response keys of one selection, in order, each with the plan of what it selects.
#[derive(Debug, Default)]
pub struct Plan {
    keys: Vec<(Name, Plan)>,
}

impl Plan {
    /// The plan of the operation `name` selects in `doc` (`None` if there is no such operation).
    pub fn for_operation(doc: &ExecutableDocument, name: Option<&str>) -> Option<Plan> {
        let operation = select(doc, name)?;
        Some(Plan::build(doc, &[&operation.selection_set.node]))
    }

    fn build(doc: &ExecutableDocument, sets: &[&SelectionSet]) -> Plan {
        let mut keys: Vec<(Name, Vec<&SelectionSet>)> = Vec::new();
        let mut seen_fragments = Vec::new();
        for set in sets {
            collect(doc, set, &mut keys, &mut seen_fragments);
        }
        Plan {
            keys: keys
                .into_iter()
                .map(|(key, subsets)| {
                    let plan = if subsets.iter().all(|s| s.items.is_empty()) {
                        Plan::default()
                    } else {
                        Plan::build(doc, &subsets)
                    };
                    (key, plan)
                })
                .collect(),
        }
    }

    /// Puts every object of `value` in the order of this plan; keys the plan does not know (there should be none) keep their place after the known ones.
    pub fn apply(&self, value: &mut Value) {
        if self.keys.is_empty() {
            return;
        }
        match value {
            Value::List(items) => {
                for item in items {
                    self.apply(item);
                }
            }
            Value::Object(map) => {
                // Both sequences are walked once; names compare by pointer first (the answer's
                // keys are the document's own names), so an object already in order costs a
                // pass over its keys.
                let mut cursor = 0;
                let in_order = map.keys().all(|key| match self.find(cursor, key) {
                    Some(i) => {
                        cursor = i + 1;
                        true
                    }
                    None => false,
                });
                if !in_order {
                    map.sort_by_cached_key(|key, _| self.find(0, key).unwrap_or(usize::MAX));
                }
                let mut cursor = 0;
                for (key, child) in map.iter_mut() {
                    if let Some(i) = self.find(cursor, key) {
                        self.keys[i].1.apply(child);
                        cursor = i + 1;
                    }
                }
            }
            _ => {}
        }
    }
}

impl Plan {
    /// The index of `key` at or after `from`.
    fn find(&self, from: usize, key: &Name) -> Option<usize> {
        self.keys
            .get(from..)?
            .iter()
            .position(|(k, _)| same(k, key))
            .map(|i| from + i)
    }
}

/// Name equality, by pointer first: the answer's keys are clones of the document's names.
fn same(a: &Name, b: &Name) -> bool {
    std::ptr::eq(a.as_str(), b.as_str()) || a == b
}

fn select<'a>(doc: &'a ExecutableDocument, name: Option<&str>) -> Option<&'a OperationDefinition> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// Appends the response keys of `set` (fragments expanded, each once) to `keys`, merging the sub-selections of fields that answer under the same key.
fn collect<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    keys: &mut Vec<(Name, Vec<&'a SelectionSet>)>,
    seen_fragments: &mut Vec<&'a str>,
) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                let field = &field.node;
                let key = field.response_key().node.clone();
                match keys.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, subsets)) => subsets.push(&field.selection_set.node),
                    None => keys.push((key, vec![&field.selection_set.node])),
                }
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                if seen_fragments.contains(&name) {
                    continue;
                }
                seen_fragments.push(name);
                if let Some(fragment) = doc.fragments.get(name) {
                    collect(doc, &fragment.node.selection_set.node, keys, seen_fragments);
                }
            }
            Selection::InlineFragment(inline) => {
                collect(doc, &inline.node.selection_set.node, keys, seen_fragments);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn keys(value: &Value) -> Vec<String> {
        match value {
            Value::Object(map) => map.keys().map(|k| k.to_string()).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn objects_follow_the_selection_with_aliases_and_fragments() -> Result<(), String> {
        let doc = parse_query("{ b: x { ...F z } a: y } fragment F on T { w ... on T { v } }")
            .map_err(|e| e.to_string())?;
        let plan = Plan::for_operation(&doc, None).ok_or("no operation")?;
        let json = serde_json::json!({
            "a": 1,
            "b": [{ "z": 1, "v": 2, "w": 3 }, { "v": 2, "z": 1, "w": 3 }],
        });
        let mut value = Value::from_json(json).map_err(|e| e.to_string())?;
        plan.apply(&mut value);
        assert_eq!(keys(&value), ["b", "a"]);
        let Value::Object(map) = &value else {
            return Err("not an object".into());
        };
        let Some(Value::List(items)) = map.get("b") else {
            return Err("no list".into());
        };
        for item in items {
            assert_eq!(keys(item), ["w", "v", "z"]);
        }
        Ok(())
    }
}
