//! The docs stay true to the repository: `docs/configuration.md` is exactly what the binary
//! generates from its command-line definition (every verb, flag, environment variable and
//! default), and no Markdown file links to a file the repository does not have.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_tenancy-gateway");
const REGENERATE: &str = "cargo run -- reference > docs/configuration.md";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_configuration_reference_is_what_the_binary_generates() {
    let out = Command::new(BIN).arg("reference").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let generated = String::from_utf8(out.stdout).unwrap();
    let checked_in =
        std::fs::read_to_string(root().join("docs/configuration.md")).unwrap_or_default();
    if generated != checked_in {
        let first = generated
            .lines()
            .zip(checked_in.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || "(one is longer)".to_owned(),
                |i| format!("first difference at line {}", i + 1),
            );
        panic!("docs/configuration.md is stale ({first}): regenerate it with `{REGENERATE}`");
    }
    // What a reader looks for is there.
    for needle in [
        "## serve",
        "`TENANCY_MIGRATE`",
        "## token",
        "`--jwt-issuers <JWT_ISSUERS>`",
        "`DATABASE_URL`",
        "`sqlite://tenancy.db?mode=rwc`",
    ] {
        assert!(generated.contains(needle), "{needle} missing");
    }
}

/// Markdown files of the repository (not build output, dependencies or tool caches).
fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            let skipped = ["target", "node_modules", ".git", ".pg"].contains(&name.as_str())
                || path.ends_with("bench/out");
            if !skipped {
                markdown_files(&path, out);
            }
        } else if name.ends_with(".md") {
            out.push(path);
        }
    }
}

/// The link targets of `text` that name a file (`[text](target)` and `[label]: target`),
/// outside fenced code blocks; web addresses and in-page anchors are not files.
fn file_links(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let end = after.find(')').unwrap_or(after.len());
            targets.push(after[..end].to_owned());
            rest = &after[end..];
        }
        if let Some(target) = line
            .trim_start()
            .strip_prefix('[')
            .and_then(|l| l.split_once("]: "))
            .map(|(_, t)| t)
        {
            targets.push(target.to_owned());
        }
    }
    targets
        .into_iter()
        .map(|t| {
            let t = t.split_whitespace().next().unwrap_or_default();
            t.trim_start_matches('<').trim_end_matches('>').to_owned()
        })
        .filter(|t| {
            let scheme = t.split_once(':').is_some_and(|(s, _)| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
            });
            !t.is_empty() && !t.starts_with('#') && !scheme
        })
        .collect()
}

#[test]
fn every_markdown_link_names_a_file_of_the_repository() {
    let mut files = Vec::new();
    markdown_files(root(), &mut files);
    assert!(files.iter().any(|f| f.ends_with("README.md")), "{files:?}");
    let mut broken = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let dir = file.parent().unwrap();
        for target in file_links(&text) {
            let path = target.split('#').next().unwrap_or_default();
            let resolved = match path.strip_prefix('/') {
                Some(absolute) => root().join(absolute),
                None => dir.join(path),
            };
            if !resolved.exists() {
                let name = file.strip_prefix(root()).unwrap().display();
                broken.push(format!("{name}: ({target})"));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "links to files the repository lacks:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_link_check_finds_what_it_checks() {
    let text = "see [the design](docs/design.md#rules) and [web](https://x.test/a.md), \
                [here](#top)\n```\n[not a link](in/code.md)\n```\n[ref]: ../other.md \"t\"\n";
    assert_eq!(file_links(text), ["docs/design.md#rules", "../other.md"]);
}

#[test]
fn git_ignores_the_files_the_docs_examples_make() {
    for name in [
        "tenancy.db",
        "tenancy.db-wal",
        "tenancy.secret",
        "tenancy-backup.db",
        "tenancy.dump",
        "tenancy.cursor",
        "keys.txt",
        "openedx/lms.db",
    ] {
        let status = Command::new("git")
            .args(["check-ignore", "--quiet", "--no-index", name])
            .current_dir(root())
            .status()
            .expect("git");
        assert!(status.success(), "{name} is not ignored by .gitignore");
    }
}
