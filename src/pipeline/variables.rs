//! The values of a request's variables, checked against the types the operation declares for
//! them (the GraphQL spec's CoerceVariableValues), for every request: the document's own rules
//! are validated once per text (`documents`), its variables change with every request.
//!
//! A variable that is missing where its type is non-null (and has no default), null where it is
//! non-null, or of the wrong shape is a request error, `BAD_USER_INPUT` naming the variable,
//! before anything runs. The scalars are judged as async-graphql's own validation judges them
//! (an `Int` is any whole number here; its range is checked when it is read); custom scalars
//! (`DateTime`, `JSON`) accept any value here and are checked when read.

use std::collections::HashMap;

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, OperationDefinition, Type, TypeKind,
    TypeSystemDefinition,
};
use async_graphql::{Name, Request, ServerError, Value};

use crate::error::AppError;

/// What an input type accepts.
enum Input {
    /// Enum values by name.
    Enum(Vec<String>),
    /// Input object fields: name, type, whether it has a default.
    Object(Vec<(String, Type, bool)>),
    /// A scalar defined by the schema (`DateTime`, `JSON`, `_Any`): any value.
    Custom,
}

/// The schema's input types, read from its SDL.
pub struct InputTypes(HashMap<String, Input>);

impl InputTypes {
    pub fn from_sdl(sdl: &str) -> InputTypes {
        let mut types = HashMap::new();
        // The SDL is the schema's own: it always parses (a unit test checks it).
        let definitions = async_graphql::parser::parse_schema(sdl)
            .map(|doc| doc.definitions)
            .unwrap_or_default();
        for definition in definitions {
            let TypeSystemDefinition::Type(ty) = definition else {
                continue;
            };
            let ty = ty.node;
            let input = match ty.kind {
                TypeKind::Enum(e) => Input::Enum(
                    e.values
                        .into_iter()
                        .map(|v| v.node.value.node.to_string())
                        .collect(),
                ),
                TypeKind::InputObject(o) => Input::Object(
                    o.fields
                        .into_iter()
                        .map(|f| {
                            let f = f.node;
                            (
                                f.name.node.to_string(),
                                f.ty.node,
                                f.default_value.is_some(),
                            )
                        })
                        .collect(),
                ),
                TypeKind::Scalar => Input::Custom,
                _ => continue,
            };
            types.insert(ty.name.node.to_string(), input);
        }
        InputTypes(types)
    }

    /// Why `value` is not a `ty`, or `None` when it is.
    fn invalid(&self, ty: &Type, value: &Value) -> Option<String> {
        if matches!(value, Value::Null) {
            return (!ty.nullable).then(|| format!("null is not a {ty}"));
        }
        match &ty.base {
            // A single value where a list is expected is a list of one (input coercion).
            BaseType::List(item) => match value {
                Value::List(items) => items
                    .iter()
                    .enumerate()
                    .find_map(|(i, v)| self.invalid(item, v).map(|why| format!("item {i}: {why}"))),
                other => self.invalid(item, other),
            },
            BaseType::Named(name) => self.invalid_named(name, value),
        }
    }

    fn invalid_named(&self, name: &Name, value: &Value) -> Option<String> {
        let ok = match name.as_str() {
            "Int" => matches!(value, Value::Number(n) if n.is_i64()),
            "Float" => matches!(value, Value::Number(_)),
            "String" => matches!(value, Value::String(_)),
            "Boolean" => matches!(value, Value::Boolean(_)),
            "ID" => {
                matches!(value, Value::String(_)) || matches!(value, Value::Number(n) if n.is_i64())
            }
            other => match self.0.get(other) {
                Some(Input::Custom) | None => true,
                Some(Input::Enum(values)) => match value {
                    Value::String(v) => values.contains(v),
                    Value::Enum(v) => values.iter().any(|known| known == v.as_str()),
                    _ => false,
                },
                Some(Input::Object(fields)) => {
                    let Value::Object(given) = value else {
                        return Some(format!("expected an input object {name}"));
                    };
                    if let Some(unknown) = given
                        .keys()
                        .find(|k| !fields.iter().any(|(f, _, _)| f == k.as_str()))
                    {
                        return Some(format!("{name} has no field {unknown}"));
                    }
                    return fields.iter().find_map(|(field, ty, has_default)| {
                        match given.get(field.as_str()) {
                            Some(v) => self.invalid(ty, v).map(|why| format!("{field}: {why}")),
                            None if !ty.nullable && !has_default => {
                                Some(format!("{field} is required ({ty})"))
                            }
                            None => None,
                        }
                    });
                }
            },
        };
        (!ok).then(|| format!("expected type \"{name}\""))
    }
}

/// Checks the variables of the operation `request` selects (an unknown operation is the
/// validation's to report).
pub fn check(
    inputs: &InputTypes,
    document: &ExecutableDocument,
    request: &Request,
) -> Result<(), ServerError> {
    let Some(operation) = selected(document, request.operation_name.as_deref()) else {
        return Ok(());
    };
    for definition in &operation.variable_definitions {
        let definition = &definition.node;
        let name = definition.name.node.as_str();
        let ty = &definition.var_type.node;
        let why = match request.variables.get(&definition.name.node) {
            None if definition.default_value.is_none() && !ty.nullable => {
                Some(format!("required ({ty}) but not given"))
            }
            None => None,
            Some(value) => inputs.invalid(ty, value),
        };
        if let Some(why) = why {
            let mut error =
                AppError::bad_input(format!("variable ${name}"), why).into_server_error();
            error.locations = vec![definition.name.pos];
            return Err(error);
        }
    }
    Ok(())
}

fn selected<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_text(text: &str, variables: serde_json::Value) -> Result<(), String> {
        let inputs = InputTypes::from_sdl(&crate::graphql::sdl());
        let document = async_graphql::parser::parse_query(text).map_err(|e| e.to_string())?;
        let request = Request::new(text).variables(async_graphql::Variables::from_json(variables));
        check(&inputs, &document, &request).map_err(|e| e.message)
    }

    #[test]
    fn the_schema_sdl_yields_its_input_types() {
        let inputs = InputTypes::from_sdl(&crate::graphql::sdl());
        assert!(matches!(inputs.0.get("Role"), Some(Input::Enum(v)) if v.len() == 3));
        assert!(matches!(
            inputs.0.get("CreateOrganizationInput"),
            Some(Input::Object(_))
        ));
    }

    #[test]
    fn values_must_fit_their_declared_types() {
        let lookup = "query($s: String!) { organization(shortName: $s) { name } }";
        assert!(check_text(lookup, serde_json::json!({"s": "MITx"})).is_ok());
        for bad in [
            serde_json::json!({}),
            serde_json::json!({"s": null}),
            serde_json::json!({"s": 5}),
        ] {
            let err = check_text(lookup, bad.clone());
            assert!(
                err.as_ref().is_err_and(|m| m.contains("$s")),
                "{bad}: {err:?}"
            );
        }
        let paged = "query($n: Int, $e: [ChangeEntity!]) { changes(first: $n, entities: $e) { totalCount } }";
        assert!(check_text(paged, serde_json::json!({"n": 3, "e": "GRANT"})).is_ok());
        assert!(check_text(paged, serde_json::json!({"n": 1.5})).is_err());
        assert!(check_text(paged, serde_json::json!({"e": ["NOPE"]})).is_err());
        let create =
            "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }";
        assert!(
            check_text(
                create,
                serde_json::json!({"i": {"shortName": "A", "name": "A"}})
            )
            .is_ok()
        );
        assert!(check_text(create, serde_json::json!({"i": {"shortName": "A"}})).is_err());
        assert!(
            check_text(
                create,
                serde_json::json!({"i": {"shortName": "A", "name": "A", "x": 1}})
            )
            .is_err()
        );
    }
}
