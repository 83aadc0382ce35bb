#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Integration tests over HTTP. Each test starts the real router on port 0 with a fresh
//! database, once on SQLite and once on the PostgreSQL named by `TENANCY_TEST_POSTGRES_URL`
//! (`scripts/test.sh` starts one). The tree mirrors the API.

mod support;

mod access;
mod admin;
mod auth;
mod auth_differential;
mod auth_writes;
mod backfill;
mod backfill_cli;
mod binary;
mod browser;
mod caching;
mod courses;
mod crash;
mod descriptions;
mod docs;
mod errors;
mod faults;
mod first_hour;
mod flat;
mod fuzz;
mod history;
mod hostile;
mod http;
mod identity;
mod import;
mod import_locks;
mod import_log;
mod layers;
mod leaks;
mod limits;
mod link_order;
mod live;
mod load;
mod observability;
mod organizations;
mod over_http;
mod pages;
mod read_replicas;
mod reads;
mod refusals;
mod replicas;
mod response_cache;
mod rest;
mod rest_differential;
mod retries;
mod schema;
mod statements;
mod tenancy;
