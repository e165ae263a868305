//! Bearer tokens: how they are made, stored (SHA-256 only), matched in constant time, and
//! what each kind of token may do.
//!
//! Two kinds exist. An **agent** token is bound to a list of sites: it may POST reports for
//! those sites and read them. A **read-only** token may not POST; it reads the sites it is
//! bound to, or every site when it was made without `--sites`. The plain token is printed
//! once by `token add` and never stored, logged or sent back.

use std::fmt;

use lanready_schema::secret::Secret;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The prefix every collector token carries, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "lrc_";

/// A plain token as presented by a client: a [`Secret`] (it prints `<secret>`) that can be
/// generated and hashed.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(Secret);

impl Token {
    pub fn new(s: impl Into<String>) -> Self {
        Token(Secret::new(s))
    }

    /// A fresh token: the prefix and 32 random bytes from the OS-seeded generator, in hex.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Token::new(format!("{TOKEN_PREFIX}{}", hex::encode(bytes)))
    }

    /// The value, for the one place it is printed or sent.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// What the store keeps: SHA-256 of the token's bytes.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.expose().as_bytes()).into()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// What a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// POST reports for its sites, and read them.
    Agent,
    /// Read only.
    ReadOnly,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Agent => "agent",
            TokenKind::ReadOnly => "read_only",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "agent" => Some(TokenKind::Agent),
            "read_only" => Some(TokenKind::ReadOnly),
            _ => None,
        }
    }
}

/// The sites a token covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SiteScope {
    All,
    Only(Vec<String>),
}

impl SiteScope {
    pub fn covers(&self, site: &str) -> bool {
        match self {
            SiteScope::All => true,
            SiteScope::Only(sites) => sites.iter().any(|s| s == site),
        }
    }
}

/// An active token as the store holds it (no plain value).
#[derive(Clone, Debug)]
pub struct StoredToken {
    pub name: String,
    pub kind: TokenKind,
    pub scope: SiteScope,
    pub hash: [u8; 32],
}

/// Who made a request, once their token matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub name: String,
    pub kind: TokenKind,
    pub scope: SiteScope,
}

impl Caller {
    pub fn may_read(&self, site: &str) -> bool {
        self.scope.covers(site)
    }

    pub fn may_post(&self, site: &str) -> bool {
        self.kind == TokenKind::Agent && self.scope.covers(site)
    }
}

/// Finds the active token whose hash equals the presented token's. Every stored hash is
/// compared in constant time and the loop never stops early, so the time taken does not
/// depend on which (if any) matched or how many bytes agreed.
pub fn match_token(presented: &Token, active: &[StoredToken]) -> Option<Caller> {
    let hash = presented.hash();
    let mut found: Option<&StoredToken> = None;
    for t in active {
        let eq: bool = t.hash.ct_eq(&hash).into();
        if eq && found.is_none() {
            found = Some(t);
        }
    }
    found.map(|t| Caller {
        name: t.name.clone(),
        kind: t.kind,
        scope: t.scope.clone(),
    })
}

/// Reads `Authorization: Bearer TOKEN`. `Err` says what is wrong with the header, without
/// repeating its value.
pub fn parse_bearer(header: Option<&str>) -> Result<Token, &'static str> {
    let value = header.ok_or("missing Authorization header (expected `Bearer TOKEN`)")?;
    let (scheme, rest) = value
        .split_once(' ')
        .ok_or("Authorization header is not `Bearer TOKEN`")?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err("Authorization scheme must be Bearer");
    }
    let token = rest.trim();
    if token.is_empty() {
        return Err("empty bearer token");
    }
    Ok(Token::new(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(name: &str, token: &Token, kind: TokenKind, scope: SiteScope) -> StoredToken {
        StoredToken {
            name: name.into(),
            kind,
            scope,
            hash: token.hash(),
        }
    }

    #[test]
    fn token_never_prints_its_value() {
        let t = Token::new("lrc_abcdef");
        assert_eq!(
            format!("{t:?} {t} {:?}", Some(&t)),
            "<secret> <secret> Some(<secret>)"
        );
        assert_eq!(t.expose(), "lrc_abcdef");
    }

    #[test]
    fn generated_tokens_are_prefixed_random_and_long() {
        let a = Token::generate();
        let b = Token::generate();
        assert_ne!(a, b);
        assert!(a.expose().starts_with(TOKEN_PREFIX));
        assert_eq!(a.expose().len(), TOKEN_PREFIX.len() + 64);
    }

    #[test]
    fn hash_is_sha256_of_the_token() {
        // sha256("abc")
        assert_eq!(
            hex::encode(Token::new("abc").hash()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn matches_only_the_right_token() {
        let a = Token::generate();
        let r = Token::generate();
        let active = vec![
            stored(
                "agent-a",
                &a,
                TokenKind::Agent,
                SiteScope::Only(vec!["s1".into()]),
            ),
            stored("reader", &r, TokenKind::ReadOnly, SiteScope::All),
        ];
        let ca = match_token(&a, &active).expect("agent matches");
        assert_eq!(ca.name, "agent-a");
        assert!(ca.may_post("s1") && ca.may_read("s1"));
        assert!(!ca.may_post("s2") && !ca.may_read("s2"));
        let cr = match_token(&r, &active).expect("reader matches");
        assert!(cr.may_read("anything") && !cr.may_post("s1"));
        assert!(match_token(&Token::generate(), &active).is_none());
        assert!(match_token(&Token::new(""), &active).is_none());
    }

    #[test]
    fn bearer_header_parsing() {
        assert_eq!(parse_bearer(Some("Bearer abc")).unwrap().expose(), "abc");
        assert_eq!(parse_bearer(Some("bearer  abc ")).unwrap().expose(), "abc");
        assert!(parse_bearer(None).unwrap_err().contains("missing"));
        assert!(
            parse_bearer(Some("Basic abc"))
                .unwrap_err()
                .contains("Bearer")
        );
        assert!(parse_bearer(Some("Bearer ")).is_err());
        assert!(parse_bearer(Some("abc")).is_err());
    }
}
