//! The OpenAPI document. Paths come from the handlers registered in [`super::api_v1`] and
//! [`super::root`]; this file adds the title, the security schemes and its own endpoint.

use actix_web::{HttpResponse, get, web};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt as _;

use crate::error::ErrorCode;

#[derive(OpenApi)]
#[openapi(
    info(title = "livectl", description = "Turns a TikTok LIVE stream into physical action."),
    modifiers(&SecuritySchemes)
)]
struct BaseDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "livectl_at",
                "the dashboard's access cookie (`__Host-livectl_at` on https); only with an Origin of this server",
            ))),
        );
    }
}

/// The whole document: the base plus every registered handler, each with the errors it can
/// answer.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_app, mut doc) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(BaseDoc::openapi())
        .service(utoipa_actix_web::scope("/api/v1").configure(super::api_v1))
        .configure(super::root)
        .split_for_parts();
    ErrorResponses.modify(&mut doc);
    doc
}

/// The body of every error (`api.md` § Errors).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct ErrorBody {
    /// The machine code (its enumeration comes from the error table: `error/codes.rs`).
    error: String,
    /// For people; never internals.
    message: String,
    /// The HTTP status again.
    status: u16,
    /// Also in the `x-request-id` header and the server log.
    request_id: String,
    /// RFC 3339.
    timestamp: String,
    /// `fields` (422), `limit`/`current`/`plan` (402), `retry_after_s` (429), or empty.
    #[schema(value_type = Object)]
    details: (),
}

/// `ErrorBody`, its `error` the enumeration of the codes of the error table, each explained.
fn error_body_schema() -> RefOr<Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let mut schema = <ErrorBody as utoipa::PartialSchema>::schema();
    let codes = ErrorCode::ALL;
    let explained: Vec<String> = codes
        .iter()
        .map(|c| {
            format!(
                "`{}` ({}): {}",
                c.as_str(),
                c.status().as_u16(),
                c.meaning()
            )
        })
        .collect();
    let error = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(codes.iter().map(|c| c.as_str())))
        .description(Some(format!("The machine code. {}.", explained.join("; "))))
        .build();
    if let RefOr::T(Schema::Object(body)) = &mut schema {
        body.properties.insert("error".into(), error.into());
    }
    schema
}

/// Declares, on every operation, the error statuses the shared layers can answer, with the
/// error body: what the extractors, the guard and the limits do to every handler alike. A
/// handler declares its own (402, 409, 423, 503) in its `#[utoipa::path]`.
struct ErrorResponses;

impl ErrorResponses {
    fn statuses(path: &str, op: &utoipa::openapi::path::Operation) -> Vec<(u16, &'static str)> {
        use utoipa::openapi::path::ParameterIn;
        let api = path.starts_with("/api/v1/");
        let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
        let params = op.parameters.as_deref().unwrap_or_default();
        let has_path = params.iter().any(|p| p.parameter_in == ParameterIn::Path);
        let has_query = params.iter().any(|p| p.parameter_in == ParameterIn::Query);
        let has_body = op.request_body.is_some();
        let mut statuses = Vec::new();
        if path.starts_with("/ws/") {
            statuses.push((400, "not a WebSocket upgrade"));
        }
        if api && (has_body || has_query) {
            statuses.push((
                400,
                "malformed JSON, wrong content type or unreadable query",
            ));
        }
        if secured {
            statuses.push((401, "missing, malformed, expired or revoked credentials"));
            statuses.push((
                403,
                "the role or the key's scopes lack the permission, or the workspace is suspended",
            ));
        }
        if api && (has_path || secured) {
            statuses.push((
                404,
                "no such resource, or it belongs to a workspace the caller is not a member of",
            ));
        }
        if has_body {
            statuses.push((413, "body over server.max_body_bytes"));
            statuses.push((
                422,
                "well-formed but invalid: details.fields says which field and why",
            ));
        } else if api && has_query {
            statuses.push((422, "invalid query parameters"));
        }
        if api {
            statuses.push((500, "internal error (the body never says more)"));
        }
        statuses
    }
}

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, ResponseBuilder};
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .schemas
            .insert("ErrorBody".into(), error_body_schema());
        let error = || {
            ContentBuilder::new()
                .schema(Some(RefOr::<Schema>::Ref(
                    utoipa::openapi::Ref::from_schema_name("ErrorBody"),
                )))
                .build()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                for (status, why) in Self::statuses(path, op) {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| {
                            RefOr::T(
                                ResponseBuilder::new()
                                    .description(why)
                                    .content("application/json", error())
                                    .build(),
                            )
                        });
                }
            }
        }
    }
}

/// The pre-rendered document, shared by the workers.
pub struct OpenApiJson(pub String);

/// This document.
#[utoipa::path(tag = "operations", responses((status = 200, description = "OpenAPI 3.1 document")))]
#[get("/openapi.json")]
pub async fn openapi_json(doc: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.0.clone())
}

/// The document's paths and their methods, so that a known path asked with another method
/// answers 405 with `Allow` (not 404).
pub struct KnownPaths(Vec<(Vec<String>, Vec<&'static str>)>);

impl KnownPaths {
    pub fn of(doc: &utoipa::openapi::OpenApi) -> Self {
        let paths = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                let methods = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect();
                (segments, methods)
            })
            .collect();
        KnownPaths(paths)
    }

    /// The methods `path` answers, when it is one of the document's paths.
    pub fn methods(&self, path: &str) -> Option<&[&'static str]> {
        let asked: Vec<&str> = path.split('/').collect();
        self.0.iter().find_map(|(pattern, methods)| {
            let same = pattern.len() == asked.len()
                && pattern.iter().zip(&asked).all(|(p, a)| {
                    (p.starts_with('{') && p.ends_with('}') && !a.is_empty()) || p == a
                });
            same.then_some(methods.as_slice())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_paths_match_their_templates_only() {
        let known = KnownPaths::of(&document());
        assert_eq!(known.methods("/healthz"), Some(&["GET"][..]));
        let ws = known.methods("/api/v1/workspaces/ws_1").unwrap();
        assert!(ws.contains(&"GET") && ws.contains(&"DELETE"));
        assert_eq!(known.methods("/api/v1/workspaces/ws_1/nope"), None);
        assert_eq!(known.methods("/api/v1/workspaces//usage"), None);
    }
}
