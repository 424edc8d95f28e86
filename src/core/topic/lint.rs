//! Naming advice for topics: good practice, never an error.
//!
//! Valid names can still be poor ones. The rules follow widely used conventions (and the lecture's list):
//! lowercase, a descriptive dot hierarchy (`department.service.entity`), an environment prefix when a cluster is
//! shared (`dev_…`), and a version suffix (`.v1`) so a schema change can get a new topic. One more comes from
//! Kafka itself, which warns when a name mixes '.' and '_' because the two collide in metric names.

/// One piece of advice about a topic name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    /// A stable rule id: `lowercase`, `hierarchy`, `descriptive`, `environment`, `version`, `mixed-separators`.
    pub rule: &'static str,
    pub message: String,
}

/// Environment prefixes the lint recognises, e.g. `dev_sales.orders.v1`.
pub const ENVIRONMENT_PREFIXES: &[&str] = &["dev_", "test_", "qa_", "stage_", "staging_", "prod_"];

/// Segments that say nothing about what a topic holds.
const GENERIC_WORDS: &[&str] = &["test", "topic", "data", "foo", "bar", "baz", "tmp", "temp", "my", "new", "stuff"];

/// Returns the advice for `name`, most important first, and a suggested name when any advice applies.
pub fn lint(name: &str) -> (Vec<Advice>, Option<String>) {
    let mut advice = Vec::new();
    let mut add = |rule, message: String| advice.push(Advice { rule, message });

    let env = ENVIRONMENT_PREFIXES.iter().find(|p| name.to_ascii_lowercase().starts_with(**p)).copied();
    let body = &name[env.map_or(0, str::len)..];
    let (stem, version) = split_version(body);
    let segments: Vec<&str> = stem.split('.').filter(|s| !s.is_empty()).collect();

    if name.chars().any(|c| c.is_ascii_uppercase()) {
        add("lowercase", format!("use lowercase only: {:?}", name.to_ascii_lowercase()));
    }
    if segments.len() < 2 {
        add(
            "hierarchy",
            "use a dot hierarchy such as department.service.entity (e.g. sales.orders.transactions)".into(),
        );
    }
    let vague: Vec<&str> = segments
        .iter()
        .flat_map(|s| s.split(['-', '_']))
        .filter(|w| {
            let w = w.to_ascii_lowercase();
            w.len() < 3
                || w.chars().all(|c| c.is_ascii_digit())
                || GENERIC_WORDS.contains(&w.trim_end_matches(char::is_numeric))
        })
        .collect();
    if !vague.is_empty() || segments.is_empty() {
        add("descriptive", format!("name what the topic holds; {:?} says little", vague.join(", ")));
    }
    if stem.contains('.') && stem.contains('_') {
        add(
            "mixed-separators",
            "Kafka warns when '.' and '_' are mixed: they collide in metric names, so pick one".into(),
        );
    }
    if version.is_none() {
        add("version", "add a version suffix (.v1) so an incompatible schema change can move to .v2".into());
    }
    if env.is_none() {
        add("environment", "if dev, test and prod share this cluster, prefix the environment: dev_…".into());
    }

    let suggestion = (!advice.is_empty()).then(|| suggest(env, stem, version)).filter(|s| s != name);
    (advice, suggestion)
}

/// Splits a trailing `.vN` off a name.
fn split_version(name: &str) -> (&str, Option<&str>) {
    match name.rsplit_once('.') {
        Some((stem, v)) if v.len() > 1 && v.starts_with('v') && v[1..].chars().all(|c| c.is_ascii_digit()) => {
            (stem, Some(v))
        }
        _ => (name, None),
    }
}

/// A name that follows the conventions: lowercase, '-' and '_' inside the body turned into dots, and a version.
fn suggest(env: Option<&str>, stem: &str, version: Option<&str>) -> String {
    let body: String =
        stem.to_ascii_lowercase().split(['.', '-', '_']).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(".");
    format!("{}{}.{}", env.unwrap_or(""), body, version.unwrap_or("v1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(name: &str) -> Vec<&'static str> {
        lint(name).0.into_iter().map(|a| a.rule).collect()
    }

    #[test]
    fn a_conventional_name_gets_no_advice() {
        assert_eq!(lint("dev_sales.orders.transactions.v1"), (vec![], None));
        assert_eq!(lint("prod_payments.cards.authorizations.v12"), (vec![], None));
    }

    #[test]
    fn each_rule_fires_on_its_own_fault() {
        assert!(rules("dev_Sales.Orders.Transactions.v1").contains(&"lowercase"));
        assert!(rules("dev_orders.v1").contains(&"hierarchy"));
        assert!(rules("dev_test.topic1.v1").contains(&"descriptive"));
        assert!(rules("dev_sales.orders.transactions").contains(&"version"));
        assert!(rules("sales.orders.transactions.v1").contains(&"environment"));
        assert!(rules("dev_sales.order_items.v1").contains(&"mixed-separators"));
        assert_eq!(rules("dev_sales.orders.transactions.v1"), Vec::<&str>::new());
    }

    #[test]
    fn suggests_a_conventional_name() {
        let (_, suggestion) = lint("Sales_Orders-Transactions");
        assert_eq!(suggestion.as_deref(), Some("sales.orders.transactions.v1"));
        let (_, suggestion) = lint("dev_Sales.Orders.v2");
        assert_eq!(suggestion.as_deref(), Some("dev_sales.orders.v2"));
    }

    #[test]
    fn lint_never_panics_on_odd_input() {
        for name in ["", ".", "..", "v1", ".v1", "dev_", "__consumer_offsets", "ü.ö"] {
            let _ = lint(name);
        }
    }
}
