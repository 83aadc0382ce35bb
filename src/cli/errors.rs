//! Errors at the command line, each on one line: the value, the flag or environment variable
//! it came from (the one the user actually set), the expected form and a hint. clap's own
//! messages span several lines and name the flag even when the value came from the
//! environment.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, FromArgMatches};

/// Exit status of a usage error (clap's).
const USAGE: u8 = 2;

/// Parses the command line; on an error prints one line to stderr and returns the exit status.
pub fn parse<T: CommandFactory + FromArgMatches>() -> Result<T, ExitCode> {
    let argv: Vec<OsString> = std::env::args_os().collect();
    let mut command = T::command();
    let result = command
        .try_get_matches_from_mut(&argv)
        .and_then(|matches| T::from_arg_matches(&matches));
    match result {
        Ok(value) => Ok(value),
        Err(err)
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            let _ = err.print();
            Err(ExitCode::SUCCESS)
        }
        Err(err) => {
            eprintln!("error: {}", one_line(&err, &command, &argv));
            Err(ExitCode::from(USAGE))
        }
    }
}

fn one_line(err: &clap::Error, command: &clap::Command, argv: &[OsString]) -> String {
    let argv: Vec<String> = argv
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let verb = argv
        .iter()
        .skip(1)
        .find(|a| command.find_subcommand(a.as_str()).is_some())
        .map_or(String::new(), |v| format!(" {v}"));
    let hint = format!("hint: see `{}{verb} --help`", super::hints::invocation());
    let text = |kind| match err.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    // clap lists the missing arguments on lines of their own, after a first line without them.
    if err.kind() == ErrorKind::MissingRequiredArgument
        && let Some(ContextValue::Strings(missing)) = err.get(ContextKind::InvalidArg)
    {
        let (noun, verb_form) = if missing.len() == 1 {
            ("argument", "was")
        } else {
            ("arguments", "were")
        };
        return format!(
            "the required {noun} {} {verb_form} not given; {hint}",
            missing.join(", ")
        );
    }
    let (Some(invalid_arg), Some(value)) = (
        text(ContextKind::InvalidArg),
        text(ContextKind::InvalidValue),
    ) else {
        // Not a bad value (an unknown flag, a missing one): clap's first line says it.
        let rendered = err.render().to_string();
        let first = rendered.lines().next().unwrap_or_default();
        return format!("{}; {hint}", first.trim_start_matches("error: "));
    };
    let flag = invalid_arg.split(' ').next().unwrap_or_default().to_owned();
    let arg = find_arg(command, flag.trim_start_matches("--"));
    let env = arg
        .and_then(|a| a.get_env())
        .map(|e| e.to_string_lossy().into_owned());
    let source = source(&flag, env.as_deref(), &argv);
    let hidden = arg.is_some_and(|a| a.is_hide_env_values_set());
    let shown = if hidden {
        "(hidden)".to_owned()
    } else {
        format!("{:?}", crate::db::open::display(&value))
    };
    let expected = match err.get(ContextKind::ValidValue) {
        _ if flag_is_bool(arg) => "expected true/false/1/0/yes/no (any case)".to_owned(),
        Some(ContextValue::Strings(valid)) => format!("expected one of {}", valid.join(", ")),
        _ => std::error::Error::source(err)
            .map_or_else(|| "not a valid value".to_owned(), |cause| cause.to_string()),
    };
    format!("{source}={shown} is not valid: {expected}; {hint}")
}

/// Whether the argument takes a boolean (clap lists its literals as the valid values).
fn flag_is_bool(arg: Option<&clap::Arg>) -> bool {
    arg.is_some_and(|a| {
        a.get_possible_values()
            .iter()
            .any(|v| v.get_name() == "true")
    })
}

/// The argument named `--long` anywhere in the command tree.
fn find_arg<'a>(command: &'a clap::Command, long: &str) -> Option<&'a clap::Arg> {
    command
        .get_arguments()
        .find(|a| a.get_long() == Some(long))
        .or_else(|| {
            command
                .get_subcommands()
                .find_map(|sub| find_arg(sub, long))
        })
}

/// The flag when the user passed it, else the environment variable when set.
fn source(flag: &str, env: Option<&str>, argv: &[String]) -> String {
    let passed = argv
        .iter()
        .any(|a| a == flag || a.starts_with(&format!("{flag}=")));
    match env {
        Some(env) if !passed && std::env::var_os(env).is_some() => env.to_owned(),
        _ => flag.to_owned(),
    }
}

/// A count of 1 or more (`token --ttl`: a zero lifetime mints a token that is already expired).
pub fn positive(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("expected a whole number, 1 or more".to_owned()),
    }
}

/// `--listen`: HOST:PORT. Host names are resolved when binding.
pub fn parse_listen(text: &str) -> Result<String, String> {
    let form = "expected HOST:PORT such as 127.0.0.1:8000 or [::1]:8000 (port 0 picks a free port)";
    if text.parse::<std::net::SocketAddr>().is_ok() {
        return Ok(text.to_owned());
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
            Ok(text.to_owned())
        }
        _ => Err(form.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses() {
        for ok in ["127.0.0.1:8000", "[::1]:0", "localhost:8000", "0.0.0.0:80"] {
            assert_eq!(parse_listen(ok).as_deref(), Ok(ok));
        }
        for bad in ["8000", ":8000", "localhost", "127.0.0.1:99999", ""] {
            assert!(parse_listen(bad).is_err(), "{bad}");
        }
    }
}
