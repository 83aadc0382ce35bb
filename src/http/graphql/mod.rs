//! GraphQL over HTTP: builds the per-request context (caller, host, loaders) and executes.

use std::sync::Arc;

use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::auth;
use crate::graphql::batch::BatchQueue;
use crate::graphql::context::RequestCtx;
use crate::graphql::loader::Loaders;

pub async fn post(
    State(state): State<AppState>,
    headers: HeaderMap,
    req: GraphQLRequest,
) -> GraphQLResponse {
    execute(&state, &headers, req.into_inner()).await.into()
}

/// GET serves GraphiQL to browsers and GraphQL queries to everyone else.
pub async fn get(State(state): State<AppState>, req: Request) -> Response {
    if wants_html(req.headers()) {
        return super::graphiql::page().await.into_response();
    }
    let headers = req.headers().clone();
    match GraphQLRequest::<async_graphql_axum::rejection::GraphQLRejection>::from_request(
        req, &state,
    )
    .await
    {
        Ok(gql) => {
            GraphQLResponse::from(execute(&state, &headers, gql.into_inner()).await).into_response()
        }
        Err(rejection) => rejection.into_response(),
    }
}

fn wants_html(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept
        .split(',')
        .next()
        .is_some_and(|first| first.trim().starts_with("text/html"))
}

async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    req: async_graphql::Request,
) -> async_graphql::Response {
    let scope = match auth::scope_from_headers(&state.config, headers) {
        Ok(scope) => Arc::new(scope),
        Err(err) => {
            let err: async_graphql::Error = err.into();
            return async_graphql::Response::from_errors(vec![
                err.into_server_error(Default::default()),
            ]);
        }
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let queue = BatchQueue::default();
    let loaders = Loaders::new(&state.db, scope.clone(), &queue);
    let req = req.data(RequestCtx {
        scope,
        host,
        loaders,
    });
    queue.drive(state.schema.execute(req)).await
}
