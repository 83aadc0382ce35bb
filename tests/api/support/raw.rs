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

/// A `{ __typename }` POST to /graphql whose body is not all sent: in flight until `finish`.
pub struct Held {
    stream: tokio::net::TcpStream,
    tail: String,
}

impl TestApp {
    /// Sends all of a small GraphQL POST but the end of its body (from `forwarded_for`, an
    /// `X-Forwarded-For` value, when given), so that it stays in flight.
    pub async fn hold(&self, forwarded_for: Option<&str>) -> Held {
        use tokio::io::AsyncWriteExt;
        let body = serde_json::json!({ "query": "{ __typename }" }).to_string();
        let (head, tail) = body.split_at(5);
        let forwarded = forwarded_for
            .map(|f| format!("X-Forwarded-For: {f}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "POST /graphql HTTP/1.1\r\nHost: {}\r\n{forwarded}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
            self.addr,
            body.len()
        );
        let mut stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .expect("connect");
        stream.write_all(request.as_bytes()).await.expect("write");
        Held {
            stream,
            tail: tail.to_owned(),
        }
    }
}

impl Held {
    /// Whether the server has answered already: it refused the request, which arrived while
    /// its client was at its share (another request of the client's was in flight then).
    pub fn answered(&self) -> bool {
        let mut buf = [0u8; 1];
        !matches!(self.stream.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
    }

    /// Sends the rest of the body; the whole answer.
    pub async fn finish(mut self) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        self.stream
            .write_all(self.tail.as_bytes())
            .await
            .expect("write");
        let mut answer = String::new();
        self.stream.read_to_string(&mut answer).await.expect("read");
        answer
    }
}
