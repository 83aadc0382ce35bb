//! Requests with full control over method, headers and body, for the HTTP-level tests.

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::TestApp;

/// A whole HTTP answer; `body` is `Value::Null` when it is not JSON, with the text in `text`.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl TestApp {
    /// Sends `body` to /graphql with exactly the `headers` given.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Answer {
        let mut req = self.client().request(method, self.url(path));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(body) = body {
            req = req.body(body);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            text,
            body,
        }
    }

    /// POSTs a JSON body to /graphql, accepting `accept` (none when `None`).
    pub async fn post_json(&self, body: &Value, accept: Option<&str>) -> Answer {
        let mut headers = vec![("content-type", "application/json")];
        if let Some(accept) = accept {
            headers.push(("accept", accept));
        }
        self.raw(Method::POST, "/graphql", &headers, Some(body.to_string()))
            .await
    }

    /// SQL statements the service ran while `f` ran, for any kind of request.
    pub async fn statements_around<T>(&self, f: impl Future<Output = T>) -> (u64, T) {
        let before = self.metric("tenancy_sql_statements_total").await;
        let value = f.await;
        let after = self.metric("tenancy_sql_statements_total").await;
        ((after - before) as u64, value)
    }
}
