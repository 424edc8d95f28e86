//! Running a parsed command: the session, environments, clusters and API keys here; topics, groups and franz's
//! own commands in `topics`.

use serde_json::{json, Value};

use super::output::{Data, Format};
use super::parse::Parsed;
use super::state::{random_text, ApiKey, Environment, KafkaCluster};
use super::{Cli, CliError, Clusters, Effect, Reply};

/// The user a local session logs in as.
pub(super) const USER: &str = "student@franz.local";

const ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Largest cluster a tab runs (as `Kafka.open` allows).
const MAX_BROKERS: i32 = 9;

impl Cli {
    pub(super) fn execute(&mut self, p: &Parsed, clusters: &mut dyn Clusters, now_ms: i64) -> Result<Reply, CliError> {
        let format = Format::parse(p.flag("output"))?;
        let path: Vec<&str> = p.command.path.to_vec();
        match path[..] {
            ["confluent", "login"] => Ok(self.login()),
            ["confluent", "logout"] => Ok(self.logout()),
            ["confluent", "kafka", "acl", verb] => {
                self.require_login()?;
                self.acl(p, verb, format, clusters)
            }
            ["confluent", "environment", ..]
            | ["confluent", "kafka", "cluster", ..]
            | ["confluent", "api-key", ..]
            | ["confluent", "iam", ..] => {
                self.require_login()?;
                match path[1..] {
                    ["environment", "create"] => self.environment_create(p, format),
                    ["environment", "list"] => Ok(self.environment_list(format)),
                    ["environment", "use"] => self.environment_use(&p.args[0]),
                    ["environment", "describe"] => self.environment_describe(p.args.first(), format),
                    ["environment", "delete"] => self.environment_delete(&p.args[0]),
                    ["kafka", "cluster", "create"] => self.cluster_create(p, format),
                    ["kafka", "cluster", "list"] => self.cluster_list(p, format),
                    ["kafka", "cluster", "use"] => self.cluster_use(&p.args[0]),
                    ["kafka", "cluster", "describe"] => self.cluster_describe(p.args.first(), format),
                    ["kafka", "cluster", "delete"] => self.cluster_delete(&p.args[0]),
                    ["api-key", "create"] => self.api_key_create(p, format, now_ms),
                    ["api-key", "use"] => self.api_key_use(p),
                    ["api-key", "store"] => self.api_key_store(p),
                    ["api-key", "list"] => Ok(self.api_key_list(p, format)),
                    ["api-key", "delete"] => self.api_key_delete(&p.args[0]),
                    ["iam", "service-account", "create"] => self.service_account_create(p, format),
                    ["iam", "service-account", "list"] => Ok(self.service_account_list(format)),
                    ["iam", "service-account", "describe"] => self.service_account_describe(&p.args[0], format),
                    ["iam", "service-account", "delete"] => self.service_account_delete(&p.args[0]),
                    _ => Err(CliError::usage(format!("{} is not implemented", path.join(" ")))),
                }
            }
            _ => self.execute_on_cluster(p, &path, format, clusters),
        }
    }

    fn login(&mut self) -> Reply {
        self.state.user = Some(USER.into());
        Reply {
            output: format!(
                "Logged in as \"{USER}\" for organization \"franz\" (\"franz in this tab\").\n\
                 There is no Confluent Cloud account behind this: franz runs every cluster in your browser.\n"
            ),
            state_changed: true,
            ..Reply::default()
        }
    }

    fn logout(&mut self) -> Reply {
        self.state.user = None;
        self.secrets.clear();
        Reply { output: "You are now logged out.\n".into(), state_changed: true, ..Reply::default() }
    }

    fn require_login(&self) -> Result<(), CliError> {
        if self.state.user.is_some() {
            return Ok(());
        }
        Err(CliError::usage("you must log in to run that command").with_suggestion("Log in with `confluent login`."))
    }

    pub(super) fn new_id(&mut self, prefix: &str) -> String {
        format!("{prefix}-{}", random_text(&mut self.rng, ID_ALPHABET, 6))
    }

    fn environment_record(&self, e: &Environment) -> Data {
        let current = self.state.current_environment.as_deref() == Some(e.id.as_str());
        Data::Record(vec![
            ("Current", "is_current", json!(current)),
            ("ID", "id", json!(e.id)),
            ("Name", "name", json!(e.name)),
            ("Stream Governance Package", "stream_governance_package", json!(e.governance)),
        ])
    }

    fn environment_create(&mut self, p: &Parsed, format: Format) -> Result<Reply, CliError> {
        let name = p.args[0].trim();
        if name.is_empty() {
            return Err(CliError::usage("the environment name must not be empty"));
        }
        let governance = match p.flag("governance-package").unwrap_or("essentials").to_ascii_lowercase().as_str() {
            "essentials" => "ESSENTIALS",
            "advanced" => "ADVANCED",
            other => {
                return Err(CliError::usage(format!(
                    "invalid value {other:?} for \"--governance-package\": it must be \"essentials\" or \"advanced\""
                )))
            }
        };
        let env = Environment { id: self.new_id("env"), name: name.to_owned(), governance: governance.into() };
        let output = self.environment_record(&env).render(format);
        self.state.environments.push(env);
        Ok(Reply { output, state_changed: true, ..Reply::default() })
    }

    fn environment_list(&self, format: Format) -> Reply {
        let current = self.state.current_environment.as_deref();
        let rows = self
            .state
            .environments
            .iter()
            .map(|e| vec![json!(current == Some(e.id.as_str())), json!(e.id), json!(e.name), json!(e.governance)])
            .collect();
        let columns = vec![
            ("Current", "is_current"),
            ("ID", "id"),
            ("Name", "name"),
            ("Stream Governance Package", "stream_governance_package"),
        ];
        Reply::text(Data::List(columns, rows).render(format))
    }

    fn find_environment(&self, id: &str) -> Result<&Environment, CliError> {
        self.state.environment(id).ok_or_else(|| {
            CliError::usage(format!("environment {id:?} not found"))
                .with_suggestion("List available environments with `confluent environment list`.")
        })
    }

    fn environment_use(&mut self, id: &str) -> Result<Reply, CliError> {
        self.find_environment(id)?;
        self.state.current_environment = Some(id.to_owned());
        Ok(Reply { output: format!("Using environment {id:?}.\n"), state_changed: true, ..Reply::default() })
    }

    fn current_environment(&self) -> Result<&str, CliError> {
        self.state.current_environment.as_deref().ok_or_else(|| {
            CliError::usage("no environment selected").with_suggestion(
                "Select an environment with `confluent environment use <id>`, or create one with \
                 `confluent environment create <name>`.",
            )
        })
    }

    fn environment_describe(&self, id: Option<&String>, format: Format) -> Result<Reply, CliError> {
        let id = match id {
            Some(id) => id.as_str(),
            None => self.current_environment()?,
        };
        Ok(Reply::text(self.environment_record(self.find_environment(id)?).render(format)))
    }

    fn environment_delete(&mut self, id: &str) -> Result<Reply, CliError> {
        self.find_environment(id)?;
        let clusters: Vec<String> =
            self.state.clusters.iter().filter(|c| c.environment == id).map(|c| c.id.clone()).collect();
        let mut effects = Vec::new();
        for c in clusters {
            effects.extend(self.forget_cluster(&c));
        }
        self.state.environments.retain(|e| e.id != id);
        if self.state.current_environment.as_deref() == Some(id) {
            self.state.current_environment = None;
        }
        Ok(Reply { output: format!("Deleted environment {id:?}.\n"), effects, state_changed: true, stream: None })
    }

    fn cluster_record(&self, c: &KafkaCluster) -> Data {
        let current = self.state.current_cluster() == Some(c.id.as_str());
        let (ingress, egress, storage) = limits(&c.kind);
        Data::Record(vec![
            ("Current", "is_current", json!(current)),
            ("ID", "id", json!(c.id)),
            ("Name", "name", json!(c.name)),
            ("Type", "type", json!(c.kind.to_ascii_uppercase())),
            ("Ingress Limit (MB/s)", "ingress_limit", json!(ingress)),
            ("Egress Limit (MB/s)", "egress_limit", json!(egress)),
            ("Storage", "storage", json!(storage)),
            ("Cloud", "cloud", json!(c.cloud)),
            ("Region", "region", json!(c.region)),
            ("Availability", "availability", json!(c.availability)),
            ("Status", "status", json!(c.status)),
            ("Endpoint", "endpoint", json!(c.endpoint())),
            ("REST Endpoint", "rest_endpoint", json!(c.rest_endpoint())),
            ("Brokers (franz)", "brokers", json!(c.brokers)),
            ("Racks (franz)", "racks", json!(c.racks.join(","))),
        ])
    }

    fn cluster_create(&mut self, p: &Parsed, format: Format) -> Result<Reply, CliError> {
        let environment = match p.flag("environment") {
            Some(e) => self.find_environment(e)?.id.clone(),
            None => self.current_environment()?.to_owned(),
        };
        let name = p.args[0].trim().to_owned();
        let cloud = required(p, "cloud", "the cloud provider")?.to_ascii_lowercase();
        if !["aws", "azure", "gcp"].contains(&cloud.as_str()) {
            return Err(CliError::usage(format!(
                "invalid value {cloud:?} for \"--cloud\": it must be \"aws\", \"azure\", or \"gcp\""
            )));
        }
        let region = required(p, "region", "the cloud region, e.g. us-west1")?.to_ascii_lowercase();
        if !region.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(CliError::usage(format!(
                "invalid region {region:?}: use the provider's region id, e.g. us-west1"
            )));
        }
        let kind = p.flag("type").unwrap_or("basic").to_ascii_lowercase();
        if !["basic", "standard"].contains(&kind.as_str()) {
            return Err(CliError::usage(format!(
                "invalid value {kind:?} for \"--type\": franz runs \"basic\" and \"standard\" clusters"
            )));
        }
        let availability = p.flag("availability").unwrap_or("single-zone").to_ascii_lowercase();
        if !["single-zone", "multi-zone"].contains(&availability.as_str()) {
            return Err(CliError::usage(format!(
                "invalid value {availability:?} for \"--availability\": it must be \"single-zone\" or \"multi-zone\""
            )));
        }
        let brokers = match p.flag("brokers") {
            None => 3,
            Some(b) => b.parse::<i32>().ok().filter(|b| (1..=MAX_BROKERS).contains(b)).ok_or_else(|| {
                CliError::usage(format!(
                    "invalid value {b:?} for \"--brokers\": it must be a number from 1 to {MAX_BROKERS}"
                ))
            })?,
        };
        let racks: Vec<String> =
            p.flag("racks").map(|r| r.split(',').map(|s| s.trim().to_owned()).collect()).unwrap_or_default();
        if !racks.is_empty() && (racks.len() != brokers as usize || racks.iter().any(String::is_empty)) {
            return Err(CliError::usage(format!(
                "--racks names {} racks for {brokers} brokers: give one rack per broker, e.g. --racks a,b,c",
                racks.len()
            )));
        }
        let cluster = KafkaCluster {
            id: self.new_id("lkc"),
            name,
            environment,
            cloud,
            region,
            kind,
            availability,
            brokers,
            racks: racks.clone(),
            status: "PROVISIONING".into(),
        };
        let output = self.cluster_record(&cluster).render(format);
        let effects = vec![Effect::CreateCluster { id: cluster.id.clone(), brokers, racks }];
        self.state.clusters.push(cluster);
        Ok(Reply { output, effects, state_changed: true, stream: None })
    }

    fn cluster_list(&self, p: &Parsed, format: Format) -> Result<Reply, CliError> {
        let env = match p.flag("environment") {
            Some(e) => self.find_environment(e)?.id.as_str(),
            None => self.current_environment()?,
        };
        let current = self.state.current_cluster();
        let rows = self
            .state
            .clusters
            .iter()
            .filter(|c| c.environment == env)
            .map(|c| {
                vec![
                    json!(current == Some(c.id.as_str())),
                    json!(c.id),
                    json!(c.name),
                    json!(c.kind.to_ascii_uppercase()),
                    json!(c.cloud),
                    json!(c.region),
                    json!(c.availability),
                    json!(c.status),
                ]
            })
            .collect();
        let columns = vec![
            ("Current", "is_current"),
            ("ID", "id"),
            ("Name", "name"),
            ("Type", "type"),
            ("Cloud", "cloud"),
            ("Region", "region"),
            ("Availability", "availability"),
            ("Status", "status"),
        ];
        Ok(Reply::text(Data::List(columns, rows).render(format)))
    }

    pub(super) fn find_cluster(&self, id: &str) -> Result<&KafkaCluster, CliError> {
        self.state.cluster(id).ok_or_else(|| {
            CliError::usage(format!("Kafka cluster {id:?} not found"))
                .with_suggestion("List available Kafka clusters with `confluent kafka cluster list`.")
        })
    }

    fn cluster_use(&mut self, id: &str) -> Result<Reply, CliError> {
        let env = self.find_cluster(id)?.environment.clone();
        self.state.current_environment = Some(env.clone());
        self.state.set_current_cluster(&env, Some(id));
        Ok(Reply {
            output: format!("Set Kafka cluster {id:?} as the active cluster for environment {env:?}.\n"),
            state_changed: true,
            ..Reply::default()
        })
    }

    /// The cluster a command works on: `--cluster`, or the one in use.
    pub(super) fn target_cluster(&self, p: &Parsed) -> Result<KafkaCluster, CliError> {
        let id = match p.flag("cluster") {
            Some(id) => id.to_owned(),
            None => self.state.current_cluster().map(str::to_owned).ok_or_else(|| {
                CliError::usage("no Kafka cluster selected").with_suggestion(
                    "Select a cluster with `confluent kafka cluster use <id>`, or pass `--cluster <id>`.",
                )
            })?,
        };
        let cluster = self.find_cluster(&id)?.clone();
        if cluster.status != "UP" {
            return Err(CliError::usage(format!("Kafka cluster {id:?} is still {}", cluster.status))
                .with_suggestion("Wait until `confluent kafka cluster describe` shows it UP."));
        }
        Ok(cluster)
    }

    fn cluster_describe(&self, id: Option<&String>, format: Format) -> Result<Reply, CliError> {
        let id = match id {
            Some(id) => id.clone(),
            None => self.state.current_cluster().map(str::to_owned).ok_or_else(|| {
                CliError::usage("no Kafka cluster selected")
                    .with_suggestion("Name one, or select one with `confluent kafka cluster use <id>`.")
            })?,
        };
        Ok(Reply::text(self.cluster_record(self.find_cluster(&id)?).render(format)))
    }

    /// Removes a cluster, its keys and what used them; the effect deletes its storage.
    fn forget_cluster(&mut self, id: &str) -> Vec<Effect> {
        self.state.clusters.retain(|c| c.id != id);
        self.state.current_cluster.retain(|(_, c)| c != id);
        let keys: Vec<String> =
            self.state.api_keys.iter().filter(|k| k.resource == id).map(|k| k.key.clone()).collect();
        self.state.api_keys.retain(|k| k.resource != id);
        self.state.key_in_use.retain(|(c, _)| c != id);
        self.secrets.retain(|(k, _)| !keys.contains(k));
        vec![Effect::DeleteCluster { id: id.to_owned() }]
    }

    fn cluster_delete(&mut self, id: &str) -> Result<Reply, CliError> {
        self.find_cluster(id)?;
        let effects = self.forget_cluster(id);
        Ok(Reply { output: format!("Deleted Kafka cluster {id:?}.\n"), effects, state_changed: true, stream: None })
    }

    fn api_key_create(&mut self, p: &Parsed, format: Format, now_ms: i64) -> Result<Reply, CliError> {
        let resource = required(p, "resource", "the cluster the key is for (lkc-…)")?.to_owned();
        self.find_cluster(&resource)?;
        let description = p.flag("description").unwrap_or("").to_owned();
        // The key is the user's, or a service account's: then the cluster's ACLs decide what it may do.
        let owner = match p.flag("service-account") {
            Some(id) => self.find_service_account(id)?.id.clone(),
            None => USER.to_owned(),
        };
        let (key, secret) = ApiKey::new(&mut self.rng, &resource, &description, &owner, now_ms);
        let data =
            Data::Record(vec![("API Key", "api_key", json!(key.key)), ("API Secret", "api_secret", json!(secret))]);
        let mut output = String::new();
        if format == Format::Human {
            output.push_str(
                "It may take a couple of minutes for the API key to be ready.\n\
                 Save the API key and secret. The secret is not retrievable later.\n",
            );
        }
        output.push_str(&data.render(format));
        self.secrets.push((key.key.clone(), secret));
        self.state.api_keys.push(key);
        Ok(Reply { output, state_changed: true, ..Reply::default() })
    }

    fn find_key(&self, key: &str) -> Result<&ApiKey, CliError> {
        self.state.api_keys.iter().find(|k| k.key == key).ok_or_else(|| {
            CliError::usage(format!("API key {key:?} not found"))
                .with_suggestion("List API keys with `confluent api-key list`.")
        })
    }

    fn check_resource(key: &ApiKey, p: &Parsed) -> Result<(), CliError> {
        match p.flag("resource") {
            Some(r) if r != key.resource => {
                Err(CliError::usage(format!("API key {:?} is for resource {:?}, not {r:?}", key.key, key.resource)))
            }
            _ => Ok(()),
        }
    }

    fn api_key_use(&mut self, p: &Parsed) -> Result<Reply, CliError> {
        let key = self.find_key(&p.args[0])?.clone();
        Cli::check_resource(&key, p)?;
        if !self.secrets.iter().any(|(k, _)| *k == key.key) {
            return Err(CliError::usage(format!("no API secret for API key {:?} is stored", key.key)).with_suggestion(
                format!(
                    "Store it with `confluent api-key store {} <secret> --resource {}` (franz keeps secrets only \
                     for the session; on disk, only their salted hashes).",
                    key.key, key.resource
                ),
            ));
        }
        self.state.key_in_use.retain(|(c, _)| *c != key.resource);
        self.state.key_in_use.push((key.resource.clone(), key.key.clone()));
        Ok(Reply { output: format!("Using API Key {:?}.\n", key.key), state_changed: true, ..Reply::default() })
    }

    fn api_key_store(&mut self, p: &Parsed) -> Result<Reply, CliError> {
        let key = self.find_key(&p.args[0])?.clone();
        Cli::check_resource(&key, p)?;
        if !key.accepts(&p.args[1]) {
            return Err(auth_failed());
        }
        self.secrets.retain(|(k, _)| *k != key.key);
        self.secrets.push((key.key.clone(), p.args[1].clone()));
        Ok(Reply::text(format!("Stored secret for API key {:?}.\n", key.key)))
    }

    fn api_key_list(&self, p: &Parsed, format: Format) -> Reply {
        let rows = self
            .state
            .api_keys
            .iter()
            .filter(|k| p.flag("resource").is_none_or(|r| r == k.resource))
            .map(|k| {
                let in_use = self.state.key_in_use.iter().any(|(c, key)| *c == k.resource && *key == k.key);
                vec![
                    json!(in_use),
                    json!(k.key),
                    json!(k.description),
                    json!(k.owner),
                    json!("kafka"),
                    json!(k.resource),
                    Value::String(iso_time(k.created_ms)),
                ]
            })
            .collect();
        let columns = vec![
            ("Current", "is_current"),
            ("Key", "key"),
            ("Description", "description"),
            ("Owner", "owner"),
            ("Resource Type", "resource_type"),
            ("Resource ID", "resource_id"),
            ("Created", "created"),
        ];
        Reply::text(Data::List(columns, rows).render(format))
    }

    fn api_key_delete(&mut self, key: &str) -> Result<Reply, CliError> {
        self.find_key(key)?;
        self.state.api_keys.retain(|k| k.key != key);
        self.state.key_in_use.retain(|(_, k)| k != key);
        self.secrets.retain(|(k, _)| k != key);
        Ok(Reply { output: format!("Deleted API key {key:?}.\n"), state_changed: true, ..Reply::default() })
    }

    /// Producing and consuming need an API key for the cluster, as on Confluent Cloud: `--api-key` and
    /// `--api-secret`, or the key in use. They then act as the key's owner: the user (who may do anything), or a
    /// service account (which may do what the cluster's ACLs allow).
    pub(super) fn authorize(&self, p: &Parsed, cluster: &str) -> Result<String, CliError> {
        if let Some(key) = p.flag("api-key") {
            let secret = p.flag("api-secret").ok_or_else(|| {
                CliError::usage("--api-key needs --api-secret")
                    .with_suggestion("Pass both, or neither to use the key in use.")
            })?;
            return self.state.authenticated_key(cluster, key, secret).map(ApiKey::principal).ok_or_else(auth_failed);
        }
        let key = self.state.key_in_use(cluster).ok_or_else(|| {
            CliError { name: "SASL_AUTHENTICATION_FAILED".into(), message: format!("no API key selected for resource {cluster:?}"), suggestion: None }
                .with_suggestion(format!(
                    "Select an API key for resource {cluster:?} with `confluent api-key use <API_KEY> --resource {cluster}`.\n\
                     To do so, you must have either already created or stored an API key for the resource.\n\
                     To create an API key, use `confluent api-key create --resource {cluster}`."
                ))
        })?;
        match self.secrets.iter().find(|(k, _)| *k == key.key) {
            Some((_, secret)) if key.accepts(secret) => Ok(key.principal()),
            Some(_) => Err(auth_failed()),
            // After a reload: only the hash was saved.
            None => Err(CliError {
                name: "SASL_AUTHENTICATION_FAILED".into(),
                message: format!("no secret for API key {:?} is stored in this session", key.key),
                suggestion: Some(format!(
                    "Store it with `confluent api-key store {} <secret> --resource {cluster}` (franz keeps secrets only \
                     for the session; on disk, only their salted hashes).",
                    key.key
                )),
            }),
        }
    }
}

fn auth_failed() -> CliError {
    CliError {
        name: "SASL_AUTHENTICATION_FAILED".into(),
        message: "SASL_AUTHENTICATION_FAILED: Authentication failed: invalid API key or secret".into(),
        suggestion: Some("Check the key and secret, or create a new key with `confluent api-key create`.".into()),
    }
}

pub(super) fn required<'a>(p: &'a Parsed, flag: &str, what: &str) -> Result<&'a str, CliError> {
    p.flag(flag).ok_or_else(|| {
        CliError::usage(format!("required flag \"{flag}\" not set: {what}"))
            .with_suggestion(format!("Run `{} --help` for usage.", p.command.path.join(" ")))
    })
}

/// Confluent's published limits for a cluster type: ingress and egress MB/s, and storage. franz enforces none.
fn limits(kind: &str) -> (u32, u32, &'static str) {
    match kind {
        "standard" => (250, 750, "Infinite"),
        _ => (250, 750, "5 TB"),
    }
}

/// `2026-11-25T19:07:41Z` for a time in ms since the epoch.
pub(super) fn iso_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso_times() {
        assert_eq!(super::iso_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::iso_time(1_700_000_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(super::iso_time(951_782_400_000), "2000-02-29T00:00:00Z");
    }
}
