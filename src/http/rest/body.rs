//! PUT's body read as edx-organizations' `OrganizationSerializer` reads it, with DRF's field
//! messages: every field error at once, `{"field": ["message"]}`; `active` is refused first.

use serde_json::{Map, Value, json};

use crate::domain::names::{OrganizationName, ShortName};
use crate::service::edx_organizations::PutOrganization;

const REQUIRED: &str = "This field is required.";
const NOT_NULL: &str = "This field may not be null.";
const NOT_BLANK: &str = "This field may not be blank.";
const NOT_STRING: &str = "Not a valid string.";

/// The input, or the 400 body DRF would answer.
pub fn parse(value: &Value) -> Result<PutOrganization, Value> {
    let Some(fields) = value.as_object() else {
        let message = "Invalid data. Expected a dictionary, but got {kind}.";
        let kind = match value {
            Value::Array(_) => "list",
            Value::String(_) => "str",
            Value::Bool(_) => "bool",
            Value::Number(n) if n.is_f64() => "float",
            Value::Number(_) => "int",
            _ => "NoneType",
        };
        return Err(json!({"non_field_errors": [message.replace("{kind}", kind)]}));
    };
    if fields.contains_key("active") {
        return Err(json!([
            "Value of 'active' may not be specified via Organizations HTTP API."
        ]));
    }
    let mut errors = Map::new();
    // The model's `max_length`s, which are this service's limits too; the service checks every
    // other rule (description, logo URL, characters) as for GraphQL.
    let name = text(
        fields,
        "name",
        true,
        false,
        OrganizationName::MAX,
        &mut errors,
    );
    let short_name = text(
        fields,
        "short_name",
        true,
        false,
        ShortName::MAX,
        &mut errors,
    );
    let description = match fields.get("description") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(_) => text(fields, "description", false, true, usize::MAX, &mut errors).map(Some),
    };
    let logo_url = text(fields, "logo_url", false, false, usize::MAX, &mut errors);
    if !errors.is_empty() {
        return Err(Value::Object(errors));
    }
    Ok(PutOrganization {
        short_name: short_name.unwrap_or_default(),
        name: name.unwrap_or_default(),
        description,
        logo_url,
    })
}

/// A `CharField`: numbers and booleans become their text as DRF makes them; DRF trims
/// whitespace before checking blank and length.
fn text(
    fields: &Map<String, Value>,
    field: &str,
    required: bool,
    allow_blank: bool,
    max: usize,
    errors: &mut Map<String, Value>,
) -> Option<String> {
    let mut refuse = |message: String| {
        errors.insert(field.to_owned(), json!([message]));
        None
    };
    let value = match fields.get(field) {
        None if required => return refuse(REQUIRED.into()),
        None => return None,
        Some(Value::Null) => return refuse(NOT_NULL.into()),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Bool(b)) => if *b { "True" } else { "False" }.to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return refuse(NOT_STRING.into()),
    };
    if value.is_empty() && !allow_blank {
        return refuse(NOT_BLANK.into());
    }
    if value.chars().count() > max {
        return refuse(format!(
            "Ensure this field has no more than {max} characters."
        ));
    }
    Some(value)
}
