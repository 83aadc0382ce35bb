//! The request limits (`--max-*` flags), with defaults that admit every legitimate client.

use std::time::Duration;

use clap::Args;

use super::{at_least_one, parse_bytes, parse_duration};

/// Limits that stop hostile or runaway requests before they reach the database. The defaults
/// admit every query the API's own clients send (GraphiQL's introspection, the federation
/// router's `_entities` batches, the deepest nested read of the test suite) with room to spare.
#[derive(Args, Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Deepest field nesting a query may have (fragments count where they are spread).
    #[arg(long = "max-query-depth", env = "TENANCY_MAX_QUERY_DEPTH", value_parser = at_least_one, default_value_t = Limits::DEFAULT.query_depth, global = true)]
    pub query_depth: usize,

    /// Most fields a request's document may select once fragments are expanded; every alias
    /// counts as a field of its own.
    #[arg(long = "max-query-complexity", env = "TENANCY_MAX_QUERY_COMPLEXITY", value_parser = at_least_one, default_value_t = Limits::DEFAULT.query_complexity, global = true)]
    pub query_complexity: usize,

    /// Most operations in one batched (JSON array) POST.
    #[arg(long = "max-batch-size", env = "TENANCY_MAX_BATCH_SIZE", value_parser = at_least_one, default_value_t = Limits::DEFAULT.batch_size, global = true)]
    pub batch_size: usize,

    /// Largest request body in bytes (`2097152`, or `2MiB`); larger ones are answered 413.
    #[arg(long = "max-body-bytes", env = "TENANCY_MAX_BODY_BYTES", value_parser = parse_bytes, default_value_t = Limits::DEFAULT.body_bytes, global = true)]
    pub body_bytes: usize,

    /// Time one GraphQL operation may run (`500ms`, `30s`, `2m`); past it, it is stopped and
    /// answered 504 with the code TIMEOUT.
    #[arg(
        long,
        env = "TENANCY_REQUEST_TIMEOUT",
        default_value = "30s",
        value_parser = parse_duration,
        global = true
    )]
    pub request_timeout: Duration,

    /// GraphQL requests one client (peer address) may have in flight; more are answered 429.
    /// Keeps one client from holding every database connection.
    #[arg(long = "max-inflight-per-client", env = "TENANCY_MAX_INFLIGHT_PER_CLIENT", value_parser = at_least_one, default_value_t = Limits::DEFAULT.inflight_per_client, global = true)]
    pub inflight_per_client: usize,

    /// Queries executed at the same time; more wait (within the time limit) for a slot. 0, the
    /// default, means one per CPU core on SQLite and four per core on PostgreSQL. A large
    /// answer is built in memory before it is sent, so this bounds memory under load; queries
    /// use the CPU (SQLite runs in-process) or wait on the network (PostgreSQL), hence the
    /// two defaults. Mutations are not counted: one waiting for the write lock must not hold
    /// up readers.
    #[arg(long = "max-concurrent-queries", env = "TENANCY_MAX_CONCURRENT_QUERIES", default_value_t = Limits::DEFAULT.concurrent_queries, global = true)]
    pub concurrent_queries: usize,

    /// Most fields an answer could hold, counted before anything runs: each connection's
    /// `edges` count `first` times (100 without it), each `_entities` representation counts its
    /// selection again, aliases and fragments count where used.
    #[arg(long = "max-query-cost", env = "TENANCY_MAX_QUERY_COST", value_parser = clap::value_parser!(u64).range(1..), default_value_t = Limits::DEFAULT.query_cost, global = true)]
    pub query_cost: u64,

    /// Largest JSON answer to one operation, in bytes; a larger one is replaced by the error
    /// RESPONSE_TOO_LARGE (the answer is cut while it is written, never buffered in full).
    #[arg(long = "max-response-bytes", env = "TENANCY_MAX_RESPONSE_BYTES", value_parser = parse_bytes, default_value_t = Limits::DEFAULT.response_bytes, global = true)]
    pub response_bytes: usize,

    /// Time a client has to send a request's headers, counted from when the connection opens or
    /// its previous response ends: an idle keep-alive connection is closed after it as well.
    #[arg(long, env = "TENANCY_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration, global = true)]
    pub header_read_timeout: Duration,

    /// Time a client has to send a request's whole body; a slower one is answered 408 and
    /// its connection closed.
    #[arg(long, env = "TENANCY_BODY_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration, global = true)]
    pub body_read_timeout: Duration,

    /// Open HTTP connections at most (SSE streams included; a WebSocket leaves the count once
    /// upgraded); further clients wait in the listen backlog until one closes.
    #[arg(long = "max-connections", env = "TENANCY_MAX_CONNECTIONS", value_parser = at_least_one, default_value_t = Limits::DEFAULT.connections, global = true)]
    pub connections: usize,

    /// How long a client over `--max-inflight-per-client` waits for one of its requests to end
    /// before it is answered 429.
    #[arg(long, env = "TENANCY_CLIENT_QUEUE_TIMEOUT", default_value = "5s", value_parser = parse_duration, global = true)]
    pub client_queue_timeout: Duration,

    /// Requests of one client that may wait in that queue; more are answered 429 at once.
    #[arg(long = "max-queued-per-client", env = "TENANCY_MAX_QUEUED_PER_CLIENT", default_value_t = Limits::DEFAULT.queued_per_client, global = true)]
    pub queued_per_client: usize,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        query_depth: 16,
        query_complexity: 500,
        batch_size: 10,
        body_bytes: 2 * 1024 * 1024,
        request_timeout: Duration::from_secs(30),
        inflight_per_client: 6,
        concurrent_queries: 0,
        query_cost: 1_000_000,
        response_bytes: 64 * 1024 * 1024,
        header_read_timeout: Duration::from_secs(10),
        body_read_timeout: Duration::from_secs(10),
        connections: 4096,
        client_queue_timeout: Duration::from_secs(5),
        queued_per_client: 256,
    };

    /// `concurrent_queries` with 0 resolved for the engine of `database_url`.
    pub fn query_slots(&self, database_url: &str) -> usize {
        if self.concurrent_queries > 0 {
            return self.concurrent_queries;
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        if database_url.starts_with("sqlite:") {
            cores
        } else {
            4 * cores
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
