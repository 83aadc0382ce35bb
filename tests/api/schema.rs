//! The checked-in SDL is what the binary exports.

#[test]
fn schema_graphql_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    let exported = tenancy_gateway::graphql::sdl();
    if checked_in != exported {
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(path, &exported).expect("write schema.graphql");
            return;
        }
        panic!(
            "schema.graphql is stale: run `cargo run -- schema > schema.graphql` \
             (or UPDATE_SCHEMA=1 cargo test schema_graphql)"
        );
    }
}

#[test]
fn schema_is_a_federation_v2_subgraph_with_the_contract_keys() {
    let sdl = tenancy_gateway::graphql::sdl();
    assert!(
        sdl.contains("extend schema @link(")
            && sdl.contains("url: \"https://specs.apollo.dev/federation/v2."),
        "{sdl}"
    );
    for key in [
        r#"type Partner @key(fields: "shortCode")"#,
        r#"type Site @key(fields: "domain")"#,
        r#"type Organization @key(fields: "shortName")"#,
        r#"type Course @key(fields: "courseKey")"#,
    ] {
        assert!(sdl.contains(key), "missing {key}");
    }
    // Routers route subscriptions only to a subgraph whose SDL declares them (docs/federation.md).
    assert!(
        sdl.contains("type Subscription {") && sdl.contains("): Change!\n}"),
        "the federation SDL declares Subscription.changes"
    );
}
