//! `docs/configuration.md`, generated from the command line's own definition (clap's `Command`):
//! every verb with its arguments, flags, environment variables, defaults and help, so the
//! reference cannot drift from `--help`. The hidden `reference` verb prints it; a test
//! (tests/api/docs.rs) fails when the checked-in file differs.

use std::fmt::Write;

use clap::{Arg, ArgAction, Command};

/// The command that regenerates the file (the stale-file test names it).
pub const REGENERATE: &str = "cargo run -- reference > docs/configuration.md";

/// The Markdown reference of `cli`.
pub fn markdown(cli: &Command) -> String {
    let name = cli.get_name();
    let mut out = String::new();
    let _ = writeln!(out, "# Configuration reference\n");
    let _ = writeln!(
        out,
        "<!-- Generated from the command line's definition by `{REGENERATE}`; \
         a test fails when it is stale. Do not edit by hand. -->\n"
    );
    let _ = writeln!(
        out,
        "Every setting is a flag of the verb that reads it and, where the table names one, an \
         environment variable; a flag given on the command line wins over the variable, and \
         every setting has a default that runs. `{name} VERB --help` prints the same text.\n"
    );
    let verbs: Vec<&Command> = cli.get_subcommands().filter(|c| !c.is_hide_set()).collect();
    let _ = writeln!(out, "| verb | what it does |\n| --- | --- |");
    for verb in &verbs {
        let _ = writeln!(
            out,
            "| [`{name} {v}`](#{v}) | {} |",
            cell(&first_sentence(verb)),
            v = verb.get_name()
        );
    }
    let global = options(cli);
    if !global.is_empty() {
        let _ = write!(out, "\n## Options of every verb\n\n{global}");
    }
    for verb in &verbs {
        let _ = writeln!(out, "\n## {}\n", verb.get_name());
        let about = verb
            .get_long_about()
            .or_else(|| verb.get_about())
            .map(|a| a.to_string())
            .unwrap_or_default();
        if !about.is_empty() {
            let _ = writeln!(out, "{}\n", about.trim());
        }
        let _ = writeln!(out, "```text\n{name} {}\n```\n", usage(verb));
        let table = options(verb);
        if table.is_empty() {
            let _ = writeln!(out, "No options.");
        } else {
            let _ = write!(out, "{table}");
        }
    }
    out
}

/// `VERB [OPTIONS] [FILE]`: the verb and its positional arguments.
fn usage(verb: &Command) -> String {
    let mut usage = verb.get_name().to_owned();
    if shown(verb).any(|a| !a.is_positional()) {
        usage.push_str(" [OPTIONS]");
    }
    for arg in shown(verb).filter(|a| a.is_positional()) {
        let name = value_name(arg);
        if arg.is_required_set() {
            usage.push_str(&format!(" {name}"));
        } else {
            usage.push_str(&format!(" [{name}]"));
        }
    }
    usage
}

/// The arguments a reader needs: the visible ones, and hidden ones with an environment
/// variable (a setting people set even when `--help` leaves it out).
fn shown(cmd: &Command) -> impl Iterator<Item = &Arg> {
    cmd.get_arguments()
        .filter(|a| !a.is_hide_set() || a.get_env().is_some())
        .filter(|a| !matches!(a.get_action(), ArgAction::Help | ArgAction::Version))
}

/// The table of `cmd`'s own arguments (empty when it has none).
fn options(cmd: &Command) -> String {
    let mut rows = String::new();
    for arg in shown(cmd) {
        let flag = match (arg.get_long(), arg.is_positional()) {
            (_, true) => format!("`{}`", value_name(arg)),
            (Some(long), false) if takes_value(arg) => {
                format!("`--{long} <{}>`", value_name(arg))
            }
            (Some(long), false) => format!("`--{long}`"),
            (None, false) => format!("`-{}`", arg.get_short().unwrap_or('?')),
        };
        let env = arg
            .get_env()
            .map(|e| format!("`{}`", e.to_string_lossy()))
            .unwrap_or_default();
        let default = if takes_value(arg) {
            let values: Vec<String> = arg
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect();
            if values.is_empty() {
                String::new()
            } else {
                format!("`{}`", values.join(","))
            }
        } else {
            String::new()
        };
        let mut meaning = arg
            .get_long_help()
            .or_else(|| arg.get_help())
            .map(|h| h.to_string())
            .unwrap_or_default();
        let choices: Vec<String> = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| format!("`{}`", v.get_name()))
            .collect();
        if !choices.is_empty() && takes_value(arg) {
            meaning.push_str(&format!(" (one of {})", choices.join(", ")));
        }
        if arg.is_required_set() {
            meaning.insert_str(0, "**Required.** ");
        }
        if arg.is_hide_set() {
            meaning.push_str(" (Not listed by `--help`.)");
        }
        let _ = writeln!(
            rows,
            "| {flag} | {env} | {default} | {} |",
            cell(meaning.trim())
        );
    }
    if rows.is_empty() {
        return rows;
    }
    format!("| argument | environment | default | meaning |\n| --- | --- | --- | --- |\n{rows}")
}

fn takes_value(arg: &Arg) -> bool {
    matches!(arg.get_action(), ArgAction::Set | ArgAction::Append)
}

/// The metavariable clap would print (`--subject <SUBJECT>`): not an identity, and argument ids
/// are ASCII, so no folding rule applies.
fn value_name(arg: &Arg) -> String {
    arg.get_value_names()
        .and_then(|names| names.first())
        .map(|n| n.to_string())
        .unwrap_or_else(|| arg.get_id().as_str().to_ascii_uppercase())
}

fn first_sentence(cmd: &Command) -> String {
    let about = cmd.get_about().map(|a| a.to_string()).unwrap_or_default();
    about.lines().next().unwrap_or_default().trim().to_owned()
}

/// Text for one Markdown table cell: one line, pipes escaped.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_visible_setting_has_a_row_with_its_variable() {
        let cli = Command::new("tool").subcommand(
            Command::new("run")
                .about("Runs it.")
                .arg(
                    Arg::new("listen")
                        .long("listen")
                        .env("TOOL_LISTEN")
                        .default_value("127.0.0.1:8000")
                        .help("Where | to listen."),
                )
                .arg(Arg::new("quiet").long("quiet").action(ArgAction::SetTrue))
                .arg(Arg::new("secret").long("secret").hide(true))
                .arg(Arg::new("file").required(false)),
        );
        let text = markdown(&cli);
        assert!(
            text.contains(
                "| `--listen <LISTEN>` | `TOOL_LISTEN` | `127.0.0.1:8000` | Where \\| to listen. |"
            ),
            "{text}"
        );
        assert!(text.contains("| `--quiet` |  |  |  |"), "{text}");
        assert!(
            !text.contains("--secret"),
            "hidden without a variable: {text}"
        );
        assert!(text.contains("tool run [OPTIONS] [FILE]"), "{text}");
        assert!(text.contains("| [`tool run`](#run) | Runs it. |"), "{text}");
    }
}
