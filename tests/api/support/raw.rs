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

impl TestApp {
    /// The status answered to a POST that declares a `content_length`-byte body but has not
    /// sent it yet. (Sending a body the server refuses races with the server closing the
    /// connection, which makes the client see a broken pipe instead of the 413.)
    pub async fn status_for_declared_body(&self, content_length: usize) -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .expect("connect");
        let head = format!(
            "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {content_length}\r\n\r\n",
            self.addr
        );
        stream.write_all(head.as_bytes()).await.expect("write head");
        let mut buf = vec![0u8; 1024];
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("an answer before the body is sent")
            .expect("read");
        let text = String::from_utf8_lossy(&buf[..n]);
        text.split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line: {text:?}"))
    }
}
