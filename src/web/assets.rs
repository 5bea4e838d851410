//! Static files, embedded in the binary by `build.rs` with content-hashed URLs: every URL can
//! be cached for a year, and a template naming a file that does not exist fails to compile.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse};

pub struct Asset {
    pub url: &'static str,
    pub bytes: &'static [u8],
    pub content_type: &'static str,
}

mod generated {
    use super::Asset;
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// htmx, pinned at 2.0.11 (npm's `latest` is 4.x, whose API differs): swaps form answers.
pub const HTMX: &Asset = &generated::VENDOR_HTMX_2_0_11_MIN_JS;
/// The live socket, session renewal and dialogs.
pub const APP_JS: &Asset = &generated::APP_JS;
pub const APP_CSS: &Asset = &generated::APP_CSS;
pub const ICON: &Asset = &generated::ICON_SVG;
pub const MANIFEST: &Asset = &generated::MANIFEST_WEBMANIFEST;
/// The viewer overlay's look and its once-a-second refresh.
pub const OVERLAY_CSS: &Asset = &generated::OVERLAY_CSS;
pub const OVERLAY_JS: &Asset = &generated::OVERLAY_JS;

/// `GET /static/{name}.{hash}.{ext}`.
pub async fn serve(req: HttpRequest) -> HttpResponse {
    let path = req.path();
    match generated::ALL.iter().find(|asset| asset.url == path) {
        Some(asset) => HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, asset.content_type))
            .insert_header((CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(asset.bytes),
        None => HttpResponse::NotFound()
            .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
            .insert_header((CACHE_CONTROL, "no-store"))
            .body("no such file (static file names change with every release)"),
    }
}

/// `GET /favicon.ico`: browsers ask for it whatever the page says.
pub async fn favicon() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, ICON.content_type))
        .insert_header((CACHE_CONTROL, "public, max-age=86400"))
        .body(ICON.bytes)
}
