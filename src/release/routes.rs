//! What the server serves of its releases folder: the list of signed builds, each build and
//! its signature, the update offered in an agent's hello, and the one-line installers
//! `/install.sh` and `/install.ps1`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;
use serde::Serialize;
use utoipa::ToSchema;

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::protocol::UpdateOffer;
use crate::release::folder::{Build, binary_name};
use crate::release::{valid_platform, valid_version};

#[derive(Debug, Serialize, ToSchema)]
pub struct Releases {
    /// `ed25519:…`: every build is signed with it. Absent: the server offers no build.
    pub public_key: Option<String>,
    /// The version agents are told to run.
    pub recommended_version: String,
    /// Newest version first.
    pub builds: Vec<Build>,
}

/// The version agents should run: `agents.recommended_version`, else the server's own.
pub fn recommended_version(state: &AppState) -> String {
    let configured = state.settings.agents.recommended_version.trim();
    if configured.is_empty() {
        env!("CARGO_PKG_VERSION").to_owned()
    } else {
        configured.to_owned()
    }
}

/// The recommended build for `platform`, if there is a signed one (hashing a build the first
/// time reads it whole: off the async workers).
pub async fn offer_for(state: &AppState, platform: Option<&str>) -> Option<UpdateOffer> {
    let platform = platform?.to_owned();
    let version = recommended_version(state);
    let releases = state.releases.clone();
    let build = web::block(move || releases.find(&version, &platform))
        .await
        .ok()??;
    Some(UpdateOffer {
        path: download_path(&build),
        version: build.version,
        platform: build.platform,
        sha256: build.sha256,
        size: build.size,
        signature: build.signature,
    })
}

fn download_path(build: &Build) -> String {
    format!(
        "/agent/releases/{}/{}/{}",
        build.version,
        build.platform,
        binary_name(&build.platform)
    )
}

/// The signed agent builds this server offers.
#[utoipa::path(tag = "releases", responses((status = 200, body = Releases)))]
#[get("/agent/releases")]
pub async fn list_releases(state: web::Data<AppState>) -> AppResult<web::Json<Releases>> {
    let releases = state.releases.clone();
    let (public_key, builds) = web::block(move || (releases.public_key(), releases.list()))
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("listing releases: {e}")))?;
    Ok(web::Json(Releases {
        public_key: public_key.map(|k| k.text()),
        recommended_version: recommended_version(&state),
        builds,
    }))
}

/// One build (`livectl`, `livectl.exe`) or its signature (`livectl.sig`, raw 64 bytes).
#[utoipa::path(tag = "releases", responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 404, description = "no signed build of this version for this platform")))]
#[get("/agent/releases/{version}/{platform}/{file}")]
pub async fn download(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> AppResult<HttpResponse> {
    let (version, platform, file) = path.into_inner();
    let missing = || AppError::NotFound("no signed build of this version for this platform".into());
    if !valid_version(&version) || !valid_platform(&platform) {
        return Err(missing());
    }
    let releases = state.releases.clone();
    let (v, p) = (version.clone(), platform.clone());
    let build = web::block(move || releases.find(&v, &p))
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("finding a release: {e}")))?
        .ok_or_else(missing)?;
    if file == "livectl.sig" {
        use base64::Engine as _;
        let signature = base64::engine::general_purpose::STANDARD
            .decode(&build.signature)
            .map_err(|e| AppError::internal(anyhow::anyhow!("a stored signature: {e}")))?;
        return Ok(HttpResponse::Ok()
            .content_type("application/octet-stream")
            .body(signature));
    }
    if file != binary_name(&platform) {
        return Err(missing());
    }
    let opened = tokio::fs::File::open(&build.path)
        .await
        .map_err(|_| missing())?;
    // Large reads: a build is tens of MB (hundreds in a debug build).
    let stream = tokio_util::io::ReaderStream::with_capacity(opened, 1 << 20);
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", binary_name(&platform)),
        ))
        .insert_header(("x-livectl-sha256", build.sha256.clone()))
        .no_chunking(build.size)
        .streaming(stream))
}

#[derive(Template)]
#[template(path = "install/install.sh", escape = "none")]
struct InstallSh {
    server: String,
    version: String,
    public_key_pem: String,
}

#[derive(Template)]
#[template(path = "install/install.ps1", escape = "none")]
struct InstallPs1 {
    server: String,
    version: String,
    public_key: String,
}

/// Where the installer should fetch from: `server.public_url`, unless it was left at its
/// default: then the address the script itself was fetched from.
fn server_url(req: &HttpRequest, state: &AppState) -> String {
    let configured = state.settings.public_base();
    if configured != crate::config::DEFAULT_PUBLIC_URL {
        return configured.to_owned();
    }
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// No installer without a key to check builds with (404: there is nothing to install yet).
fn no_key() -> AppError {
    AppError::NotFound(
        "this server has no signed agent build yet: its operator runs `livectl release keygen` \
         and `livectl release sign` first"
            .into(),
    )
}

/// `curl -fsSL https://server/install.sh | sh`: downloads the agent for this computer,
/// checks its signature, and starts pairing.
#[utoipa::path(tag = "releases", responses((status = 200, description = "a POSIX shell script", content_type = "text/x-shellscript"), (status = 404, description = "no release key yet: nothing to install")))]
#[get("/install.sh")]
pub async fn install_sh(req: HttpRequest, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let key = state.releases.public_key().ok_or_else(no_key)?;
    let script = InstallSh {
        server: server_url(&req, &state),
        version: recommended_version(&state),
        public_key_pem: key.pem(),
    }
    .render()
    .map_err(|e| AppError::internal(anyhow::anyhow!("rendering install.sh: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/x-shellscript; charset=utf-8")
        .body(script))
}

/// `irm https://server/install.ps1 | iex` on Windows.
#[utoipa::path(tag = "releases", responses((status = 200, description = "a PowerShell script", content_type = "text/plain"), (status = 404, description = "no release key yet: nothing to install")))]
#[get("/install.ps1")]
pub async fn install_ps1(req: HttpRequest, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let key = state.releases.public_key().ok_or_else(no_key)?;
    let script = InstallPs1 {
        server: server_url(&req, &state),
        version: recommended_version(&state),
        public_key: key.text(),
    }
    .render()
    .map_err(|e| AppError::internal(anyhow::anyhow!("rendering install.ps1: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(script))
}
