//! Validation of a [`NewPlan`], collecting every problem at once.

use crate::NewPlan;
use crate::error::FieldErrors;

/// Longest plan code, in characters.
pub(crate) const MAX_CODE: usize = 64;
/// Longest plan name after trimming, in characters.
pub(crate) const MAX_NAME: usize = 100;
/// Longest free trial, in days.
pub(crate) const MAX_TRIAL_DAYS: u32 = 365;
/// Longest feature key, in characters.
pub(crate) const MAX_FEATURE_KEY: usize = 64;

/// Checks every field of `plan` and returns the trimmed name, or every problem found.
pub(crate) fn validate_new_plan(plan: &NewPlan) -> Result<String, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut add =
        |field: &str, message: String| errors.entry(field.to_owned()).or_default().push(message);

    if plan.code.is_empty() {
        add("code", "code is required".to_owned());
    } else {
        if plan.code.chars().count() > MAX_CODE {
            add(
                "code",
                format!("code must be at most {MAX_CODE} characters"),
            );
        }
        if !plan
            .code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        {
            add(
                "code",
                "code may contain only lower-case letters a-z, digits, '_' and '-'".to_owned(),
            );
        }
    }

    let name = plan.name.trim();
    if name.is_empty() {
        add("name", "name is required".to_owned());
    } else if name.chars().count() > MAX_NAME {
        add(
            "name",
            format!("name must be at most {MAX_NAME} characters"),
        );
    }

    if plan.price.amount < 0 {
        add("price", "price must not be negative".to_owned());
    }

    if plan.trial_days > MAX_TRIAL_DAYS {
        add(
            "trial_days",
            format!("trial_days must be at most {MAX_TRIAL_DAYS}"),
        );
    }

    for key in plan.features.keys() {
        let well_formed = !key.is_empty()
            && key.chars().count() <= MAX_FEATURE_KEY
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !well_formed {
            add(
                "features",
                format!(
                    "feature key {key:?} must be 1 to {MAX_FEATURE_KEY} lower-case letters a-z, digits or '_'"
                ),
            );
        }
    }

    if errors.is_empty() {
        Ok(name.to_owned())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use plinth_kernel::{Currency, Money};

    use super::*;
    use crate::{FeatureValue, Interval};

    fn plan() -> NewPlan {
        NewPlan {
            code: "pro_2026-v1".into(),
            name: "  Pro  ".into(),
            active: true,
            price: Money::new(0, Currency::parse("USD").unwrap()),
            interval: Interval::Month,
            trial_days: 365,
            features: [("api_access".to_owned(), FeatureValue::Flag(true))].into(),
        }
    }

    fn errors_of(p: &NewPlan) -> FieldErrors {
        validate_new_plan(p).unwrap_err()
    }

    fn one(field: &str, message: &str) -> FieldErrors {
        [(field.to_owned(), vec![message.to_owned()])].into()
    }

    #[test]
    fn a_valid_plan_passes_with_its_name_trimmed_and_limits_inclusive() {
        let mut p = plan();
        p.code = "a".repeat(64);
        p.features.insert("k".repeat(64), FeatureValue::Limit(10));
        assert_eq!(validate_new_plan(&p).unwrap(), "Pro");
        p.name = "n".repeat(100);
        assert!(validate_new_plan(&p).is_ok());
    }

    #[test]
    fn code_messages() {
        let mut p = plan();
        p.code = String::new();
        assert_eq!(errors_of(&p), one("code", "code is required"));
        p.code = "a".repeat(65);
        assert_eq!(
            errors_of(&p),
            one("code", "code must be at most 64 characters")
        );
        p.code = "Pro Plan".into();
        assert_eq!(
            errors_of(&p),
            one(
                "code",
                "code may contain only lower-case letters a-z, digits, '_' and '-'"
            )
        );
        p.code = "É".repeat(65);
        assert_eq!(
            errors_of(&p)["code"].len(),
            2,
            "too long and bad characters are both reported"
        );
    }

    #[test]
    fn name_messages() {
        let mut p = plan();
        p.name = "   ".into();
        assert_eq!(errors_of(&p), one("name", "name is required"));
        p.name = format!(" {} ", "é".repeat(101));
        assert_eq!(
            errors_of(&p),
            one("name", "name must be at most 100 characters")
        );
    }

    #[test]
    fn price_and_trial_messages() {
        let mut p = plan();
        p.price.amount = -1;
        assert_eq!(errors_of(&p), one("price", "price must not be negative"));
        let mut p = plan();
        p.trial_days = 366;
        assert_eq!(
            errors_of(&p),
            one("trial_days", "trial_days must be at most 365")
        );
    }

    #[test]
    fn feature_key_messages_name_each_bad_key() {
        let mut p = plan();
        for bad in ["", "Seats", "max-seats", &"k".repeat(65)] {
            p.features.insert(bad.to_owned(), FeatureValue::Flag(true));
        }
        let errors = errors_of(&p);
        assert_eq!(errors.len(), 1);
        let messages = &errors["features"];
        assert_eq!(messages.len(), 4);
        assert!(
            messages.contains(
                &"feature key \"max-seats\" must be 1 to 64 lower-case letters a-z, digits or '_'"
                    .to_owned()
            )
        );
        assert!(messages.contains(
            &"feature key \"\" must be 1 to 64 lower-case letters a-z, digits or '_'".to_owned()
        ));
    }

    #[test]
    fn every_problem_is_collected() {
        let mut p = plan();
        p.code = "BAD CODE".into();
        p.name = String::new();
        p.price.amount = -100;
        p.trial_days = 1000;
        p.features.insert("Bad".into(), FeatureValue::Limit(1));
        let errors = errors_of(&p);
        assert_eq!(
            errors.keys().map(String::as_str).collect::<Vec<_>>(),
            vec!["code", "features", "name", "price", "trial_days"]
        );
    }
}
