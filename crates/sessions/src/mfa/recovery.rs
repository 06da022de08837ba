//! Single-use recovery codes, stored only as SHA-256 hashes.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How many codes a user gets at activation.
pub const RECOVERY_CODE_COUNT: usize = 10;

/// Characters used: no `0`/`o`, `1`/`l`/`i`, so a code read off paper is typed right.
const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// Characters per code (two groups of five, about 49.5 bits).
const CODE_CHARS: usize = 10;

/// A recovery code as shown to the user once: `xxxxx-xxxxx`. Redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(<redacted>)")
    }
}

/// Lower-case hex SHA-256 of a normalised recovery code: the only form stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecoveryCodeHash(pub String);

impl RecoveryCode {
    /// A fresh random code (rejection sampling, so every character is equally likely).
    ///
    /// # Errors
    /// When the OS random source fails.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let limit = 256 - 256 % ALPHABET.len();
        let mut chars = Vec::with_capacity(CODE_CHARS);
        while chars.len() < CODE_CHARS {
            let mut buf = [0u8; 16];
            getrandom::fill(&mut buf)?;
            for b in buf {
                let b = usize::from(b);
                if b < limit && chars.len() < CODE_CHARS {
                    chars.push(char::from(ALPHABET[b % ALPHABET.len()]));
                }
            }
        }
        let (left, right) = chars.split_at(CODE_CHARS / 2);
        Ok(Self(format!(
            "{}-{}",
            left.iter().collect::<String>(),
            right.iter().collect::<String>()
        )))
    }

    /// The code, to show to the user once.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its hash.
    #[must_use]
    pub fn hash(&self) -> RecoveryCodeHash {
        hash_normalised(&normalise(&self.0).unwrap_or_default())
    }
}

/// Lower-cases and drops hyphens and whitespace; `None` unless ten alphabet characters remain.
fn normalise(presented: &str) -> Option<String> {
    let s: String = presented
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (s.len() == CODE_CHARS && s.bytes().all(|b| ALPHABET.contains(&b))).then_some(s)
}

fn hash_normalised(normalised: &str) -> RecoveryCodeHash {
    RecoveryCodeHash(hex::encode(Sha256::digest(normalised.as_bytes())))
}

/// A user's unused recovery codes, by hash.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryCodeSet {
    hashes: Vec<RecoveryCodeHash>,
}

impl RecoveryCodeSet {
    /// Ten fresh, distinct codes (to show once) and the set of their hashes (to store).
    ///
    /// # Errors
    /// When the OS random source fails.
    pub fn generate() -> Result<(Vec<RecoveryCode>, Self), getrandom::Error> {
        let mut codes: Vec<RecoveryCode> = Vec::with_capacity(RECOVERY_CODE_COUNT);
        while codes.len() < RECOVERY_CODE_COUNT {
            let code = RecoveryCode::generate()?;
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        let hashes = codes.iter().map(RecoveryCode::hash).collect();
        Ok((codes, Self { hashes }))
    }

    /// The set as loaded from storage.
    #[must_use]
    pub fn from_hashes(hashes: Vec<RecoveryCodeHash>) -> Self {
        Self { hashes }
    }

    /// The unused codes' hashes.
    #[must_use]
    pub fn hashes(&self) -> &[RecoveryCodeHash] {
        &self.hashes
    }

    /// How many codes are left.
    #[must_use]
    pub fn remaining(&self) -> usize {
        self.hashes.len()
    }

    /// The position of the stored hash matching `presented`, comparing against every stored hash
    /// in constant time.
    #[must_use]
    pub fn find(&self, presented: &str) -> Option<usize> {
        let candidate = hash_normalised(&normalise(presented)?);
        let mut found = None;
        for (i, stored) in self.hashes.iter().enumerate() {
            let equal: bool = stored.0.as_bytes().ct_eq(candidate.0.as_bytes()).into();
            if equal {
                found = Some(i);
            }
        }
        found
    }

    /// Spends `presented`: removes its hash and returns it (so the store deletes exactly that
    /// code, in the same transaction as the login), or `None` when it is not an unused code.
    pub fn redeem(&mut self, presented: &str) -> Option<RecoveryCodeHash> {
        let i = self.find(presented)?;
        Some(self.hashes.remove(i))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ten_distinct_codes_in_the_unambiguous_format() {
        let (codes, set) = RecoveryCodeSet::generate().unwrap();
        assert_eq!(codes.len(), 10);
        assert_eq!(set.remaining(), 10);
        let distinct: HashSet<&str> = codes.iter().map(RecoveryCode::expose).collect();
        assert_eq!(distinct.len(), 10);
        for code in &codes {
            let s = code.expose();
            assert_eq!(s.len(), 11, "{s}");
            assert_eq!(&s[5..6], "-");
            assert!(
                s.chars()
                    .all(|c| c == '-' || (c.is_ascii_alphanumeric() && !"01ilo".contains(c))),
                "{s}"
            );
        }
    }

    #[test]
    fn only_hashes_are_kept() {
        let (codes, set) = RecoveryCodeSet::generate().unwrap();
        for (code, hash) in codes.iter().zip(set.hashes()) {
            assert_eq!(hash.0.len(), 64);
            assert!(!hash.0.contains(&code.expose().replace('-', "")));
            assert_eq!(&code.hash(), hash);
        }
        assert!(!format!("{set:?}{codes:?}").contains(codes[0].expose()));
    }

    #[test]
    fn each_code_works_once() {
        let (codes, mut set) = RecoveryCodeSet::generate().unwrap();
        let third = codes[2].expose();
        assert_eq!(set.redeem(third), Some(codes[2].hash()));
        assert_eq!(set.remaining(), 9);
        assert_eq!(set.redeem(third), None, "single use");
        for code in codes.iter().filter(|c| c.expose() != third) {
            assert!(set.redeem(code.expose()).is_some());
        }
        assert_eq!(set.remaining(), 0);
    }

    #[test]
    fn typing_variations_are_accepted_and_wrong_codes_are_not() {
        let (codes, set) = RecoveryCodeSet::generate().unwrap();
        let code = codes[0].expose();
        assert_eq!(set.find(&code.to_uppercase()), Some(0));
        assert_eq!(set.find(&code.replace('-', "")), Some(0));
        assert_eq!(set.find(&format!(" {} ", code.replace('-', " "))), Some(0));
        let (others, _) = RecoveryCodeSet::generate().unwrap();
        for other in &others {
            if !codes.contains(other) {
                assert_eq!(set.find(other.expose()), None);
            }
        }
        for bad in [
            "",
            "abcde",
            "abcde-abcd0",
            "abcde-abcdef",
            "ｂｃｄｅｆ-ｂｃｄｅｆ",
        ] {
            assert_eq!(set.find(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_set_survives_storage_as_hashes() {
        let (codes, set) = RecoveryCodeSet::generate().unwrap();
        let mut loaded = RecoveryCodeSet::from_hashes(set.hashes().to_vec());
        assert!(loaded.redeem(codes[9].expose()).is_some());
        assert_eq!(loaded.remaining(), 9);
    }
}
