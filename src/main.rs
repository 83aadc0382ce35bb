// mimalloc: the service allocates many small, short-lived values per request (GraphQL values,
// rows, JSON); glibc's malloc spent about a fifth of a list request's CPU on them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tenancy_gateway::cli::main()
}
