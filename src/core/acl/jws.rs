//! Signed JWTs (RFC 7515's compact JWS) checked against an identity provider's public keys, given as a JSON Web
//! Key Set (RFC 7517): what Kafka's secured OAUTHBEARER validator (`OAuthBearerValidatorCallbackHandler`, jose4j
//! underneath) does with the keys at `sasl.oauthbearer.jwks.endpoint.url`. RSA keys sign with RS256, RS384 and
//! RS512 (PKCS #1 v1.5) or PS256, PS384 and PS512 (PSS); elliptic-curve keys with ES256 (P-256) and ES384
//! (P-384): what identity providers sign access tokens with. A set's other keys (P-521, symmetric, or for
//! encryption) are left out, so a token signed with them is refused, never taken for checked.

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
    key: PublicKey,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PublicKey {
    Rsa(RsaPublicKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alg {
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
    Es256,
    Es384,
}

const ALGS: [(&str, Alg); 8] = [
    ("RS256", Alg::Rs256),
    ("RS384", Alg::Rs384),
    ("RS512", Alg::Rs512),
    ("PS256", Alg::Ps256),
    ("PS384", Alg::Ps384),
    ("PS512", Alg::Ps512),
    ("ES256", Alg::Es256),
    ("ES384", Alg::Es384),
];

impl Alg {
    fn named(name: &str) -> Option<Alg> {
        ALGS.iter().find(|(n, _)| *n == name).map(|(_, alg)| *alg)
    }

    /// Whether `key` is of the kind this algorithm signs with.
    fn fits(self, key: &PublicKey) -> bool {
        match key {
            PublicKey::Rsa(_) => !matches!(self, Alg::Es256 | Alg::Es384),
            PublicKey::P256(_) => self == Alg::Es256,
            PublicKey::P384(_) => self == Alg::Es384,
        }
    }

    fn verifies(self, key: &PublicKey, message: &[u8], signature: &[u8]) -> bool {
        match (self, key) {
            (Alg::Rs256, PublicKey::Rsa(key)) => pkcs1v15_verifies::<Sha256>(key, message, signature),
            (Alg::Rs384, PublicKey::Rsa(key)) => pkcs1v15_verifies::<Sha384>(key, message, signature),
            (Alg::Rs512, PublicKey::Rsa(key)) => pkcs1v15_verifies::<Sha512>(key, message, signature),
            (Alg::Ps256, PublicKey::Rsa(key)) => pss_verifies::<Sha256>(key, message, signature),
            (Alg::Ps384, PublicKey::Rsa(key)) => pss_verifies::<Sha384>(key, message, signature),
            (Alg::Ps512, PublicKey::Rsa(key)) => pss_verifies::<Sha512>(key, message, signature),
            // JWS's ECDSA signatures are r and s side by side (RFC 7518, 3.4), not DER.
            (Alg::Es256, PublicKey::P256(key)) => {
                p256::ecdsa::Signature::from_slice(signature).is_ok_and(|s| key.verify(message, &s).is_ok())
            }
            (Alg::Es384, PublicKey::P384(key)) => {
                p384::ecdsa::Signature::from_slice(signature).is_ok_and(|s| key.verify(message, &s).is_ok())
            }
            _ => false,
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

/// An RSA key's `n` and `e`. One under 2048 bits is refused.
fn rsa_key(i: usize, field: impl Fn(&str) -> Result<Vec<u8>, String>) -> Result<PublicKey, String> {
    let key = RsaPublicKey::new(BigUint::from_bytes_be(&field("n")?), BigUint::from_bytes_be(&field("e")?))
        .map_err(|e| format!("keys[{i}] is no usable RSA public key: {e}"))?;
    let bits = key.n().bits();
    if bits < MIN_RSA_BITS {
        return Err(format!("keys[{i}] is a {bits}-bit RSA key; signatures need at least {MIN_RSA_BITS} bits"));
    }
    Ok(PublicKey::Rsa(key))
}

/// An elliptic-curve key's point `x`, `y` on the curve `crv` names; `None` for a curve franz does not check.
fn ec_key(
    i: usize,
    crv: Option<&str>,
    field: impl Fn(&str) -> Result<Vec<u8>, String>,
) -> Result<Option<PublicKey>, String> {
    let size = match crv {
        Some("P-256") => 32,
        Some("P-384") => 48,
        _ => return Ok(None),
    };
    let not_on_curve = || format!("keys[{i}] (EC, {}) is not a point on its curve", crv.unwrap_or_default());
    let (x, y) = (field("x")?, field("y")?);
    if x.len() != size || y.len() != size {
        return Err(not_on_curve());
    }
    let point = [&[4u8][..], &x, &y].concat(); // SEC1's uncompressed form, which the curves check
    Ok(Some(match size {
        32 => PublicKey::P256(p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).map_err(|_| not_on_curve())?),
        _ => PublicKey::P384(p384::ecdsa::VerifyingKey::from_sec1_bytes(&point).map_err(|_| not_on_curve())?),
    }))
}

impl Jwks {
    /// Reads a key set, `{ "keys": [ ... ] }`, keeping its RSA and P-256 and P-384 signing keys. A malformed
    /// key, an RSA key under 2048 bits, or a set with no key franz can check signatures with is an error that
    /// says which.
    pub fn parse(set: &Value) -> Result<Jwks, String> {
        let listed = set.get("keys").and_then(Value::as_array).ok_or("a JWKS is an object with a \"keys\" array")?;
        let mut keys = Vec::new();
        for (i, jwk) in listed.iter().enumerate() {
            let text = |field: &str| jwk.get(field).and_then(Value::as_str);
            if text("use").is_some_and(|u| u != "sig") {
                continue;
            }
            let kty = text("kty").unwrap_or_default();
            let field = |name: &str| {
                let encoded = text(name).ok_or_else(|| format!("keys[{i}] ({kty}) has no \"{name}\""))?;
                URL_SAFE_NO_PAD
                    .decode(encoded)
                    .map_err(|_| format!("keys[{i}].{name} is not base64url without padding"))
            };
            let key = match kty {
                "RSA" => rsa_key(i, field)?,
                "EC" => match ec_key(i, text("crv"), field)? {
                    Some(key) => key,
                    None => continue, // a curve franz does not check (P-521, or one for key agreement)
                },
                _ => continue,
            };
            let alg = match text("alg") {
                None => None,
                Some(name) => match Alg::named(name).filter(|alg| alg.fits(&key)) {
                    Some(alg) => Some(alg),
                    None => continue, // a key for something else, such as encryption (RSA-OAEP, ECDH-ES)
                },
            };
            keys.push(Jwk { kid: text("kid").map(str::to_owned), alg, key });
        }
        if keys.is_empty() {
            return Err(format!("the JWKS has no signing key franz can use (franz checks {})", alg_names()));
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
            .filter(|k| alg.fits(&k.key))
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

    /// Elliptic-curve keys for tests only: fixed secrets, so signatures (RFC 6979) are the same every run.
    fn p256_key() -> p256::ecdsa::SigningKey {
        p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap()
    }

    fn p384_key() -> p384::ecdsa::SigningKey {
        p384::ecdsa::SigningKey::from_slice(&[9; 48]).unwrap()
    }

    /// The test P-256 and P-384 keys' public halves as JWKS entries.
    pub(crate) fn public_ec_jwks(kid: &str) -> [Value; 2] {
        let jwk = |crv: &str, x: &[u8], y: &[u8]| {
            let (x, y) = (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y));
            json!({ "kty": "EC", "crv": crv, "kid": kid, "use": "sig", "x": x, "y": y })
        };
        let p256 = p256_key().verifying_key().to_encoded_point(false);
        let p384 = p384_key().verifying_key().to_encoded_point(false);
        [jwk("P-256", p256.x().unwrap(), p256.y().unwrap()), jwk("P-384", p384.x().unwrap(), p384.y().unwrap())]
    }

    /// A JWT with `header` and `claims`, signed by a test key with `header`'s alg (RS256, PS256, ES256 or ES384).
    pub(crate) fn signed_jwt(header: &Value, claims: &Value) -> String {
        let section = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let signed = format!("{}.{}", section(header), section(claims));
        let message = signed.as_bytes();
        let signature = match header["alg"].as_str() {
            Some("PS256") => {
                pss::SigningKey::<Sha256>::new(private_key()).sign_with_rng(&mut CountingRng(0), message).to_vec()
            }
            Some("ES256") => Signer::<p256::ecdsa::Signature>::sign(&p256_key(), message).to_bytes().to_vec(),
            Some("ES384") => Signer::<p384::ecdsa::Signature>::sign(&p384_key(), message).to_bytes().to_vec(),
            _ => pkcs1v15::SigningKey::<Sha256>::new(private_key()).sign(message).to_vec(),
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

    /// `token` with its claims changed after signing, keeping the signature.
    fn forged(token: &str) -> String {
        let sections: Vec<&str> = token.split('.').collect();
        format!("{}.{}.{}", sections[0], URL_SAFE_NO_PAD.encode(r#"{"sub":"admin"}"#), sections[2])
    }

    #[test]
    fn a_signature_by_the_named_key_verifies_and_a_changed_token_does_not() {
        let set = Jwks::parse(&json!({ "keys": [public_jwk("k1")] })).unwrap();
        for alg in ["RS256", "PS256"] {
            let token = signed_jwt(&json!({ "alg": alg, "kid": "k1" }), &json!({ "sub": "alice" }));
            assert_eq!(checked(&set, &token), Ok(()), "{alg}");
            // The claims changed after signing: the signature no longer matches.
            assert_eq!(
                checked(&set, &forged(&token)),
                Err(format!("its {alg} signature does not match the JWKS's key"))
            );
        }
        // Without a kid, any key for the algorithm may have signed it.
        let unnamed = signed_jwt(&json!({ "alg": "RS256" }), &json!({ "sub": "alice" }));
        assert_eq!(checked(&set, &unnamed), Ok(()));
    }

    #[test]
    fn elliptic_curve_signatures_verify_with_their_curve_s_key_only() {
        let [p256, p384] = public_ec_jwks("ec");
        let set = Jwks::parse(&json!({ "keys": [public_jwk("rsa"), p256, p384] })).unwrap();
        for alg in ["ES256", "ES384"] {
            let token = signed_jwt(&json!({ "alg": alg, "kid": "ec" }), &json!({ "sub": "alice" }));
            assert_eq!(checked(&set, &token), Ok(()), "{alg}");
            assert_eq!(
                checked(&set, &forged(&token)),
                Err(format!("its {alg} signature does not match the JWKS's key"))
            );
        }
        // An ES256 token naming the RSA key: no key of that kind has that kid.
        let misnamed = signed_jwt(&json!({ "alg": "ES256", "kid": "rsa" }), &json!({ "sub": "alice" }));
        assert_eq!(checked(&set, &misnamed), Err("no key in the JWKS has \"kid\" \"rsa\" for ES256".into()));
        // A signature of the wrong length, or in DER, is refused, not read.
        let (header, signed, signature) = parts(&signed_jwt(&json!({ "alg": "ES256" }), &json!({})));
        assert!(set.verify(&header, signed.as_bytes(), &signature[..63]).is_err());
        let only_ec = Jwks::parse(&json!({ "keys": [public_ec_jwks("ec")[0].clone()] })).unwrap();
        let rs256 = signed_jwt(&json!({ "alg": "RS256" }), &json!({}));
        assert_eq!(checked(&only_ec, &rs256), Err("no key in the JWKS is for RS256".into()));
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
    fn key_sets_keep_signing_keys_and_refuse_what_cannot_be_used() {
        let p521 = json!({ "kty": "EC", "crv": "P-521", "x": "AA", "y": "AA", "kid": "p521" });
        let mut ecdh = public_ec_jwks("ecdh")[0].clone();
        ecdh["alg"] = "ECDH-ES".into();
        let mut encryption = public_jwk("enc");
        encryption["use"] = "enc".into();
        let mut oaep = public_jwk("oaep");
        oaep["alg"] = "RSA-OAEP".into();
        let mut mismatched = public_ec_jwks("es-as-rs")[0].clone();
        mismatched["alg"] = "RS256".into();
        let set =
            Jwks::parse(&json!({ "keys": [p521, ecdh, encryption, oaep, mismatched, public_jwk("k1")] })).unwrap();
        assert_eq!(set.keys.len(), 1);
        assert_eq!(set.keys[0].kid.as_deref(), Some("k1"));
        let mut off_curve = public_ec_jwks("bad")[0].clone();
        off_curve["y"] = URL_SAFE_NO_PAD.encode([1u8; 32]).into();
        let short = json!({ "kty": "EC", "crv": "P-384", "x": "AA", "y": "AA" });
        let mut no_n = public_jwk("k");
        no_n.as_object_mut().unwrap().remove("n");
        let mut padded = public_jwk("k");
        padded["e"] = "AQAB==".into();
        let small = json!({ "kty": "RSA", "n": URL_SAFE_NO_PAD.encode([0xc3u8; 128]), "e": "AQAB" });
        for (set, why) in [
            (json!([]), "an object with a \"keys\" array"),
            (json!({ "keys": [] }), "no signing key franz can use"),
            (json!({ "keys": [{ "kty": "EC" }] }), "no signing key franz can use (franz checks RS256"),
            (json!({ "keys": [off_curve] }), "keys[0] (EC, P-256) is not a point on its curve"),
            (json!({ "keys": [short] }), "keys[0] (EC, P-384) is not a point on its curve"),
            (json!({ "keys": [no_n] }), "keys[0] (RSA) has no \"n\""),
            (json!({ "keys": [padded] }), "keys[0].e is not base64url"),
            (json!({ "keys": [small] }), "keys[0] is a 1024-bit RSA key"),
        ] {
            let e = Jwks::parse(&set).unwrap_err();
            assert!(e.contains(why), "{set}: {e}");
        }
    }
}
