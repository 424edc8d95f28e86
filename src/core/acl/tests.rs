use super::authorizer::{Authorizer, Client};
use super::*;

fn acl(
    kind: ResourceType,
    name: &str,
    pattern: PatternType,
    principal: &str,
    op: Operation,
    perm: Permission,
) -> AclBinding {
    AclBinding {
        resource_type: kind,
        resource_name: name.into(),
        pattern_type: pattern,
        principal: principal.into(),
        host: WILDCARD.into(),
        operation: op,
        permission: perm,
    }
}

fn topic_acl(name: &str, principal: &str, op: Operation, perm: Permission) -> AclBinding {
    acl(ResourceType::Topic, name, PatternType::Literal, principal, op, perm)
}

fn client(principal: &str) -> Client {
    Client { principal: principal.into(), host: "127.0.0.1".into() }
}

fn may(acls: &[AclBinding], who: &str, op: Operation, topic: &str) -> bool {
    let acls: Acls = acls.iter().cloned().collect();
    Authorizer::default().authorize(&acls, &client(who), op, ResourceType::Topic, topic)
}

#[test]
fn codes_and_names_are_kafkas() {
    assert_eq!(ResourceType::TransactionalId.code(), 5);
    assert_eq!(Operation::IdempotentWrite.code(), 12);
    assert_eq!(Permission::Allow.code(), 3);
    assert_eq!(PatternType::Prefixed.code(), 4);
    assert_eq!(Operation::from_code(3), Ok(Operation::Read));
    assert_eq!(Operation::from_name("describe-configs"), Some(Operation::DescribeConfigs));
    let e = ResourceType::from_code(0).unwrap_err();
    assert_eq!(e.name(), "INVALID_REQUEST");
    assert!(e.detail().contains("2 (TOPIC)"), "{e}");
}

#[test]
fn an_acl_allows_its_principal_its_operation() {
    let acls = [topic_acl("orders", "User:alice", Operation::Read, Permission::Allow)];
    assert!(may(&acls, "User:alice", Operation::Read, "orders"));
    assert!(!may(&acls, "User:alice", Operation::Write, "orders"), "another operation");
    assert!(!may(&acls, "User:bob", Operation::Read, "orders"), "another principal");
    assert!(!may(&acls, "User:alice", Operation::Read, "payments"), "a topic no ACL covers is closed by default");
}

#[test]
fn read_write_delete_and_alter_imply_describe() {
    for op in [Operation::Read, Operation::Write, Operation::Delete, Operation::Alter] {
        assert!(may(&[topic_acl("t", "User:a", op, Permission::Allow)], "User:a", Operation::Describe, "t"), "{op:?}");
    }
    let configs = [topic_acl("t", "User:a", Operation::AlterConfigs, Permission::Allow)];
    assert!(may(&configs, "User:a", Operation::DescribeConfigs, "t"));
    let create = [topic_acl("t", "User:a", Operation::Create, Permission::Allow)];
    assert!(!may(&create, "User:a", Operation::Describe, "t"), "CREATE does not imply DESCRIBE");
}

#[test]
fn a_deny_wins_over_any_allow() {
    let acls = [
        topic_acl("*", "User:*", Operation::All, Permission::Allow),
        acl(ResourceType::Topic, "secret-", PatternType::Prefixed, "User:bob", Operation::Read, Permission::Deny),
    ];
    assert!(may(&acls, "User:bob", Operation::Read, "orders"));
    assert!(!may(&acls, "User:bob", Operation::Read, "secret-plans"));
    assert!(may(&acls, "User:bob", Operation::Write, "secret-plans"), "only READ is denied");
    assert!(may(&acls, "User:alice", Operation::Read, "secret-plans"), "only bob is denied");
}

#[test]
fn wildcards_and_prefixes_cover_names() {
    let prefixed =
        [acl(ResourceType::Topic, "sales.", PatternType::Prefixed, "User:a", Operation::Write, Permission::Allow)];
    assert!(may(&prefixed, "User:a", Operation::Write, "sales.orders"));
    assert!(!may(&prefixed, "User:a", Operation::Write, "salesforce"));
    let star = [topic_acl("*", "User:a", Operation::Write, Permission::Allow)];
    assert!(may(&star, "User:a", Operation::Write, "anything"));
    let everyone = [topic_acl("t", "User:*", Operation::Read, Permission::Allow)];
    assert!(may(&everyone, "User:whoever", Operation::Read, "t"));
}

#[test]
fn hosts_must_match() {
    let mut from_elsewhere = topic_acl("t", "User:a", Operation::Read, Permission::Allow);
    from_elsewhere.host = "10.0.0.9".into();
    assert!(!may(&[from_elsewhere.clone()], "User:a", Operation::Read, "t"));
    from_elsewhere.host = "127.0.0.1".into();
    assert!(may(&[from_elsewhere], "User:a", Operation::Read, "t"));
}

#[test]
fn super_users_and_the_open_default() {
    let acls: Acls = [topic_acl("t", "User:a", Operation::Read, Permission::Deny)].into_iter().collect();
    let admin = Authorizer { super_users: ["User:admin".to_owned()].into(), allow_everyone_if_no_acl_found: true };
    assert!(admin.authorize(&acls, &client("User:admin"), Operation::Read, ResourceType::Topic, "t"));
    assert!(!admin.authorize(&acls, &client("User:a"), Operation::Read, ResourceType::Topic, "t"));
    // allow.everyone.if.no.acl.found opens only resources no ACL covers, for anyone.
    assert!(admin.authorize(&acls, &client("User:a"), Operation::Read, ResourceType::Topic, "other"));
    assert!(!admin.authorize(&acls, &client("User:b"), Operation::Read, ResourceType::Topic, "t"));
}

#[test]
fn authorizing_by_resource_type() {
    let auth = Authorizer::default();
    let who = client("User:p");
    let write = |acls: &[AclBinding]| {
        let acls: Acls = acls.iter().cloned().collect();
        auth.authorize_any(&acls, &who, Operation::Write, ResourceType::Topic)
    };
    assert!(!write(&[]), "closed by default");
    assert!(write(&[topic_acl("events", "User:p", Operation::Write, Permission::Allow)]));
    assert!(!write(&[topic_acl("events", "User:p", Operation::Read, Permission::Allow)]));
    assert!(!write(&[
        topic_acl("events", "User:p", Operation::Write, Permission::Allow),
        topic_acl("events", "User:p", Operation::Write, Permission::Deny),
    ]));
    assert!(!write(&[
        topic_acl("events", "User:p", Operation::Write, Permission::Allow),
        acl(ResourceType::Topic, "ev", PatternType::Prefixed, "User:p", Operation::All, Permission::Deny),
    ]));
    assert!(
        write(&[
            acl(ResourceType::Topic, "ev", PatternType::Prefixed, "User:p", Operation::Write, Permission::Allow),
            topic_acl("events", "User:p", Operation::Write, Permission::Deny),
        ]),
        "a prefix allows more names than the one literal deny"
    );
}

#[test]
fn filters_match_as_kafkas() {
    let literal = topic_acl("orders", "User:a", Operation::Read, Permission::Allow);
    let star = topic_acl("*", "User:b", Operation::Write, Permission::Allow);
    let prefix = acl(ResourceType::Topic, "ord", PatternType::Prefixed, "User:c", Operation::Read, Permission::Deny);
    let group = acl(ResourceType::Group, "orders", PatternType::Literal, "User:a", Operation::Read, Permission::Allow);
    let acls: Acls = [literal.clone(), star.clone(), prefix.clone(), group.clone()].into_iter().collect();
    let filter = |f: AclFilter| acls.describe(&f);
    assert_eq!(filter(AclFilter::any()).len(), 4);
    let named = |pattern| AclFilter { resource_name: Some("orders".into()), pattern_type: pattern, ..AclFilter::any() };
    assert_eq!(filter(named(PatternType::Any)), vec![literal.clone(), group.clone()], "ANY: this exact name");
    assert_eq!(filter(named(PatternType::Literal)), vec![literal.clone(), group.clone()]);
    assert_eq!(filter(named(PatternType::Prefixed)), vec![]);
    assert_eq!(filter(named(PatternType::Match)), vec![star.clone(), prefix.clone(), literal.clone(), group.clone()]);
    let topics_read = AclFilter { resource_type: ResourceType::Topic, operation: Operation::Read, ..AclFilter::any() };
    assert_eq!(filter(topics_read), vec![prefix.clone(), literal.clone()]);
    let deny = AclFilter { permission: Permission::Deny, principal: Some("User:c".into()), ..AclFilter::any() };
    assert_eq!(filter(deny), vec![prefix]);
}

#[test]
fn creating_checks_and_deleting_returns_what_went() {
    let mut acls = Acls::default();
    let good = topic_acl("t", "User:a", Operation::Read, Permission::Allow);
    acls.create(good.clone()).unwrap();
    acls.create(good.clone()).unwrap();
    assert_eq!(acls.len(), 1, "creating an ACL twice keeps one");
    let refused = [
        AclBinding { resource_type: ResourceType::Any, ..good.clone() },
        AclBinding { pattern_type: PatternType::Match, ..good.clone() },
        AclBinding { operation: Operation::Any, ..good.clone() },
        AclBinding { permission: Permission::Any, ..good.clone() },
        AclBinding { resource_name: String::new(), ..good.clone() },
        AclBinding { principal: "alice".into(), ..good.clone() },
        AclBinding { principal: "User:".into(), ..good.clone() },
        AclBinding { host: String::new(), ..good.clone() },
    ];
    for bad in refused {
        let e = acls.create(bad.clone()).unwrap_err();
        assert_eq!(e.name(), "INVALID_REQUEST", "{bad}");
    }
    assert_eq!(acls.len(), 1);
    let other = topic_acl("u", "User:a", Operation::Read, Permission::Allow);
    acls.create(other.clone()).unwrap();
    let gone = acls.delete(&AclFilter { resource_name: Some("t".into()), ..AclFilter::any() });
    assert_eq!(gone, vec![good]);
    assert_eq!(acls.iter().cloned().collect::<Vec<_>>(), vec![other]);
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn arb_acl() -> impl Strategy<Value = AclBinding> {
        let kind = prop_oneof![Just(ResourceType::Topic), Just(ResourceType::Group)];
        let pattern = prop_oneof![Just(PatternType::Literal), Just(PatternType::Prefixed)];
        let name = prop_oneof![Just("*".to_owned()), "[ab]{1,3}"];
        let principal = prop_oneof![Just("User:*".to_owned()), Just("User:a".to_owned()), Just("User:b".to_owned())];
        let op = proptest::sample::select(&Operation::ALL[1..]);
        let perm = prop_oneof![Just(Permission::Allow), Just(Permission::Deny)];
        (kind, name, pattern, principal, op, perm)
            .prop_map(|(kind, name, pattern, principal, op, perm)| acl(kind, &name, pattern, &principal, op, perm))
    }

    proptest! {
        /// Adding a DENY never allows anything more, and adding an ALLOW never denies anything more (on a
        /// resource the ACLs already covered: a first ACL closes a resource the open default left open).
        #[test]
        fn denies_only_take_away_and_allows_only_give(
            acls in proptest::collection::vec(arb_acl(), 1..8),
            extra in arb_acl(),
            who in prop_oneof![Just("User:a"), Just("User:b")],
            op in proptest::sample::select(&Operation::ALL[2..]),
            name in "[ab]{1,3}",
            open in any::<bool>(),
        ) {
            let auth = Authorizer { super_users: Default::default(), allow_everyone_if_no_acl_found: open };
            let before: Acls = acls.iter().cloned().collect();
            let after: Acls = acls.iter().cloned().chain([extra.clone()]).collect();
            let decide = |acls: &Acls| auth.authorize(acls, &client(who), op, extra.resource_type, &name);
            let covered = before.iter().any(|a| a.covers(extra.resource_type, &name));
            if extra.permission == Permission::Deny {
                prop_assert!(!decide(&after) || decide(&before));
            } else if covered {
                prop_assert!(decide(&after) || !decide(&before));
            }
        }

        /// DescribeAcls with a filter built from an ACL finds it, and DeleteAcls with that filter removes exactly
        /// what DescribeAcls listed.
        #[test]
        fn delete_removes_what_describe_lists(acls in proptest::collection::vec(arb_acl(), 0..10), probe in arb_acl()) {
            let mut all: Acls = acls.into_iter().chain([probe.clone()]).collect();
            let exact = AclFilter {
                resource_type: probe.resource_type,
                resource_name: Some(probe.resource_name.clone()),
                pattern_type: probe.pattern_type,
                principal: Some(probe.principal.clone()),
                host: Some(probe.host.clone()),
                operation: probe.operation,
                permission: probe.permission,
            };
            prop_assert_eq!(all.describe(&exact), vec![probe.clone()]);
            let matching = AclFilter { resource_name: Some(probe.resource_name.clone()), pattern_type: PatternType::Match, ..AclFilter::any() };
            let listed = all.describe(&matching);
            prop_assert!(listed.contains(&probe));
            let before = all.len();
            prop_assert_eq!(all.delete(&matching), listed.clone());
            prop_assert_eq!(all.len(), before - listed.len());
            prop_assert!(all.describe(&matching).is_empty());
        }

        /// A super user is allowed everything, whatever the ACLs.
        #[test]
        fn super_users_may_do_anything(acls in proptest::collection::vec(arb_acl(), 0..8), op in proptest::sample::select(&Operation::ALL[2..])) {
            let acls: Acls = acls.into_iter().collect();
            let auth = Authorizer { super_users: ["User:a".to_owned()].into(), allow_everyone_if_no_acl_found: false };
            prop_assert!(auth.authorize(&acls, &client("User:a"), op, ResourceType::Topic, "ab"));
            prop_assert!(auth.authorize_any(&acls, &client("User:a"), op, ResourceType::Group));
        }
    }

    const NOW: i64 = 1_700_000_000_000;

    /// A claim of a JWT: absent, a string, or a number.
    fn arb_claim(string: &'static str) -> impl Strategy<Value = Option<serde_json::Value>> {
        prop::option::of(prop_oneof![
            string.prop_map(serde_json::Value::from),
            any::<i32>().prop_map(serde_json::Value::from)
        ])
    }

    proptest! {
        /// Kafka's unsecured validator, as a model: a token is taken exactly when its subject is a non-blank
        /// string, it has not expired, it was not issued in the future, it expires after it was issued, and it
        /// has the required scope; and then its subject is the principal.
        #[test]
        fn a_token_is_taken_exactly_when_its_claims_allow_it(
            sub in arb_claim("[a-z ]{0,4}"),
            exp in prop::option::of(-40i64..40),
            iat in prop::option::of(-40i64..40),
            scope in proptest::collection::vec(prop_oneof![Just("kafka"), Just("read")], 0..3),
            skew_s in 0i64..60,
        ) {
            let seconds = |offset: i64| NOW / 1000 + offset;
            let mut claims = serde_json::Map::new();
            claims.extend(sub.clone().map(|s| ("sub".to_owned(), s)));
            claims.extend(exp.map(|e| ("exp".to_owned(), seconds(e).into())));
            claims.extend(iat.map(|i| ("iat".to_owned(), seconds(i).into())));
            claims.insert("scope".into(), scope.clone().into());
            let skew = skew_s * 1000;
            let validator = oauth::OAuthBearer { required_scope: vec!["kafka".into()], allowable_clock_skew_ms: skew, ..Default::default() };
            let subject = sub.as_ref().and_then(|s| s.as_str()).filter(|s| !s.trim().is_empty());
            let taken = subject.is_some()
                && exp.is_some_and(|e| NOW - skew < seconds(e) * 1000)
                && iat.is_none_or(|i| seconds(i) * 1000 <= NOW + skew)
                && iat.zip(exp).is_none_or(|(i, e)| e > i)
                && scope.contains(&"kafka");
            let result = validator.validate(&oauth::unsecured_jwt(&serde_json::Value::Object(claims)), NOW);
            prop_assert_eq!(result.is_ok(), taken, "{:?}", result);
            if let Ok((principal, expires_ms)) = result {
                prop_assert_eq!(Some(principal.as_str()), subject);
                prop_assert_eq!(Some(expires_ms), exp.map(|e| seconds(e) * 1000));
            }
        }

        /// Whatever a client sends after a handshake, the broker answers with an answer or one of SASL's errors,
        /// and never panics.
        #[test]
        fn no_sasl_message_makes_the_broker_panic(
            mechanism in proptest::sample::select(vec!["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"]),
            messages in proptest::collection::vec(prop_oneof![
                ".{0,40}",
                "n,(a=[a-z=,]{0,4})?,\\x01auth=(Bearer|x) ?[A-Za-z0-9._=-]{0,40}(\\x01[a-z]{0,3}=[ -~]{0,4}){0,2}\\x01{0,3}",
                "n,,n=[a-z=,]{0,4},r=[ -~]{0,8}",
                "c=biws,r=[ -~]{0,30},p=[A-Za-z0-9+/=]{0,20}",
                Just("\x01".to_owned()),
            ], 1..4),
        ) {
            let users = [("alice".to_owned(), "secret".to_owned())].into();
            let credentials = credentials::Credentials {
                accounts: credentials::Accounts::Users(users),
                oauthbearer: Some(oauth::OAuthBearer::default()),
                ..Default::default()
            };
            let mut session = sasl::SaslSession::default();
            let mut n = 0u8;
            let mut random = |out: &mut [u8]| out.iter_mut().for_each(|b| { n = n.wrapping_add(1); *b = n; });
            session.handshake(&credentials, mechanism).unwrap();
            for message in messages {
                let token = if mechanism == "PLAIN" {
                    sasl::SaslToken::Plain(Some(credentials::Plain { username: message.clone(), password: message }))
                } else {
                    sasl::SaslToken::Message(message)
                };
                match session.authenticate(&credentials, token, NOW, &mut random) {
                    Ok(_) => {}
                    Err(e) => prop_assert!(
                        ["SASL_AUTHENTICATION_FAILED", "ILLEGAL_SASL_STATE"].contains(&e.name()),
                        "{}", e
                    ),
                }
            }
        }
    }

    /// The secured validator of `oauth`'s tests: the test key as `k1`, audience `franz`, issuer `idp`, 30 s skew.
    fn secured() -> oauth::OAuthBearer {
        let keys = jws::Jwks::parse(&serde_json::json!({ "keys": [jws::tests::public_jwk("k1")] })).unwrap();
        let signed =
            oauth::Signed { keys, expected_audience: vec!["franz".into()], expected_issuer: Some("idp".into()) };
        oauth::OAuthBearer { allowable_clock_skew_ms: 30_000, signed: Some(signed), ..Default::default() }
    }

    proptest! {
        // Each case signs a token with a 2048-bit key.
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Kafka's secured validator, as a model: a signed token is taken exactly when the key it names signed
        /// it, its subject is a non-blank string, it has an `iat` and an `exp`, it has not expired, was not issued
        /// in the future and expires after it was issued, its `nbf` has come, and it names the expected audience
        /// and issuer; all within the skew.
        #[test]
        fn a_signed_token_is_taken_exactly_when_its_key_and_claims_allow_it(
            kid in prop_oneof![Just(None), Just(Some("k1")), Just(Some("k2"))],
            sub in arb_claim("[a-z ]{0,3}"),
            exp in prop::option::of(-60i64..60),
            iat in prop::option::of(-60i64..60),
            nbf in prop::option::of(-60i64..60),
            aud in prop_oneof![
                Just(None),
                Just(Some(serde_json::json!("franz"))),
                Just(Some(serde_json::json!("billing"))),
                Just(Some(serde_json::json!(["billing", "franz"]))),
            ],
            iss in prop_oneof![Just(None), Just(Some("idp")), Just(Some("other"))],
        ) {
            let seconds = |offset: i64| NOW / 1000 + offset;
            let mut claims = serde_json::Map::new();
            claims.extend(sub.clone().map(|s| ("sub".to_owned(), s)));
            for (name, time) in [("exp", exp), ("iat", iat), ("nbf", nbf)] {
                claims.extend(time.map(|t| (name.to_owned(), seconds(t).into())));
            }
            claims.extend(aud.clone().map(|a| ("aud".to_owned(), a)));
            claims.extend(iss.map(|i| ("iss".to_owned(), i.into())));
            let mut header = serde_json::json!({ "alg": "RS256" });
            header.as_object_mut().unwrap().extend(kid.map(|k| ("kid".to_owned(), k.into())));
            let token = jws::tests::signed_jwt(&header, &serde_json::Value::Object(claims));
            let skew = 30_000;
            let subject = sub.as_ref().and_then(|s| s.as_str()).filter(|s| !s.trim().is_empty());
            let names_franz = aud.as_ref().is_some_and(|a| a == "franz" || a.as_array().is_some_and(|l| l.contains(&"franz".into())));
            let taken = kid != Some("k2")
                && subject.is_some()
                && exp.is_some_and(|e| NOW - skew < seconds(e) * 1000)
                && iat.is_some_and(|i| seconds(i) * 1000 <= NOW + skew && exp.is_some_and(|e| e > i))
                && nbf.is_none_or(|n| seconds(n) * 1000 <= NOW + skew)
                && names_franz
                && iss == Some("idp");
            let result = secured().validate(&token, NOW);
            prop_assert_eq!(result.is_ok(), taken, "{:?}", result);
            if let Ok((principal, _)) = result {
                prop_assert_eq!(Some(principal.as_str()), subject);
            }
        }

        /// Changing any one character of a signed token that is taken gets it refused, unless the change left
        /// its decoded bytes as they were (a section's last character may carry unused bits).
        #[test]
        fn a_changed_character_of_a_signed_token_gets_it_refused(at in any::<prop::sample::Index>(), to in 0usize..64) {
            let claims = serde_json::json!({ "sub": "alice", "iat": NOW / 1000, "exp": NOW / 1000 + 60, "aud": "franz", "iss": "idp" });
            let token = jws::tests::signed_jwt(&serde_json::json!({ "alg": "RS256", "kid": "k1" }), &claims);
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut bytes = token.clone().into_bytes();
            let i = at.index(bytes.len());
            prop_assume!(bytes[i] != b'.' && bytes[i] != alphabet[to]);
            bytes[i] = alphabet[to];
            let changed = String::from_utf8(bytes).unwrap();
            let decoded = |t: &str| -> Vec<Option<Vec<u8>>> {
                t.split('.').map(|s| base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, s).ok()).collect()
            };
            let same_bytes = decoded(&changed) == decoded(&token);
            prop_assert_eq!(secured().validate(&changed, NOW).is_ok(), same_bytes);
        }
    }
}
