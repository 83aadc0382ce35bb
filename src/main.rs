// mimalloc: the service allocates many small, short-lived values per request (GraphQL values,
// rows, JSON). With glibc's malloc those took about a fifth of a list request's CPU. The
// `override` feature makes SQLite's own allocations (C code) use it too.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_e` (mimalloc.h); the Rust bindings do
/// not name it. The test below checks it against the option's default.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    tune_allocator();
    tenancy_gateway::cli::main()
}

/// mimalloc hands freed memory back to the OS one second after it is freed by default. Under
/// steady load that keeps a second's worth of answers resident, and 10 ms cut the peak RSS of the
/// nested-query benchmark from about 76 to 55 MiB for about 5% of its throughput. An operator's
/// `MIMALLOC_PURGE_DELAY` wins.
#[allow(unsafe_code)]
fn tune_allocator() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one integer option; mimalloc reads it each time it schedules a purge.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(unsafe_code)]
    fn the_purge_delay_option_is_the_one_tuned() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads integer options.
        let (before, delay, after) = unsafe {
            (
                libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY - 1),
                libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY),
                libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY + 1),
            )
        };
        // mimalloc v3's defaults: deprecated_eager_commit_delay 1, purge_delay 1000 ms,
        // use_numa_nodes 0.
        assert_eq!((before, delay, after), (1, 1000, 0));
    }
}
