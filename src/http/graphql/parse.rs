//! Reading GraphQL requests from a query string (GET) or a JSON body (POST).
//!
//! The parameters are checked by hand rather than by deserializing into async-graphql's
//! `Request`, which would accept a missing `query` as an empty document and report bad shapes
//! as driver-style text: here each problem is a 400 that names the parameter.

use serde_json::{Map, Value};

use crate::error::AppError;

/// One request or a batch (a JSON array of requests).
pub enum Parsed {
    Single(Box<async_graphql::Request>),
    Batch(Vec<async_graphql::Request>),
}

/// Reads a GET's query string: `query`, and optionally `operationName`, `variables` and
/// `extensions` (the last two as JSON-encoded objects).
pub fn from_query_string(query: &str) -> Result<async_graphql::Request, AppError> {
    let mut params = Map::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let value = match name.as_ref() {
            "query" | "operationName" => Value::String(value.into_owned()),
            "variables" | "extensions" => serde_json::from_str(&value)
                .map_err(|_| AppError::bad_request(format!("the {name} parameter is not JSON")))?,
            _ => continue,
        };
        if params.insert(name.clone().into_owned(), value).is_some() {
            return Err(AppError::bad_request(format!(
                "the {name} parameter is given twice"
            )));
        }
    }
    request(params)
}

/// Reads a POST's JSON body: an object, or an array of at most `max_batch` objects.
pub fn from_json_body(body: &[u8], max_batch: usize) -> Result<Parsed, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::bad_request("the request body is empty"));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| AppError::bad_request("the request body is not valid JSON"))?;
    match value {
        Value::Object(params) => Ok(Parsed::Single(Box::new(request(params)?))),
        Value::Array(items) => {
            if items.is_empty() {
                return Err(AppError::bad_request("the batch is empty"));
            }
            if items.len() > max_batch {
                return Err(AppError::too_complex(format!(
                    "the batch holds {} operations; the limit is {max_batch}",
                    items.len()
                )));
            }
            items
                .into_iter()
                .map(|item| match item {
                    Value::Object(params) => request(params),
                    _ => Err(AppError::bad_request(
                        "each request of a batch must be a JSON object",
                    )),
                })
                .collect::<Result<_, _>>()
                .map(Parsed::Batch)
        }
        _ => Err(AppError::bad_request(
            "the request body must be a JSON object (or an array of them)",
        )),
    }
}

fn request(mut params: Map<String, Value>) -> Result<async_graphql::Request, AppError> {
    let query = match params.remove("query") {
        Some(Value::String(query)) => query,
        None | Some(Value::Null) => {
            return Err(AppError::bad_request("the query parameter is missing"));
        }
        Some(_) => {
            return Err(AppError::bad_request(
                "the query parameter must be a string",
            ));
        }
    };
    let mut request = async_graphql::Request::new(query);
    match params.remove("operationName") {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) => request = request.operation_name(name),
        Some(_) => {
            return Err(AppError::bad_request(
                "the operationName parameter must be a string",
            ));
        }
    }
    match params.remove("variables") {
        None | Some(Value::Null) => {}
        Some(variables @ Value::Object(_)) => {
            request = request.variables(async_graphql::Variables::from_json(variables));
        }
        Some(_) => {
            return Err(AppError::bad_request(
                "the variables parameter must be an object",
            ));
        }
    }
    match params.remove("extensions") {
        None | Some(Value::Null) => {}
        Some(Value::Object(extensions)) => {
            for (name, value) in extensions {
                let value = async_graphql::Value::from_json(value)
                    .map_err(|_| AppError::bad_request("the extensions parameter is not valid"))?;
                request.extensions.0.insert(name, value);
            }
        }
        Some(_) => {
            return Err(AppError::bad_request(
                "the extensions parameter must be an object",
            ));
        }
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(result: Result<Parsed, AppError>) -> &'static str {
        match result {
            Ok(_) => "ok",
            Err(err) => err.code(),
        }
    }

    #[test]
    fn bodies_with_a_query_string_are_requests() {
        let body =
            br#"{"query":"{ a }","operationName":null,"variables":{"x":1},"extensions":{"k":"v"}}"#;
        let Ok(Parsed::Single(req)) = from_json_body(body, 10) else {
            panic!("not a single request")
        };
        assert_eq!(req.query, "{ a }");
        assert_eq!(req.extensions.0.len(), 1);
    }

    #[test]
    fn malformed_bodies_are_bad_requests() {
        for body in [
            "",
            "  ",
            "{ \"not a JSON",
            "42",
            "[]",
            "[1]",
            r#"{"qeury":"{ a }"}"#,
            r#"{"query":{"obj":"ect"}}"#,
            r#"{"query":"{ a }","operationName":false}"#,
            r#"{"query":"{ a }","variables":"string"}"#,
            r#"{"query":"{ a }","variables":["array"]}"#,
            r#"{"query":"{ a }","extensions":0}"#,
        ] {
            assert_eq!(
                code(from_json_body(body.as_bytes(), 10)),
                "BAD_REQUEST",
                "{body}"
            );
        }
    }

    #[test]
    fn batches_are_capped() {
        let two = br#"[{"query":"{ a }"},{"query":"{ b }"}]"#;
        assert!(matches!(from_json_body(two, 2), Ok(Parsed::Batch(b)) if b.len() == 2));
        assert_eq!(code(from_json_body(two, 1)), "QUERY_TOO_COMPLEX");
    }

    #[test]
    fn query_strings_carry_json_variables() {
        let req = from_query_string("query=query(%24n%3AInt)%7Ba%7D&variables=%7B%22n%22%3A1%7D")
            .map_err(|e| e.message())
            .unwrap();
        assert_eq!(req.query, "query($n:Int){a}");
        assert!(from_query_string("variables=%7B%7D").is_err(), "no query");
        assert!(from_query_string("query=%7Ba%7D&variables=nope").is_err());
        assert!(from_query_string("query=%7Ba%7D&query=%7Bb%7D").is_err());
    }
}
