fn main() -> std::process::ExitCode {
    tenancy_gateway::cli::main()
}
