//! tenancy-gateway: one tenancy graph for Open edX (partners, sites, organizations, course
//! links) served as an Apollo Federation v2 subgraph.

pub mod access;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod follow;
pub mod graphql;
pub mod http;
pub mod live;
pub mod metrics;
pub mod pipeline;
pub mod progress;
pub mod replicas;
pub mod repo;
pub mod service;
pub mod state;
