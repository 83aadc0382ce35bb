//! What putting response keys back in selection order costs (issue 14), next to serializing
//! the same answer, on the shape of the list benchmark (`bench/bench.py`'s 1,000-organization
//! list). Prints figures; not a criterion bench:
//!
//!   cargo bench --bench order

use std::time::Instant;

use async_graphql::Value;
use async_graphql::parser::parse_query;
use tenancy_gateway::graphql::order::Plan;

const QUERY: &str = "{ organizations(first: 1000) { edges { node { id shortName name description logoUrl active created modified } } } }";

/// The answer async-graphql builds for `QUERY`, with its keys in `order`.
fn answer(order: &[&str]) -> Value {
    let nodes: Vec<serde_json::Value> = (0..1000)
        .map(|i| {
            let mut node = serde_json::Map::new();
            for key in order {
                let value = match *key {
                    "active" => serde_json::json!(true),
                    "description" | "logoUrl" => serde_json::Value::Null,
                    _ => serde_json::json!(format!("{key}-{i:04}")),
                };
                node.insert((*key).to_owned(), value);
            }
            serde_json::json!({ "node": node })
        })
        .collect();
    let json = serde_json::json!({ "organizations": { "edges": nodes } });
    Value::from_json(json).unwrap_or_default()
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
    let in_order = answer(&selected);
    let out_of_order = answer(&shuffled);
    let serialize = time("serialize 1,000 rows (for comparison)", runs, || {
        std::hint::black_box(serde_json::to_vec(&in_order).unwrap_or_default());
    });
    let checked = time(
        "order 1,000 rows already in order (check only)",
        runs,
        || {
            let mut value = in_order.clone();
            plan.apply(&mut value);
            std::hint::black_box(value);
        },
    );
    let sorted = time(
        "order 1,000 rows out of order (sort each object)",
        runs,
        || {
            let mut value = out_of_order.clone();
            plan.apply(&mut value);
            std::hint::black_box(value);
        },
    );
    let clone = time(
        "clone of the answer (included in the two above)",
        runs,
        || {
            std::hint::black_box(in_order.clone());
        },
    );
    println!(
        "ordering costs {:.1}% (in order) to {:.1}% (out of order) of serializing",
        (checked - clone) / serialize * 100.0,
        (sorted - clone) / serialize * 100.0
    );
}
