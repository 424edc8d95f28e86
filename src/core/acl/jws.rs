//! Signed JWTs (RFC 7515's compact JWS) checked against an identity provider's public keys, given as a JSON Web
//! Key Set (RFC 7517): what Kafka's secured OAUTHBEARER validator (`OAuthBearerValidatorCallbackHandler`, jose4j
//! underneath) does with the keys at `sasl.oauthbearer.jwks.endpoint.url`. RSA keys sign with RS256, RS384 and
//! RS512 (PKCS #1 v1.5) or PS256, PS384 and PS512 (PSS), what identity providers sign access tokens with. A set's
//! other keys (elliptic-curve, symmetric, or for encryption) are left out, so a token signed with them is refused,
//! never taken for checked.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rsa::signature::Verifier;
use rsa::traits::PublicKeyParts;
use rsa::{pkcs1v15, pss, BigUint, RsaPublicKey};
use serde_json::{Map, Value};
use sha2::{Sha256, Sha384, Sha512};

/// The smallest RSA key jose4j checks signatures with.
const MIN_RSA_BITS: usize = 2048;

/// The keys tokens may be signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Jwk {
    kid: Option<String>,
    /// The one algorithm the key may be used with, where the set says.
    alg: Option<Alg>,
    key: RsaPublicKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alg {
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
}

const ALGS: [(&str, Alg); 6] = [
    ("RS256", Alg::Rs256),
    ("RS384", Alg::Rs384),
    ("RS512", Alg::Rs512),
    ("PS256", Alg::Ps256),
    ("PS384", Alg::Ps384),
    ("PS512", Alg::Ps512),
];

impl Alg {
    fn named(name: &str) -> Option<Alg> {
        ALGS.iter().find(|(n, _)| *n == name).map(|(_, alg)| *alg)
    }

    fn verifies(self, key: &RsaPublicKey, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Alg::Rs256 => pkcs1v15_verifies::<Sha256>(key, message, signature),
            Alg::Rs384 => pkcs1v15_verifies::<Sha384>(key, message, signature),
            Alg::Rs512 => pkcs1v15_verifies::<Sha512>(key, message, signature),
            Alg::Ps256 => pss_verifies::<Sha256>(key, message, signature),
            Alg::Ps384 => pss_verifies::<Sha384>(key, message, signature),
            Alg::Ps512 => pss_verifies::<Sha512>(key, message, signature),
        }
    }
}

fn pkcs1v15_verifies<D>(key: &RsaPublicKey, message: &[u8], signature: &[u8]) -> bool
where
    D: sha2::Digest + rsa::pkcs8::AssociatedOid,
{
    pkcs1v15::Signature::try_from(signature)
        .is_ok_and(|s| pkcs1v15::VerifyingKey::<D>::new(key.clone()).verify(message, &s).is_ok())
}

fn pss_verifies<D>(key: &RsaPublicKey, message: &[u8], signature: &[u8]) -> bool
where
    D: sha2::Digest + sha2::digest::FixedOutputReset,
{
    pss::Signature::try_from(signature)
        .is_ok_and(|s| pss::VerifyingKey::<D>::new(key.clone()).verify(message, &s).is_ok())
}

/// Every algorithm franz checks, for messages.
fn alg_names() -> String {
    ALGS.map(|(name, _)| name).join(", ")
}

impl Jwks {
    /// Reads a key set, `{ "keys": [ ... ] }`, keeping its RSA signing keys. A malformed RSA key, one under 2048
    /// bits, or a set with no RSA signing key is an error that says which.
    pub fn parse(set: &Value) -> Result<Jwks, String> {
        let listed = set.get("keys").and_then(Value::as_array).ok_or("a JWKS is an object with a \"keys\" array")?;
        let mut keys = Vec::new();
        for (i, jwk) in listed.iter().enumerate() {
            let text = |field: &str| jwk.get(field).and_then(Value::as_str);
            let signs = text("use").is_none_or(|u| u == "sig");
            if text("kty") != Some("RSA") || !signs {
                continue;
            }
            let alg = match text("alg") {
                None => None,
                Some(name) => match Alg::named(name) {
                    Some(alg) => Some(alg),
                    None => continue, // an RSA key for something else, such as encryption (RSA-OAEP)
                },
            };
            let number = |field: &str| {
                let encoded = text(field).ok_or_else(|| format!("keys[{i}] (RSA) has no \"{field}\""))?;
                let bytes = URL_SAFE_NO_PAD
                    .decode(encoded)
                    .map_err(|_| format!("keys[{i}].{field} is not base64url without padding"))?;
                Ok::<_, String>(BigUint::from_bytes_be(&bytes))
            };
            let key = RsaPublicKey::new(number("n")?, number("e")?)
                .map_err(|e| format!("keys[{i}] is no usable RSA public key: {e}"))?;
            let bits = key.n().bits();
            if bits < MIN_RSA_BITS {
                return Err(format!("keys[{i}] is a {bits}-bit RSA key; signatures need at least {MIN_RSA_BITS} bits"));
            }
            keys.push(Jwk { kid: text("kid").map(str::to_owned), alg, key });
        }
        if keys.is_empty() {
            return Err(format!("the JWKS has no RSA signing key (franz checks {})", alg_names()));
        }
        Ok(Jwks { keys })
    }

    /// Checks a token's `signature` over `signed` (its first two sections, as sent) with the key its `header`
    /// names (`kid`), or with any key for its algorithm when it names none.
    pub fn verify(&self, header: &Map<String, Value>, signed: &[u8], signature: &[u8]) -> Result<(), String> {
        let name = header.get("alg").and_then(Value::as_str).ok_or("the JWS header has no \"alg\"")?;
        let alg = Alg::named(name).ok_or_else(|| match name {
            "none" => "an unsigned token (\"alg\": \"none\") is refused where the broker has keys".to_owned(),
            _ => format!("the token is signed with {name:?}; franz checks {}", alg_names()),
        })?;
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.as_str()),
            Some(other) => return Err(format!("the JWS header's \"kid\" must be a string, not {other}")),
        };
        let mut candidates = self
            .keys
            .iter()
            .filter(|k| kid.is_none_or(|kid| k.kid.as_deref() == Some(kid)) && k.alg.is_none_or(|a| a == alg))
            .peekable();
        if candidates.peek().is_none() {
            return Err(match kid {
                Some(kid) => format!("no key in the JWKS has \"kid\" {kid:?} for {name}"),
                None => format!("no key in the JWKS is for {name}"),
            });
        }
        if candidates.any(|k| alg.verifies(&k.key, signed, signature)) {
            Ok(())
        } else {
            Err(format!("its {name} signature does not match the JWKS's key"))
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer};
    use rsa::RsaPrivateKey;
    use serde_json::json;

    use super::*;

    /// A 2048-bit RSA key for tests only (made once with Python's `cryptography`), as a private JWK.
    fn test_key() -> Value {
        serde_json::from_str(include_str!("jws_test_key.json")).unwrap()
    }

    fn uint(jwk: &Value, field: &str) -> BigUint {
        BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(jwk[field].as_str().unwrap()).unwrap())
    }

    pub(crate) fn private_key() -> RsaPrivateKey {
        let k = test_key();
        RsaPrivateKey::from_components(uint(&k, "n"), uint(&k, "e"), uint(&k, "d"), vec![uint(&k, "p"), uint(&k, "q")])
            .unwrap()
    }

    /// PSS salts in tests: any bytes do.
    struct CountingRng(u8);

    impl rsa::rand_core::RngCore for CountingRng {
        fn next_u32(&mut self) -> u32 {
            rsa::rand_core::impls::next_u32_via_fill(self)
        }
        fn next_u64(&mut self) -> u64 {
            rsa::rand_core::impls::next_u64_via_fill(self)
        }
        fn fill_bytes(&mut self, bytes: &mut [u8]) {
            for b in bytes {
                self.0 = self.0.wrapping_add(1);
                *b = self.0;
            }
        }
        fn try_fill_bytes(&mut self, bytes: &mut [u8]) -> Result<(), rsa::rand_core::Error> {
            self.fill_bytes(bytes);
            Ok(())
        }
    }

    impl rsa::rand_core::CryptoRng for CountingRng {}

    /// The test key's public half as a JWKS entry.
    pub(crate) fn public_jwk(kid: &str) -> Value {
        let k = test_key();
        json!({ "kty": "RSA", "kid": kid, "use": "sig", "n": k["n"], "e": k["e"] })
    }

    /// A JWT with `header` and `claims`, signed by the test key with `header`'s alg (RS256 or PS256).
    pub(crate) fn signed_jwt(header: &Value, claims: &Value) -> String {
        let section = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let signed = format!("{}.{}", section(header), section(claims));
        let key = private_key();
        let signature = match header["alg"].as_str() {
            Some("PS256") => {
                pss::SigningKey::<Sha256>::new(key).sign_with_rng(&mut CountingRng(0), signed.as_bytes()).to_vec()
            }
            _ => pkcs1v15::SigningKey::<Sha256>::new(key).sign(signed.as_bytes()).to_vec(),
        };
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    fn parts(token: &str) -> (Map<String, Value>, String, Vec<u8>) {
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let header = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(signed.split('.').next().unwrap()).unwrap());
        (header.unwrap(), signed.to_owned(), URL_SAFE_NO_PAD.decode(signature).unwrap())
    }

    fn checked(set: &Jwks, token: &str) -> Result<(), String> {
        let (header, signed, signature) = parts(token);
        set.verify(&header, signed.as_bytes(), &signature)
    }

    #[test]
    fn a_signature_by_the_named_key_verifies_and_a_changed_token_does_not() {
        let set = Jwks::parse(&json!({ "keys": [public_jwk("k1")] })).unwrap();
        for alg in ["RS256", "PS256"] {
            let token = signed_jwt(&json!({ "alg": alg, "kid": "k1" }), &json!({ "sub": "alice" }));
            assert_eq!(checked(&set, &token), Ok(()), "{alg}");
            // The claims changed after signing: the signature no longer matches.
            let sections: Vec<&str> = token.split('.').collect();
            let forged = format!("{}.{}.{}", sections[0], URL_SAFE_NO_PAD.encode(r#"{"sub":"admin"}"#), sections[2]);
            assert_eq!(checked(&set, &forged), Err(format!("its {alg} signature does not match the JWKS's key")));
        }
        // Without a kid, any key for the algorithm may have signed it.
        let unnamed = signed_jwt(&json!({ "alg": "RS256" }), &json!({ "sub": "alice" }));
        assert_eq!(checked(&set, &unnamed), Ok(()));
    }

    #[test]
    fn a_token_the_keys_cannot_check_is_refused_saying_why() {
        let set = Jwks::parse(&json!({ "keys": [public_jwk("k1")] })).unwrap();
        let claims = json!({ "sub": "alice" });
        let other_kid = signed_jwt(&json!({ "alg": "RS256", "kid": "k2" }), &claims);
        assert_eq!(checked(&set, &other_kid), Err("no key in the JWKS has \"kid\" \"k2\" for RS256".into()));
        let cases = [
            (json!({ "alg": "none" }), "an unsigned token"),
            (json!({ "alg": "HS256" }), "signed with \"HS256\"; franz checks RS256, RS384, RS512, PS256"),
            (json!({ "kid": "k1" }), "no \"alg\""),
            (json!({ "alg": "RS256", "kid": 7 }), "\"kid\" must be a string"),
        ];
        for (header, why) in cases {
            let e = set.verify(header.as_object().unwrap(), b"x.y", b"sig").unwrap_err();
            assert!(e.contains(why), "{header}: {e}");
        }
        // A key pinned to another algorithm does not check this one.
        let mut pinned = public_jwk("k1");
        pinned["alg"] = "RS512".into();
        let set = Jwks::parse(&json!({ "keys": [pinned] })).unwrap();
        let token = signed_jwt(&json!({ "alg": "RS256", "kid": "k1" }), &claims);
        assert_eq!(checked(&set, &token), Err("no key in the JWKS has \"kid\" \"k1\" for RS256".into()));
    }

    #[test]
    fn key_sets_keep_rsa_signing_keys_and_refuse_what_cannot_be_used() {
        let ec = json!({ "kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "kid": "ec" });
        let mut encryption = public_jwk("enc");
        encryption["use"] = "enc".into();
        let mut oaep = public_jwk("oaep");
        oaep["alg"] = "RSA-OAEP".into();
        let set = Jwks::parse(&json!({ "keys": [ec, encryption, oaep, public_jwk("k1")] })).unwrap();
        assert_eq!(set.keys.len(), 1);
        assert_eq!(set.keys[0].kid.as_deref(), Some("k1"));
        let mut no_n = public_jwk("k");
        no_n.as_object_mut().unwrap().remove("n");
        let mut padded = public_jwk("k");
        padded["e"] = "AQAB==".into();
        let small = json!({ "kty": "RSA", "n": URL_SAFE_NO_PAD.encode([0xc3u8; 128]), "e": "AQAB" });
        for (set, why) in [
            (json!([]), "an object with a \"keys\" array"),
            (json!({ "keys": [] }), "no RSA signing key"),
            (json!({ "keys": [{ "kty": "EC" }] }), "no RSA signing key (franz checks RS256"),
            (json!({ "keys": [no_n] }), "keys[0] (RSA) has no \"n\""),
            (json!({ "keys": [padded] }), "keys[0].e is not base64url"),
            (json!({ "keys": [small] }), "keys[0] is a 1024-bit RSA key"),
        ] {
            let e = Jwks::parse(&set).unwrap_err();
            assert!(e.contains(why), "{set}: {e}");
        }
    }
}
