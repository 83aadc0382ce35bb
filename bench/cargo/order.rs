//! What putting response keys back in selection order costs, next to serializing
//! the same answer, on the shape of the list benchmark (`bench/bench.py`'s 1,000-organization
//! list). Prints figures; not a criterion bench:
//!
//!   cargo bench --bench order

use std::time::Instant;

use std::collections::HashMap;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::parse_query;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Value};
use tenancy_gateway::graphql::order::Plan;

const QUERY: &str = "{ organizations(first: 1000) { edges { node { id shortName name description logoUrl active created modified } } } }";

/// The response keys of `doc`, as the `Name`s async-graphql puts in answers (it clones the
/// document's own, so they share their allocation with the plan's).
fn names(doc: &ExecutableDocument) -> HashMap<String, Name> {
    fn walk(set: &SelectionSet, out: &mut HashMap<String, Name>) {
        for item in &set.items {
            if let Selection::Field(field) = &item.node {
                let key = field.node.response_key().node.clone();
                out.insert(key.to_string(), key);
                walk(&field.node.selection_set.node, out);
            }
        }
    }
    let mut out = HashMap::new();
    for (_, op) in doc.operations.iter() {
        walk(&op.node.selection_set.node, &mut out);
    }
    out
}

/// The answer async-graphql builds for `QUERY`, with its keys in `order`.
fn answer(names: &HashMap<String, Name>, order: &[&str]) -> Value {
    let name = |key: &str| names.get(key).cloned().unwrap_or_else(|| Name::new(key));
    let edges = (0..1000)
        .map(|i| {
            let mut node = IndexMap::new();
            for key in order {
                let value = match *key {
                    "active" => Value::Boolean(true),
                    "description" | "logoUrl" => Value::Null,
                    _ => Value::String(format!("{key}-{i:04}")),
                };
                node.insert(name(key), value);
            }
            let mut edge = IndexMap::new();
            edge.insert(name("node"), Value::Object(node));
            Value::Object(edge)
        })
        .collect();
    let mut connection = IndexMap::new();
    connection.insert(name("edges"), Value::List(edges));
    let mut root = IndexMap::new();
    root.insert(name("organizations"), Value::Object(connection));
    Value::Object(root)
}

fn time(label: &str, runs: u32, mut f: impl FnMut()) -> f64 {
    f();
    let started = Instant::now();
    for _ in 0..runs {
        f();
    }
    let micros = started.elapsed().as_secs_f64() * 1e6 / f64::from(runs);
    println!("{label:<55} {micros:>9.1} µs");
    micros
}

fn main() {
    let Ok(doc) = parse_query(QUERY) else {
        return;
    };
    let runs = 200;
    let selected = [
        "id",
        "shortName",
        "name",
        "description",
        "logoUrl",
        "active",
        "created",
        "modified",
    ];
    let mut shuffled = selected;
    shuffled.reverse();
    time("plan (once per operation)", runs, || {
        std::hint::black_box(Plan::for_operation(&doc, None));
    });
    let Some(plan) = Plan::for_operation(&doc, None) else {
        return;
    };
    let names = names(&doc);
    let in_order = answer(&names, &selected);
    let out_of_order = answer(&names, &shuffled);
    let serialize = time("serialize 1,000 rows (for comparison)", runs, || {
        std::hint::black_box(serde_json::to_vec(&in_order).unwrap_or_default());
    });
    // No clone inside the timed loops: an answer in order stays so, and the out-of-order ones
    // are copied before the clock starts.
    let mut value = in_order.clone();
    let checked = time(
        "order 1,000 rows already in order (check only)",
        runs,
        || {
            plan.apply(&mut value);
        },
    );
    let mut copies: Vec<Value> = (0..=runs).map(|_| out_of_order.clone()).collect();
    let sorted = time(
        "order 1,000 rows out of order (sort each object)",
        runs,
        || {
            if let Some(mut value) = copies.pop() {
                plan.apply(&mut value);
                std::mem::forget(value);
            }
        },
    );
    println!(
        "ordering costs {:.1}% (in order) to {:.1}% (out of order) of serializing",
        checked / serialize * 100.0,
        sorted / serialize * 100.0
    );
}
