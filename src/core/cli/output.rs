//! What commands print, in the three formats of the Confluent CLI (`-o human|json|yaml`): a record as a boxed
//! two-column table, a list as an aligned table with a centred header, and the same data as JSON or YAML with
//! snake_case keys.

use serde_json::{Map, Value};

use super::CliError;

/// One field: its label in tables, its key in JSON and YAML, its value.
pub type Field = (&'static str, &'static str, Value);

/// Data a command prints.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    Record(Vec<Field>),
    /// Columns (label, key) and rows of values. In tables, a true `is_current` shows as `*`.
    List(Vec<(&'static str, &'static str)>, Vec<Vec<Value>>),
    /// Several parts: the human text made of them, and one JSON value.
    Composite(String, Value),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Yaml,
}

impl Format {
    pub fn parse(value: Option<&str>) -> Result<Format, CliError> {
        match value {
            None | Some("human") => Ok(Format::Human),
            Some("json") => Ok(Format::Json),
            Some("yaml") => Ok(Format::Yaml),
            Some(other) => Err(CliError::usage(format!(
                "invalid value {other:?} for \"--output\": it must be \"human\", \"json\", or \"yaml\""
            ))),
        }
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn object(fields: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Map<String, Value>>())
}

impl Data {
    fn to_json(&self) -> Value {
        match self {
            Data::Record(fields) => object(fields.iter().map(|(_, k, v)| (*k, v.clone()))),
            Data::List(columns, rows) => Value::Array(
                rows.iter().map(|row| object(columns.iter().zip(row).map(|((_, k), v)| (*k, v.clone())))).collect(),
            ),
            Data::Composite(_, value) => value.clone(),
        }
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => serde_json::to_string_pretty(&self.to_json()).unwrap_or_default() + "\n",
            Format::Yaml => yaml(&self.to_json(), 0),
            Format::Human => match self {
                Data::Record(fields) => record_table(fields),
                Data::List(columns, rows) => list_table(columns, rows),
                Data::Composite(human, _) => human.clone(),
            },
        }
    }
}

pub(super) fn record_table(fields: &[Field]) -> String {
    let w0 = fields.iter().map(|(l, _, _)| l.len()).max().unwrap_or(0);
    let w1 = fields.iter().map(|(_, _, v)| cell(v).chars().count()).max().unwrap_or(0);
    let rule = format!("+-{}-+-{}-+\n", "-".repeat(w0), "-".repeat(w1));
    let mut out = rule.clone();
    for (label, _, value) in fields {
        out.push_str(&format!("| {label:w0$} | {:w1$} |\n", cell(value)));
    }
    out.push_str(&rule);
    out
}

pub(super) fn list_table(columns: &[(&str, &str)], rows: &[Vec<Value>]) -> String {
    let rows: Vec<Vec<Value>> = rows
        .iter()
        .map(|row| {
            let current = |(i, v): (usize, &Value)| match (columns[i].1, v) {
                ("is_current", Value::Bool(b)) => Value::String(if *b { "*" } else { "" }.into()),
                _ => v.clone(),
            };
            row.iter().enumerate().map(current).collect()
        })
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, (label, _))| rows.iter().map(|r| cell(&r[i]).chars().count()).chain([label.len()]).max().unwrap_or(0))
        .collect();
    let line = |cells: Vec<String>, centred: bool| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| if centred { format!("{c:^w$}") } else { format!("{c:w$}") })
            .collect();
        format!("  {}\n", padded.join(" | ")).trim_end().to_owned() + "\n"
    };
    let mut out = line(columns.iter().map(|(l, _)| l.to_string()).collect(), true);
    // The first column also covers the two-space indent of every line.
    let dashes: Vec<String> = widths.iter().enumerate().map(|(i, w)| "-".repeat(w + 2 + usize::from(i == 0))).collect();
    out.push_str(&dashes.join("+"));
    out.push('\n');
    for row in &rows {
        out.push_str(&line(row.iter().map(cell).collect(), false));
    }
    out
}

/// YAML for the plain data commands print: objects, arrays and scalars.
fn yaml(v: &Value, indent: usize) -> String {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(map) if map.is_empty() => "{}\n".into(),
        Value::Array(items) if items.is_empty() => "[]\n".into(),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                Value::Object(m) if !m.is_empty() => format!("{pad}{k}:\n{}", yaml(v, indent + 2)),
                Value::Array(a) if !a.is_empty() => format!("{pad}{k}:\n{}", yaml(v, indent)),
                _ => format!("{pad}{k}: {}", yaml(v, indent + 2)),
            })
            .collect(),
        Value::Array(items) => items
            .iter()
            .map(|item| {
                let body = yaml(item, indent + 2);
                format!("{pad}- {}", body.trim_start())
            })
            .collect(),
        Value::String(s) => yaml_string(s) + "\n",
        other => format!("{other}\n"),
    }
}

fn yaml_string(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.contains(['#', ':', '\n', '"', '\'', '{', '}', '[', ']', ',', '&', '*', '!', '|', '>', '%', '@', '`'])
        && !s.starts_with([' ', '-', '?'])
        && !s.ends_with(' ')
        && !["true", "false", "null", "yes", "no", "~"].contains(&s.to_ascii_lowercase().as_str())
        && s.parse::<f64>().is_err();
    if plain {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_and_lists_in_every_format() {
        let record = Data::Record(vec![("ID", "id", json!("env-1")), ("Is Current", "is_current", json!(false))]);
        assert_eq!(
            record.render(Format::Human),
            "+------------+-------+\n| ID         | env-1 |\n| Is Current | false |\n+------------+-------+\n"
        );
        assert_eq!(record.render(Format::Json), "{\n  \"id\": \"env-1\",\n  \"is_current\": false\n}\n");
        assert_eq!(record.render(Format::Yaml), "id: env-1\nis_current: false\n");
        let list = Data::List(
            vec![("Current", "is_current"), ("ID", "id")],
            vec![vec![json!(true), json!("env-1")], vec![json!(false), json!("env-22")]],
        );
        assert_eq!(
            list.render(Format::Human),
            "  Current |   ID\n----------+--------\n  *       | env-1\n          | env-22\n"
        );
        assert_eq!(list.render(Format::Yaml), "- is_current: true\n  id: env-1\n- is_current: false\n  id: env-22\n");
    }
}
