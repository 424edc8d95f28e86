//! From a typed line to a command: tokens (shell quoting), the command tree, flags and arguments, with the
//! Confluent CLI's (cobra's) errors: unknown commands and flags get a "did you mean" suggestion, a missing
//! argument is named. Nothing here can panic on what a user types.

use std::collections::BTreeMap;

use super::spec::{Command, FlagSpec, COMMANDS, GLOBAL_FLAGS, OUTPUT_FLAG};
use super::CliError;

/// A command line, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub command: &'static Command,
    pub args: Vec<String>,
    /// Each flag given, by its long name; a boolean flag's value is "true".
    pub flags: BTreeMap<&'static str, String>,
}

impl Parsed {
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags.get(name).map(String::as_str)
    }

    pub fn has(&self, name: &str) -> bool {
        self.flags.contains_key(name)
    }
}

/// What a line asks for: a command to run, or help to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Run(Parsed),
    /// Help for a command, or for a group of commands (`confluent kafka`).
    Help(Vec<&'static str>),
    Empty,
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4) || c.starts_with(word) && !word.is_empty())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The words that may follow `path` in the command tree.
pub fn children(path: &[&str]) -> Vec<&'static str> {
    let mut words: Vec<&'static str> = COMMANDS
        .iter()
        .filter(|c| c.path.len() > path.len() && c.path[..path.len()] == *path)
        .map(|c| c.path[path.len()])
        .collect();
    words.dedup();
    words
}

/// What may follow the words typed so far (Tab completion): the subcommands at that point of the tree, or the
/// flags of the command the words name, that start with the last, unfinished word.
pub fn complete(line: &str) -> Vec<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let (done, partial) = match words.split_last() {
        Some((last, rest)) if !line.ends_with(' ') => (rest, *last),
        _ => (&words[..], ""),
    };
    let mut path: Vec<&str> = Vec::new();
    for w in done {
        if children(&path).contains(w) {
            path.push(w);
        }
    }
    let mut options: Vec<String> = children(&path).iter().map(|s| s.to_string()).collect();
    if let Some(c) = command_at(&path) {
        options.extend(all_flags(c).filter(|f| f.long != "help").map(|f| format!("--{}", f.long)));
    }
    options.into_iter().filter(|o| o.starts_with(partial)).collect()
}

pub fn parse(line: &str) -> Result<Line, CliError> {
    let tokens = shell_words::split(line).map_err(|_| CliError::usage("unterminated quote in the command line"))?;
    if tokens.is_empty() {
        return Ok(Line::Empty);
    }
    // The longest path of words that names a command or a group of them.
    let mut path: Vec<&'static str> = Vec::new();
    let mut rest = tokens.as_slice();
    while let Some(word) = rest.first().filter(|w| !w.starts_with('-')) {
        let Some(next) = children(&path).into_iter().find(|c| c == word) else { break };
        path.push(next);
        rest = &rest[1..];
        if command_at(&path).is_some() && children(&path).is_empty() {
            break;
        }
    }
    let wants_help = rest.iter().any(|t| t == "--help" || t == "-h");
    let Some(command) = command_at(&path) else {
        if wants_help || rest.is_empty() {
            if path.is_empty() {
                let first = tokens[0].as_str();
                return Err(unknown_command(first, &[], &children(&[])));
            }
            return Ok(Line::Help(path));
        }
        let word = rest[0].as_str();
        return Err(if word.starts_with('-') {
            unknown_flag(word, &path, &[])
        } else {
            unknown_command(word, &path, &children(&path))
        });
    };
    if wants_help {
        return Ok(Line::Help(path));
    }
    let (args, flags) = parse_flags(command, rest)?;
    check_args(command, &args)?;
    Ok(Line::Run(Parsed { command, args, flags }))
}

fn command_at(path: &[&str]) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.path == path && c.runnable)
}

fn all_flags(command: &'static Command) -> impl Iterator<Item = &'static FlagSpec> {
    let output = command.output.then_some(&OUTPUT_FLAG);
    command.flags.iter().chain(output).chain(GLOBAL_FLAGS.iter())
}

fn parse_flags(
    command: &'static Command,
    tokens: &[String],
) -> Result<(Vec<String>, BTreeMap<&'static str, String>), CliError> {
    let mut args = Vec::new();
    let mut flags = BTreeMap::new();
    let mut i = 0;
    while i < tokens.len() {
        let token = &tokens[i];
        i += 1;
        if token == "--" {
            args.extend(tokens[i..].iter().cloned());
            break;
        }
        let (spec, inline) = if let Some(long) = token.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (long, None),
            };
            let spec = all_flags(command)
                .find(|f| f.long == name)
                .ok_or_else(|| unknown_flag(token, command.path, command.flags))?;
            (spec, inline)
        } else if let Some(short) =
            token.strip_prefix('-').filter(|s| !s.is_empty() && !s.starts_with(char::is_numeric))
        {
            let mut chars = short.chars();
            let c = chars.next().unwrap_or_default();
            let spec = all_flags(command)
                .find(|f| f.short == Some(c))
                .ok_or_else(|| unknown_flag(token, command.path, command.flags))?;
            let inline = Some(chars.as_str().trim_start_matches('=').to_owned()).filter(|s| !s.is_empty());
            (spec, inline)
        } else {
            args.push(token.clone());
            continue;
        };
        let value = match (spec.value, inline) {
            (None, None) => "true".to_owned(),
            (None, Some(v)) if v == "true" || v == "false" => v,
            (None, Some(v)) => {
                return Err(CliError::usage(format!(
                    "invalid argument {v:?} for \"--{}\": it takes no value",
                    spec.long
                )))
            }
            (Some(_), Some(v)) => v,
            (Some(kind), None) => {
                let v = tokens
                    .get(i)
                    .cloned()
                    .ok_or_else(|| CliError::usage(format!("flag needs an argument: --{} (a {kind})", spec.long)))?;
                i += 1;
                v
            }
        };
        flags.insert(spec.long, value);
    }
    Ok((args, flags))
}

fn check_args(command: &Command, args: &[String]) -> Result<(), CliError> {
    let required = command.args.iter().filter(|a| !a.ends_with('?')).count();
    if args.len() < required {
        let missing: Vec<&str> = command.args[args.len()..required].iter().map(|a| a.trim_end_matches('?')).collect();
        return Err(CliError::usage(format!(
            "accepts {required} arg(s), received {}: missing {}\n\nUsage:\n  {}",
            args.len(),
            missing.iter().map(|m| format!("<{m}>")).collect::<Vec<_>>().join(" "),
            command.usage()
        )));
    }
    if args.len() > command.args.len() {
        return Err(CliError::usage(format!(
            "accepts at most {} arg(s), received {}: {:?} is one too many\n\nUsage:\n  {}",
            command.args.len(),
            args.len(),
            args[command.args.len()],
            command.usage()
        )));
    }
    Ok(())
}

fn unknown_command(word: &str, path: &[&str], candidates: &[&str]) -> CliError {
    let parent = if path.is_empty() { "franz".to_owned() } else { path.join(" ") };
    let mut message = format!("unknown command {word:?} for {parent:?}");
    if let Some(s) = suggest(word, candidates.iter().copied()) {
        message.push_str(&format!("\n\nDid you mean this?\n\t{s}"));
    }
    if path.is_empty() {
        message.push_str("\n\nCommands start with \"confluent\" (as in the lecture) or \"franz\" (franz's own).");
    } else {
        message.push_str(&format!("\n\nRun '{parent} --help' for usage."));
    }
    CliError::usage(message)
}

fn unknown_flag(token: &str, path: &[&str], flags: &[FlagSpec]) -> CliError {
    let name = token.trim_start_matches('-');
    let name = name.split_once('=').map_or(name, |(n, _)| n);
    let mut message = format!("unknown flag: {token}");
    let longs = flags.iter().map(|f| f.long).chain(["output", "help"]);
    if let Some(s) = suggest(name, longs) {
        message.push_str(&format!("\n\nDid you mean this?\n\t--{s}"));
    }
    message.push_str(&format!("\n\nRun '{} --help' for usage.", path.join(" ")));
    CliError::usage(message)
}
