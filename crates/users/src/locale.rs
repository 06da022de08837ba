//! The language a user reads: [`Locale`], a small, normalised subset of BCP 47 (RFC 5646).

/// A language tag: a primary language of 2–3 ASCII letters (stored lower case), optionally
/// followed by `-` and a region of 2 letters (stored upper case) or 3 digits (a UN M.49 area),
/// for example `en`, `de`, `pt-BR`, `es-419`. Script, variant, extension and private-use
/// subtags are refused, as are `_` separators: a tag is at most [`Locale::MAX_LEN`] characters.
///
/// Parsed once at the edge ([`Locale::parse`]); a `User` without one
/// (`locale: None`) reads the deployment's default, English ([`Locale::english`]). Mail code
/// picks a template with [`Locale::chain`] (or `User::locale_chain`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Locale(String);

impl Locale {
    /// The longest tag accepted: a 3-letter language and a 3-digit region (`yue-419`).
    pub const MAX_LEN: usize = 7;

    /// The tag of the default language, English.
    pub const DEFAULT_TAG: &'static str = "en";

    /// Parses and normalises a tag: surrounding whitespace is ignored and case is not
    /// significant (`PT-br` is `pt-BR`).
    ///
    /// # Errors
    /// A human-readable reason (for a 422 on `locale`) when the tag is empty, longer than
    /// [`Locale::MAX_LEN`] characters, or not a language optionally followed by a region.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("locale must not be empty".into());
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(format!(
                "locale must be at most {} characters, such as `en`, `de` or `pt-BR`",
                Self::MAX_LEN
            ));
        }
        let (language, region) = match s.split_once('-') {
            Some((language, region)) => (language, Some(region)),
            None => (s, None),
        };
        let language_ok =
            (2..=3).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_alphabetic());
        let region = match region {
            None => Some(None),
            Some(r) if r.len() == 2 && r.bytes().all(|b| b.is_ascii_alphabetic()) => {
                Some(Some(r.to_ascii_uppercase()))
            }
            Some(r) if r.len() == 3 && r.bytes().all(|b| b.is_ascii_digit()) => {
                Some(Some(r.to_owned()))
            }
            Some(_) => None,
        };
        match (language_ok, region) {
            (true, Some(region)) => {
                let mut tag = language.to_ascii_lowercase();
                if let Some(region) = region {
                    tag.push('-');
                    tag.push_str(&region);
                }
                Ok(Self(tag))
            }
            _ => Err(
                "locale must be a language tag such as `en`, `de` or `pt-BR`: 2–3 letters, \
                 optionally `-` and a 2-letter or 3-digit region"
                    .into(),
            ),
        }
    }

    /// The default language, English (`en`): what a user without a locale reads.
    #[must_use]
    pub fn english() -> Self {
        Self(Self::DEFAULT_TAG.to_owned())
    }

    /// The normalised tag, such as `pt-BR`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language alone, such as `pt` for `pt-BR`.
    #[must_use]
    pub fn language(&self) -> &str {
        self.0.split_once('-').map_or(self.0.as_str(), |(l, _)| l)
    }

    /// The region, such as `BR` for `pt-BR`; `None` for a bare language.
    #[must_use]
    pub fn region(&self) -> Option<&str> {
        self.0.split_once('-').map(|(_, r)| r)
    }

    /// The languages to try, most specific first, without repeats: `preferred` (when there
    /// is one), its bare language when it names a region, then `default`. For a template
    /// lookup: take the first one a template exists for.
    ///
    /// `pt-BR` with default `en` gives `[pt-BR, pt, en]`; `en-GB` gives `[en-GB, en]`; `None`
    /// gives `[en]`.
    #[must_use]
    pub fn chain(preferred: Option<&Self>, default: &Self) -> Vec<Self> {
        let mut chain: Vec<Self> = Vec::with_capacity(3);
        if let Some(locale) = preferred {
            chain.push(locale.clone());
            if locale.region().is_some() {
                chain.push(Self(locale.language().to_owned()));
            }
        }
        if !chain.contains(default) {
            chain.push(default.clone());
        }
        chain
    }

    /// The first language of an `Accept-Language` header (RFC 9110 §12.5.4) that is a valid
    /// tag, by descending `q` (ties keep the header's order); entries with `q=0` and `*` are
    /// skipped, and a longer tag that does not parse (`zh-Hant-TW`) falls back to its
    /// primary language (`zh`). `None` when nothing usable is there.
    #[must_use]
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut ranked: Vec<(u16, Self)> = header
            .split(',')
            .take(32)
            .filter_map(|entry| {
                let mut parts = entry.split(';');
                let tag = parts.next()?.trim();
                let q = parts
                    .find_map(|p| {
                        let (k, v) = p.trim().split_once('=')?;
                        k.trim()
                            .eq_ignore_ascii_case("q")
                            .then(|| quality(v.trim()))
                    })
                    .unwrap_or(Some(1000))?;
                if q == 0 || tag == "*" {
                    return None;
                }
                let locale = Self::parse(tag).ok().or_else(|| {
                    let language = tag.split('-').next()?;
                    Self::parse(language).ok()
                })?;
                Some((q, locale))
            })
            .collect();
        // Stable: equal weights keep the order the client gave.
        ranked.sort_by_key(|(q, _)| std::cmp::Reverse(*q));
        ranked.into_iter().next().map(|(_, locale)| locale)
    }
}

impl std::fmt::Display for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An RFC 9110 weight (`0`–`1`, up to three decimals) in thousandths; `None` when malformed.
fn quality(v: &str) -> Option<u16> {
    let (whole, fraction) = v.split_once('.').unwrap_or((v, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{fraction:0<3}");
    let thousandths: u16 = digits.parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(raw: &str) -> String {
        Locale::parse(raw).unwrap().as_str().to_owned()
    }

    #[test]
    fn tags_are_normalised() {
        assert_eq!(tag("en"), "en");
        assert_eq!(tag("DE"), "de");
        assert_eq!(tag(" pt-br "), "pt-BR");
        assert_eq!(tag("PT-BR"), "pt-BR");
        assert_eq!(tag("es-419"), "es-419");
        assert_eq!(tag("yue-419"), "yue-419");
        assert_eq!(tag("fil"), "fil");
    }

    #[test]
    fn anything_but_language_and_region_is_refused() {
        for raw in [
            "e",
            "engl",
            "e1",
            "pt_BR",
            "pt-",
            "-BR",
            "pt-B",
            "pt-BRA",
            "pt-12",
            "pt-1234",
            "zh-Hant",
            "zh-Hant-TW",
            "en-US-x-a",
            "de--DE",
            "é",
            "en-ÜS",
            "en DE",
            "*",
        ] {
            assert!(Locale::parse(raw).is_err(), "{raw:?} must be refused");
        }
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(Locale::parse("  ").unwrap_err(), "locale must not be empty");
        assert!(
            Locale::parse(&"a".repeat(1000))
                .unwrap_err()
                .contains("at most 7 characters")
        );
        assert!(Locale::parse("pt_BR").unwrap_err().contains("`pt-BR`"));
    }

    #[test]
    fn language_and_region_are_read_back() {
        let l = Locale::parse("pt-BR").unwrap();
        assert_eq!((l.language(), l.region()), ("pt", Some("BR")));
        let l = Locale::parse("de").unwrap();
        assert_eq!((l.language(), l.region()), ("de", None));
        assert_eq!(Locale::english().as_str(), "en");
        assert_eq!(l.to_string(), "de");
    }

    fn chain(preferred: Option<&str>) -> Vec<String> {
        let preferred = preferred.map(|p| Locale::parse(p).unwrap());
        Locale::chain(preferred.as_ref(), &Locale::english())
            .iter()
            .map(|l| l.as_str().to_owned())
            .collect()
    }

    #[test]
    fn the_chain_goes_from_specific_to_the_default_without_repeats() {
        assert_eq!(chain(Some("pt-BR")), ["pt-BR", "pt", "en"]);
        assert_eq!(chain(Some("de")), ["de", "en"]);
        assert_eq!(chain(Some("en-GB")), ["en-GB", "en"]);
        assert_eq!(chain(Some("en")), ["en"]);
        assert_eq!(chain(None), ["en"]);
        let de = Locale::parse("de").unwrap();
        let fr_ca = Locale::parse("fr-CA").unwrap();
        let tags: Vec<_> = Locale::chain(Some(&fr_ca), &de)
            .into_iter()
            .map(|l| l.to_string())
            .collect();
        assert_eq!(tags, ["fr-CA", "fr", "de"], "the deployment's default last");
    }

    fn accept(header: &str) -> Option<String> {
        Locale::from_accept_language(header).map(|l| l.to_string())
    }

    #[test]
    fn accept_language_gives_the_best_valid_tag() {
        assert_eq!(accept("de-DE,de;q=0.9,en;q=0.8").as_deref(), Some("de-DE"));
        assert_eq!(accept("en;q=0.5, fr-ca").as_deref(), Some("fr-CA"));
        assert_eq!(accept("*, nl;q=0.7").as_deref(), Some("nl"));
        assert_eq!(accept("it;q=0, es;q=0.2").as_deref(), Some("es"));
        assert_eq!(accept("zh-Hant-TW, en;q=0.1").as_deref(), Some("zh"));
        assert_eq!(
            accept("da, en;q=1").as_deref(),
            Some("da"),
            "ties keep order"
        );
        assert_eq!(accept("x-klingon;q=0.9, sv;q=0.8").as_deref(), Some("sv"));
        assert_eq!(
            accept("de;q=2, fi;q=0.3").as_deref(),
            Some("fi"),
            "bad q skipped"
        );
    }

    #[test]
    fn accept_language_without_a_usable_tag_is_none() {
        for header in ["", "*", "   ", "de;q=0", "1234, ;q=0.5", "i-klingon"] {
            assert_eq!(accept(header), None, "{header:?}");
        }
    }
}
