//! Which methods each documented route accepts, for `405 Method Not Allowed` with `Allow`.
//! Built from the OpenAPI document, which comes from the same registration as the routes.

use actix_web::http::Method;
use utoipa::openapi::OpenApi;

/// Every documented path template (`/api/v1/files/{id}`) with its methods.
#[derive(Debug, Default)]
pub(crate) struct RouteTable {
    routes: Vec<(Vec<Segment>, Vec<Method>)>,
}

#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
}

impl RouteTable {
    /// The table of `document`'s paths and operations.
    pub(crate) fn from_document(document: &OpenApi) -> Self {
        let routes = document
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let methods = [
                    (Method::GET, item.get.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::HEAD, item.head.is_some()),
                    (Method::OPTIONS, item.options.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect();
                (parse(template), methods)
            })
            .collect();
        Self { routes }
    }

    /// The methods accepted on `path`, or `None` when no documented route has this path.
    pub(crate) fn allowed(&self, path: &str) -> Option<Vec<Method>> {
        let segments: Vec<&str> = path.split('/').collect();
        let mut found: Option<Vec<Method>> = None;
        for (template, methods) in &self.routes {
            if matches(template, &segments) {
                let all = found.get_or_insert_with(Vec::new);
                for method in methods {
                    if !all.contains(method) {
                        all.push(method.clone());
                    }
                }
            }
        }
        found
    }
}

/// `GET, PATCH`: the `Allow` header value.
pub(crate) fn allow_header(methods: &[Method]) -> String {
    methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse(template: &str) -> Vec<Segment> {
    template
        .split('/')
        .map(|s| {
            if s.starts_with('{') && s.ends_with('}') {
                Segment::Param
            } else {
                Segment::Literal(s.to_owned())
            }
        })
        .collect()
}

fn matches(template: &[Segment], path: &[&str]) -> bool {
    template.len() == path.len()
        && template.iter().zip(path).all(|(t, p)| match t {
            Segment::Literal(l) => l == p,
            Segment::Param => !p.is_empty(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_whole_segments() {
        let table = RouteTable::from_document(&crate::openapi::document());
        assert_eq!(
            table.allowed("/api/v1/auth/login"),
            Some(vec![Method::POST])
        );
        assert_eq!(
            table.allowed("/api/v1/me"),
            Some(vec![Method::GET, Method::DELETE, Method::PATCH])
        );
        let file = table.allowed("/api/v1/files/0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6a");
        assert!(file.is_some_and(|m| m.contains(&Method::GET)));
        assert_eq!(table.allowed("/api/v1/files//"), None);
        assert_eq!(table.allowed("/api/v1/auth/login/extra"), None);
        assert_eq!(table.allowed("/nope"), None);
        assert_eq!(allow_header(&[Method::GET, Method::PATCH]), "GET, PATCH");
    }
}
