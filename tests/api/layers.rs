//! The layer rules of docs/architecture.md ("Layers"), checked on the source: adapters hold no SQL,
//! services hold no SQL, the domain never touches a connection, repo holds no rules, no
//! GraphQL operation reaches the schema except through the pipeline (the one door), and
//! nothing but the identity module folds a name.

use std::path::{Path, PathBuf};

struct Rule {
    layer: &'static str,
    /// Paths under the crate root that belong to the layer.
    paths: &'static [&'static str],
    /// Paths under those that the rule does not cover.
    except: &'static [&'static str],
    /// Text that may not appear in the layer's code (comments excluded).
    forbidden: &'static [&'static str],
}

/// Query building and execution: sea-orm's entity API, sea-query, raw statements.
const SQL: &[&str] = &[
    "Entity::",
    "::Column",
    "Column::",
    "sea_query",
    "EntityTrait",
    "QueryFilter",
    "ColumnTrait",
    "ConnectionTrait",
    "query_all",
    "query_one",
    "execute_unprepared",
    "execute_raw",
    "find_by_statement",
    "Statement::",
    "begin_write",
];

const RULES: &[Rule] = &[
    Rule {
        layer: "adapters (graphql, http, cli)",
        paths: &["src/graphql", "src/http", "src/cli", "src/cli.rs"],
        except: &[],
        forbidden: SQL,
    },
    Rule {
        layer: "service",
        paths: &["src/service"],
        except: &[],
        forbidden: &[
            "Entity::",
            "Column::",
            "sea_query",
            "EntityTrait",
            "QueryFilter",
            "query_all",
            "execute_unprepared",
            "execute_raw",
            "Statement::",
        ],
    },
    Rule {
        layer: "domain",
        paths: &["src/domain"],
        except: &[],
        forbidden: &[
            "ConnectionTrait",
            "DatabaseConnection",
            "DatabaseTransaction",
            "TransactionTrait",
            "crate::db",
            "crate::repo",
            "crate::service",
            "EntityTrait",
            "ActiveModelTrait",
            "query_all",
            "execute_unprepared",
        ],
    },
    Rule {
        layer: "repo",
        paths: &["src/repo"],
        except: &[],
        forbidden: &[
            "crate::service",
            "crate::graphql",
            "crate::http",
            "crate::access::decide",
            "crate::access::check",
        ],
    },
    Rule {
        layer: "everything but the pipeline (the one door)",
        paths: &["src"],
        except: &["src/pipeline"],
        forbidden: SCHEMA_CALLS,
    },
    Rule {
        layer: "the schema value: built by graphql, kept by the pipeline",
        paths: &["src"],
        except: &["src/pipeline", "src/graphql", "src/state.rs", "src/app.rs"],
        forbidden: &["AppSchema", "build_schema", "async_graphql::Schema"],
    },
    Rule {
        layer: "the pipeline (framework-free)",
        paths: &["src/pipeline"],
        except: &[],
        forbidden: &["axum", "crate::http"],
    },
    Rule {
        layer: "access (one place for who may see and change what)",
        paths: &["src"],
        // `auth` turns a token into a scope, `token` mints one, `viewer` shows the caller.
        except: &[
            "src/access",
            "src/auth",
            "src/cli/token.rs",
            "src/graphql/query/viewer.rs",
        ],
        forbidden: ACCESS_DECISIONS,
    },
    Rule {
        layer: "access runs no SQL itself (repo::access does)",
        paths: &["src/access"],
        except: &[],
        forbidden: &[
            "EntityTrait",
            "query_all",
            "query_one",
            "execute_unprepared",
            "find_by_statement",
            "Statement::",
        ],
    },
    Rule {
        layer: "identity (one folding rule, docs/design.md)",
        paths: &["src"],
        except: &["src/domain/names.rs", "src/domain/names"],
        forbidden: FOLDING,
    },
];

/// Reading a caller's privileges (a decision), or handing a service an actor, anywhere but in
/// `access`.
const ACCESS_DECISIONS: &[&str] = &[
    ".administrator",
    ".org_filter",
    ".restricted",
    "allows_org(",
    "allows_row(",
    "Actor {",
];

/// Ways to run a GraphQL operation on the schema.
const SCHEMA_CALLS: &[&str] = &[
    "execute_stream",
    "execute_batch",
    "Executor",
    "schema.execute",
    ".execute(req",
];

/// Folding a name: the identity module's `Key` is the only way (clippy.toml refuses the
/// standard library's case mappings the same way, for every target).
const FOLDING: &[&str] = &[
    "keys::fold",
    "to_lowercase",
    "to_uppercase",
    "caseless",
    "default_case_fold",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    if dir.extension().is_some_and(|e| e == "rs") {
        out.push(dir.to_owned());
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        rust_files(&entry.path(), out);
    }
}

/// `file:line: text (forbidden: what)` for every forbidden text outside comments.
fn violations(file: &str, source: &str, forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in source.lines().enumerate() {
        let code = without_comment(line);
        for what in forbidden {
            if contains_token(code, what) {
                found.push(format!(
                    "{file}:{}: {} (forbidden: {what})",
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    found
}

/// `line` up to a `//` comment; a `//` inside a string literal (`"http://..."`) is code.
fn without_comment(line: &str) -> &str {
    let (mut in_string, mut escaped) = (false, false);
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            // `'"'` is a character, not the start of a string.
            b'"' if i > 0 && bytes[i - 1] == b'\'' && bytes.get(i + 1) == Some(&b'\'') => {}
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
    }
    line
}

/// `what` occurs in `code` not as the tail of a longer identifier (`ChangeEntity::` is not
/// `Entity::`).
fn contains_token(code: &str, what: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    code.match_indices(what)
        .any(|(i, _)| !what.starts_with(ident) || !code[..i].chars().next_back().is_some_and(ident))
}

#[test]
fn every_layer_keeps_its_rule() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    let mut checked = 0;
    for rule in RULES {
        let mut files = Vec::new();
        for path in rule.paths {
            rust_files(&root.join(path), &mut files);
        }
        files.retain(|f| !rule.except.iter().any(|e| f.starts_with(root.join(e))));
        assert!(!files.is_empty(), "no files for layer {}", rule.layer);
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            let name = file.strip_prefix(root).unwrap().display().to_string();
            checked += 1;
            all.extend(
                violations(&name, &source, rule.forbidden)
                    .into_iter()
                    .map(|v| format!("[{}] {v}", rule.layer)),
            );
        }
    }
    assert!(checked > 50, "only {checked} files checked");
    assert!(all.is_empty(), "layer rules broken:\n{}", all.join("\n"));
}

#[test]
fn the_check_finds_what_it_forbids() {
    let adapter = "use sea_orm::EntityTrait;\n// Entity::find() in a comment is fine\nlet x = organization::Entity::find();";
    let found = violations("src/graphql/x.rs", adapter, SQL);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("src/graphql/x.rs:1:"), "{found:?}");
    assert!(found[1].starts_with("src/graphql/x.rs:3:"), "{found:?}");
    assert!(violations("x.rs", "ChangeEntity::parse(s)", SQL).is_empty());
    let domain =
        "use sea_orm::EntityTrait;\nasync fn f<C: ConnectionTrait>(db: &C) { x.one(db).await }";
    assert_eq!(
        violations("src/domain/x.rs", domain, RULES[2].forbidden).len(),
        2
    );
    let hidden = "let u = \"http://x\"; let a = state.schema.execute_stream(r); // execute_stream";
    assert_eq!(violations("src/http/x.rs", hidden, SCHEMA_CALLS).len(), 2);
    let door = "let answers = state.schema.execute_stream(request);";
    assert_eq!(violations("src/http/x.rs", door, SCHEMA_CALLS).len(), 2);
    let decided = "if actor.scope.administrator { return Ok(()); }\nlet a = Actor { db, scope };\nauthz::require_filter_allows_row(scope, &org)?;";
    assert_eq!(
        violations("src/service/x.rs", decided, ACCESS_DECISIONS).len(),
        2
    );
    let iterator = "labels.iter().all(|l| ok(l))";
    assert!(violations("src/domain/x.rs", iterator, RULES[2].forbidden).is_empty());
    let folding = "let key = entity::keys::fold(name);\nlet k = name.to_lowercase(); // a comment: to_lowercase\nlet a = name.to_ascii_lowercase();";
    let found = violations("src/service/x.rs", folding, FOLDING);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].contains("keys::fold") && found[1].contains("to_lowercase"),
        "{found:?}"
    );
}

#[test]
fn only_the_identity_module_is_spared_the_folding_rule() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rule = RULES.iter().find(|r| r.forbidden == FOLDING).unwrap();
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let spared: Vec<String> = files
        .iter()
        .filter(|f| rule.except.iter().any(|e| f.starts_with(root.join(e))))
        .map(|f| f.strip_prefix(root).unwrap().display().to_string())
        .collect();
    assert!(
        spared.contains(&"src/domain/names.rs".to_owned()),
        "{spared:?}"
    );
    assert!(
        spared.iter().all(|f| f.starts_with("src/domain/names")),
        "{spared:?}"
    );
    // The module itself does fold, so the exception is the one that matters.
    let names = std::fs::read_to_string(root.join("src/domain/names.rs")).unwrap();
    assert!(!violations("src/domain/names.rs", &names, FOLDING).is_empty());
}
