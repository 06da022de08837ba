//! Property schemas the derive cannot express, for `#[schema(schema_with = …)]`: constants
//! (`const`, which utoipa has no attribute for, is set as a raw key of the object) and the
//! enumeration of problem codes.

use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::{Object, ObjectBuilder, Type};

/// A schema of `kind` whose only value is `value` (JSON Schema `const`).
fn constant(kind: Type, value: serde_json::Value, description: &str) -> Object {
    let mut keywords = Extensions::default();
    // `Extensions` prefixes `x-` only through its builder; `const` is a JSON Schema keyword.
    keywords.insert("const".to_owned(), value);
    ObjectBuilder::new()
        .schema_type(kind)
        .description(Some(description))
        .extensions(Some(keywords))
        .build()
}

/// `token_type`: always `"Bearer"`.
pub(crate) fn bearer() -> Object {
    constant(
        Type::String,
        serde_json::json!("Bearer"),
        "Always `Bearer`.",
    )
}

/// `mfa_required`: always `true`.
pub(crate) fn always_true() -> Object {
    constant(
        Type::Boolean,
        serde_json::json!(true),
        "Always `true`: the property that tells this answer from a `TokenPair`.",
    )
}

/// `Problem.code`: one of [`crate::problem::PROBLEM_CODES`].
pub(crate) fn problem_code() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "A stable snake_case code for programs. New codes may be added; a listed one is never \
             renamed or removed.",
        ))
        .enum_values(Some(crate::problem::PROBLEM_CODES))
        .build()
}
