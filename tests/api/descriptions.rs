//! GraphiQL teaches the graph through its docs pane: every type, field, argument, input field
//! and enum value of the schema has a description, and none is hard-wrapped mid-sentence
//! (a `///` comment's line breaks reach the schema as they are).

use serde_json::{Value, json};

use crate::support::{Backend, TestApp};

const INTROSPECTION: &str = r#"{ __schema { types {
    name kind description
    fields(includeDeprecated: true) { name description args { name description } }
    inputFields { name description }
    enumValues(includeDeprecated: true) { name description }
} } }"#;

/// Types this service does not define, described (or not) by their owners: GraphQL's
/// built-in scalars, async-graphql's chrono scalar and Apollo Federation's types. Their fields
/// (`_service`, `_entities`) are skipped too.
const NOT_OURS: &[&str] = &[
    "String", "Int", "Float", "Boolean", "ID", "DateTime", "JSON", "_Any", "_Entity", "_Service",
];

/// Where a description is missing or broken, as `Type.field(arg)` paths.
fn problems(schema: &Value) -> (Vec<String>, Vec<String>) {
    let mut missing = Vec::new();
    let mut wrapped = Vec::new();
    let mut check = |path: String, description: &Value| match description.as_str() {
        Some(text) if !text.trim().is_empty() => {
            if mid_sentence_break(text) {
                wrapped.push(format!("{path}: {text:?}"));
            }
        }
        _ => missing.push(path),
    };
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    for ty in list(&schema["types"]) {
        let name = ty["name"].as_str().unwrap_or_default().to_owned();
        if name.starts_with("__") || NOT_OURS.contains(&name.as_str()) {
            continue;
        }
        check(name.clone(), &ty["description"]);
        for field in list(&ty["fields"])
            .iter()
            .chain(list(&ty["inputFields"]).iter())
        {
            let field_name = field["name"].as_str().unwrap_or_default();
            if field_name.starts_with('_') {
                continue; // federation's `_service` and `_entities`
            }
            let field_path = format!("{name}.{field_name}");
            check(field_path.clone(), &field["description"]);
            for arg in list(&field["args"]) {
                let arg_name = arg["name"].as_str().unwrap_or_default();
                check(format!("{field_path}({arg_name})"), &arg["description"]);
            }
        }
        for value in list(&ty["enumValues"]) {
            let value_name = value["name"].as_str().unwrap_or_default();
            check(format!("{name}.{value_name}"), &value["description"]);
        }
    }
    (missing, wrapped)
}

/// A line break after a word or a comma: a comment wrapped at the editor's margin.
fn mid_sentence_break(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(2)
        .any(|w| w[1] == '\n' && (w[0].is_alphanumeric() || w[0] == ','))
}

#[tokio::test]
async fn every_part_of_the_schema_is_described_on_one_line_per_sentence() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let body = app.gql(INTROSPECTION, json!({})).await;
    let (missing, wrapped) = problems(&body["data"]["__schema"]);
    assert!(
        missing.is_empty() && wrapped.is_empty(),
        "{} without a description: {missing:#?}\n{} wrapped mid-sentence: {wrapped:#?}",
        missing.len(),
        wrapped.len()
    );
}

#[test]
fn the_check_itself_finds_what_it_must() {
    let schema = json!({ "types": [{
        "name": "Partner", "description": "A business partner.",
        "fields": [{ "name": "name", "description": null, "args": [{ "name": "x", "description": "" }] },
                   { "name": "code", "description": "The short\ncode.", "args": [] }],
        "enumValues": [{ "name": "A", "description": null }]
    }] });
    let (missing, wrapped) = problems(&schema);
    assert_eq!(missing, ["Partner.name", "Partner.name(x)", "Partner.A"]);
    assert_eq!(wrapped.len(), 1);
    assert!(!mid_sentence_break("One sentence.\nAnother one."));
}
