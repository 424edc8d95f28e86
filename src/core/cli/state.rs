//! What the CLI remembers between commands (and, saved by the shell, between visits): the session,
//! environments, clusters, API keys and what is in use. API secrets are kept only as salted PBKDF2-SHA256
//! hashes; the secret itself is shown once, when the key is created.

use serde::{Deserialize, Serialize};

use crate::core::rng::SplitMix64;

/// PBKDF2 rounds for API secrets: OWASP's 2023 advice for PBKDF2-HMAC-SHA256 is 600 000; a tab checks a secret
/// at every produce or consume start, so franz uses fewer, and says so.
pub const PBKDF2_ROUNDS: u32 = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    pub id: String,
    pub name: String,
    pub governance: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KafkaCluster {
    pub id: String,
    pub name: String,
    pub environment: String,
    pub cloud: String,
    pub region: String,
    pub kind: String,
    pub availability: String,
    pub brokers: i32,
    /// Each broker's rack, in broker order (empty: none), for follower fetching.
    #[serde(default)]
    pub racks: Vec<String>,
    /// PROVISIONING until the shell has created its storage, then UP.
    pub status: String,
}

impl KafkaCluster {
    /// franz-local endpoints: the cluster lives in this tab, not behind a network address.
    pub fn endpoint(&self) -> String {
        format!("SASL_SSL://{}.{}.{}.franz.local:9092", self.id, self.region, self.cloud)
    }

    pub fn rest_endpoint(&self) -> String {
        format!("https://{}.{}.{}.franz.local:443", self.id, self.region, self.cloud)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub key: String,
    pub description: String,
    pub resource: String,
    pub owner: String,
    /// Hex salt and hex PBKDF2-HMAC-SHA256 of the secret: never the secret.
    pub salt: String,
    pub hash: String,
    pub created_ms: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CliState {
    pub user: Option<String>,
    pub environments: Vec<Environment>,
    pub current_environment: Option<String>,
    pub clusters: Vec<KafkaCluster>,
    /// The cluster in use, per environment.
    pub current_cluster: Vec<(String, String)>,
    pub api_keys: Vec<ApiKey>,
    /// The API key in use, per cluster.
    pub key_in_use: Vec<(String, String)>,
    /// Service accounts: identities for applications, whose API keys the clusters' ACLs govern.
    #[serde(default)]
    pub service_accounts: Vec<ServiceAccount>,
}

/// A service account (`sa-…`): an application's identity. Its API keys authenticate as `User:sa-…`, which can do
/// only what ACLs allow, where the user's own keys may do anything (on Confluent Cloud, by the user's role).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccount {
    pub id: String,
    pub name: String,
    pub description: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `count` characters of `alphabet`, from `rng`.
pub fn random_text(rng: &mut SplitMix64, alphabet: &[u8], count: usize) -> String {
    (0..count).map(|_| alphabet[rng.below(alphabet.len())] as char).collect()
}

pub fn hash_secret(secret: &str, salt: &str) -> String {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(secret.as_bytes(), salt.as_bytes(), PBKDF2_ROUNDS, &mut out);
    hex(&out)
}

impl ApiKey {
    /// Who the key authenticates as: `User:<owner>`, its user or service account.
    pub fn principal(&self) -> String {
        format!("User:{}", self.owner)
    }

    /// A new key for `resource`, and its secret (to show once).
    pub fn new(rng: &mut SplitMix64, resource: &str, description: &str, owner: &str, now_ms: i64) -> (ApiKey, String) {
        const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        const SECRET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let key = random_text(rng, UPPER, 16);
        let secret = random_text(rng, SECRET, 64);
        let salt = hex(&rng.next_u64().to_le_bytes()) + &hex(&rng.next_u64().to_le_bytes());
        let hash = hash_secret(&secret, &salt);
        let key = ApiKey {
            key,
            description: description.to_owned(),
            resource: resource.to_owned(),
            owner: owner.to_owned(),
            salt,
            hash,
            created_ms: now_ms,
        };
        (key, secret)
    }

    pub fn accepts(&self, secret: &str) -> bool {
        hash_secret(secret, &self.salt) == self.hash
    }
}

impl CliState {
    pub fn environment(&self, id: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.id == id)
    }

    pub fn cluster(&self, id: &str) -> Option<&KafkaCluster> {
        self.clusters.iter().find(|c| c.id == id)
    }

    pub fn current_cluster(&self) -> Option<&str> {
        let env = self.current_environment.as_deref()?;
        self.current_cluster.iter().find(|(e, _)| e == env).map(|(_, c)| c.as_str())
    }

    pub fn set_current_cluster(&mut self, env: &str, cluster: Option<&str>) {
        self.current_cluster.retain(|(e, _)| e != env);
        if let Some(c) = cluster {
            self.current_cluster.push((env.to_owned(), c.to_owned()));
        }
    }

    /// What the tutorial's progress checks read: no hashes, no secrets.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "loggedIn": self.user.is_some(),
            "environments": self.environments.iter().map(|e| serde_json::json!({ "id": e.id, "name": e.name })).collect::<Vec<_>>(),
            "currentEnvironment": self.current_environment,
            "clusters": self.clusters.iter().map(|c| serde_json::json!({
                "id": c.id, "name": c.name, "brokers": c.brokers, "environment": c.environment, "status": c.status,
            })).collect::<Vec<_>>(),
            "currentCluster": self.current_cluster(),
            "apiKeys": self.api_keys.iter().map(|k| serde_json::json!({ "key": k.key, "resource": k.resource })).collect::<Vec<_>>(),
            "keysInUse": self.key_in_use,
            "serviceAccounts": self.service_accounts.iter().map(|a| serde_json::json!({ "id": a.id, "name": a.name })).collect::<Vec<_>>(),
        })
    }

    /// API key `key` of `cluster`, if `secret` is its secret (checked against the salted hash).
    pub fn authenticated_key(&self, cluster: &str, key: &str, secret: &str) -> Option<&ApiKey> {
        self.api_keys.iter().find(|k| k.key == key && k.resource == cluster && k.accepts(secret))
    }

    pub fn key_in_use(&self, cluster: &str) -> Option<&ApiKey> {
        let key = self.key_in_use.iter().find(|(c, _)| c == cluster).map(|(_, k)| k)?;
        self.api_keys.iter().find(|k| &k.key == key)
    }
}
