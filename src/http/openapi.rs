//! The OpenAPI document. Paths come from the handlers registered in [`super::api_v1`] and
//! [`super::root`]; this file adds the title, the security schemes and its own endpoint.

use actix_web::{HttpResponse, get, web};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt as _;

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

/// The whole document: the base plus every registered handler.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_app, doc) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(BaseDoc::openapi())
        .service(utoipa_actix_web::scope("/api/v1").configure(super::api_v1))
        .configure(super::root)
        .split_for_parts();
    doc
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
