//! Every JSON answer a test receives is checked against the OpenAPI document, as a generated
//! client would read it: its status must be declared for the operation (an answer of no
//! documented operation, such as a 404 or 405 of the router, must be a `Problem`), its content
//! type too, and the body must validate against
//! the declared schema (JSON Schema 2020-12, formats asserted). What does not match fails the
//! test when its [`SchemaGuard`] is dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::Validator;
use plinth_api::{ObservedResponse, ResponseObserver};
use serde_json::{Value, json};

/// The answers of one app that do not match the document.
#[derive(Default)]
pub struct SchemaCheck {
    violations: Mutex<Vec<String>>,
}

impl ResponseObserver for SchemaCheck {
    fn observe(&self, response: &ObservedResponse<'_>) {
        if let Err(violation) = check(response) {
            let route = response.route.unwrap_or("(no route)");
            let line = format!(
                "{} {route} → {} {}: {violation}",
                response.method, response.status, response.content_type
            );
            self.violations.lock().unwrap().push(line);
        }
    }
}

/// Fails the test (when dropped, unless it is failing already) if any answer did not match.
pub struct SchemaGuard(pub Arc<SchemaCheck>);

impl SchemaGuard {
    /// The violations so far, taken (so the guard does not report them again).
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.violations.lock().unwrap())
    }
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let violations = self.take();
        assert!(
            violations.is_empty(),
            "answers that do not match the OpenAPI document:\n{}",
            violations.join("\n")
        );
    }
}

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::from_str(&plinth_api::openapi_json()).unwrap())
}

/// The declared schema of `response`, or why there is none.
fn declared_schema(response: &ObservedResponse<'_>) -> Result<Option<Value>, String> {
    let doc = document();
    let problem = || Ok(Some(json!({ "$ref": "#/components/schemas/Problem" })));
    let method = response.method.to_ascii_lowercase();
    let operation = response
        .route
        .and_then(|route| doc["paths"].get(route))
        .and_then(|item| item.get(&method));
    let Some(operation) = operation else {
        // No documented operation answered (no route, a method the path does not take, a
        // refused CORS preflight, a missing Swagger UI file): the answer must be a problem.
        if response.content_type == "application/problem+json" {
            return problem();
        }
        return Err("JSON from no documented operation".to_owned());
    };
    let status = response.status.to_string();
    let Some(mut declared) = operation["responses"]
        .get(&status)
        .or_else(|| operation["responses"].get("default"))
    else {
        return Err("the status is not declared".to_owned());
    };
    if let Some(reference) = declared.get("$ref").and_then(Value::as_str) {
        let pointer = reference.trim_start_matches('#');
        declared = doc
            .pointer(pointer)
            .ok_or_else(|| format!("dangling {reference}"))?;
    }
    let Some(content) = declared["content"].get(response.content_type) else {
        return Err("the content type is not declared".to_owned());
    };
    Ok(content.get("schema").cloned())
}

/// The validator of `schema`, whose `#/components/…` references resolve in the document.
fn validator(schema: &Value) -> Result<Arc<Validator>, String> {
    static VALIDATORS: OnceLock<Mutex<HashMap<String, Arc<Validator>>>> = OnceLock::new();
    let key = schema.to_string();
    let cache = VALIDATORS.get_or_init(Mutex::default);
    if let Some(v) = cache.lock().unwrap().get(&key) {
        return Ok(Arc::clone(v));
    }
    let mut root = schema.clone();
    let Some(object) = root.as_object_mut() else {
        return Err(format!("a schema that is not an object: {schema}"));
    };
    object.insert("components".to_owned(), document()["components"].clone());
    let compiled = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .map_err(|e| format!("the declared schema does not compile: {e}"))?;
    let compiled = Arc::new(compiled);
    cache.lock().unwrap().insert(key, Arc::clone(&compiled));
    Ok(compiled)
}

fn check(response: &ObservedResponse<'_>) -> Result<(), String> {
    let Some(schema) = declared_schema(response)? else {
        return Ok(());
    };
    let body: Value =
        serde_json::from_slice(response.body).map_err(|e| format!("the body is not JSON ({e})"))?;
    let validator = validator(&schema)?;
    let errors: Vec<String> = validator
        .iter_errors(&body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{}; body {body}", errors.join("; ")))
    }
}
