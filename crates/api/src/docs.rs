//! `/docs`: the bundled Swagger UI over `/api/v1/openapi.json`, offline. Its online validator
//! badge is off (it would load an image from swagger.io, which the page's CSP blocks, and send
//! the document's address there), and its page is titled for Plinth.

use std::sync::{Arc, OnceLock};

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};
use utoipa_swagger_ui::{Config, SwaggerUi};

/// The page title of `/docs/`.
pub(crate) const TITLE: &str = "Plinth API reference";

fn config() -> Config<'static> {
    Config::from("/api/v1/openapi.json").validator_url("none")
}

/// The Swagger UI files under `/docs/`.
pub(crate) fn swagger_ui() -> SwaggerUi {
    SwaggerUi::new("/docs/{_:.*}").config(config())
}

/// `/docs/` and `/docs/index.html` (registered before [`swagger_ui`], which serves them
/// otherwise): the bundle's page with its title.
pub(crate) fn index_page() -> actix_web::Resource {
    web::resource(["/docs/", "/docs/index.html"]).route(web::get().to(index))
}

async fn index() -> HttpResponse {
    static PAGE: OnceLock<String> = OnceLock::new();
    let page = PAGE.get_or_init(|| {
        let bundled = utoipa_swagger_ui::serve("index.html", Arc::new(config()))
            .ok()
            .flatten()
            .map(|file| String::from_utf8_lossy(&file.bytes).into_owned())
            .unwrap_or_default();
        bundled.replace(
            "<title>Swagger UI</title>",
            &format!("<title>{TITLE}</title>"),
        )
    });
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(page.clone())
}
