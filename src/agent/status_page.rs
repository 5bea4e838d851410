//! The agent's own page, on this computer only (`status_addr`, default 127.0.0.1:8790): each
//! binding's server link, each board, the last commands, the update state, and a big STOP
//! that engages the local kill switch. It needs no server: when the server is unreachable,
//! this is where the streamer stops the hardware.
//!
//! STOP and release are POSTs that must come from this page: the `Host` must be this
//! loopback address (a DNS-rebound name is refused) and the `Origin`, when the browser sends
//! one, this page's. The page refreshes its panel by itself (`status.js`), and works without
//! script by reloading.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use askama::Template;
use tokio::sync::watch;

use crate::agent::board::{BoardHandle, BoardStatus};
use crate::agent::journal::{Entry, Journal};
use crate::agent::link::LinkView;
use crate::protocol::SerialState;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
    img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const SCRIPT: &str = include_str!("../../static/agent/status.js");
const STYLE: &str = include_str!("../../static/agent/status.css");

/// What the page shows and acts on.
#[derive(Clone)]
pub struct PageState {
    pub views: Vec<watch::Receiver<LinkView>>,
    pub boards: Vec<BoardHandle>,
    pub local_kill: Arc<AtomicBool>,
    pub kill_file: PathBuf,
    pub journal: Journal,
    pub update: watch::Receiver<String>,
    pub server: String,
}

struct BoardRow {
    port: String,
    state: &'static str,
    firmware: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "agent/panel.html")]
struct Panel {
    engaged: bool,
    links: Vec<LinkView>,
    boards: Vec<BoardRow>,
    entries: Vec<Entry>,
    update: String,
    server: String,
}

#[derive(Template)]
#[template(path = "agent/status.html")]
struct Page {
    panel: Panel,
    refused: Option<String>,
}

fn panel(state: &PageState) -> Panel {
    let boards = state
        .boards
        .iter()
        .map(|b| {
            let status: BoardStatus = b.status().borrow().clone();
            BoardRow {
                port: b.path.clone(),
                state: match status.serial {
                    SerialState::Open => "open",
                    SerialState::Closed => "closed",
                    SerialState::Error => "error",
                },
                firmware: status.firmware.unwrap_or_default(),
                detail: status.detail.unwrap_or_default(),
            }
        })
        .collect();
    Panel {
        engaged: state.local_kill.load(Ordering::SeqCst),
        links: state.views.iter().map(|v| v.borrow().clone()).collect(),
        boards,
        entries: state.journal.entries(),
        update: state.update.borrow().clone(),
        server: state.server.clone(),
    }
}

fn html(body: Result<String, askama::Error>) -> HttpResponse {
    match body {
        Ok(body) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body),
        Err(err) => HttpResponse::InternalServerError().body(err.to_string()),
    }
}

async fn page(state: web::Data<PageState>) -> HttpResponse {
    html(
        Page {
            panel: panel(&state),
            refused: None,
        }
        .render(),
    )
}

async fn panel_part(state: web::Data<PageState>) -> HttpResponse {
    html(panel(&state).render())
}

/// Refuses a POST that did not come from this page (another site, a rebound DNS name).
fn from_this_page(req: &HttpRequest, bound: SocketAddr) -> Result<(), String> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let ours = [bound.to_string(), format!("localhost:{}", bound.port())];
    if !ours.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return Err(format!("refused: Host {host:?} is not this agent's page"));
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        if origin != format!("http://{host}") {
            return Err(format!(
                "refused: a request from {origin:?}, not from this page"
            ));
        }
    }
    Ok(())
}

fn refused(state: &PageState, why: String) -> HttpResponse {
    tracing::warn!(reason = %why, "status page: a STOP or release was refused");
    let body = Page {
        panel: panel(state),
        refused: Some(why),
    }
    .render();
    let mut res = html(body);
    *res.status_mut() = actix_web::http::StatusCode::FORBIDDEN;
    res
}

fn back_to_page() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .finish()
}

async fn stop(
    req: HttpRequest,
    state: web::Data<PageState>,
    bound: web::Data<SocketAddr>,
) -> HttpResponse {
    if let Err(why) = from_this_page(&req, **bound) {
        return refused(&state, why);
    }
    // At once, then kept by the kill file (which survives a restart of the agent).
    state.local_kill.store(true, Ordering::SeqCst);
    for board in &state.boards {
        board.stop("STOP pressed on the agent's status page");
    }
    if let Err(err) = crate::agent::engage_kill_file(&state.kill_file) {
        tracing::error!(error = %err, kill_file = %state.kill_file.display(), "could not write the kill file; the kill switch holds until the agent stops");
    }
    tracing::warn!("local kill switch engaged from the status page");
    back_to_page()
}

async fn release(
    req: HttpRequest,
    state: web::Data<PageState>,
    bound: web::Data<SocketAddr>,
) -> HttpResponse {
    if let Err(why) = from_this_page(&req, **bound) {
        return refused(&state, why);
    }
    match std::fs::remove_file(&state.kill_file) {
        Ok(()) => tracing::warn!("local kill switch released from the status page"),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => {
            return refused(&state, format!("the kill file could not be removed: {err}"));
        }
    }
    back_to_page()
}

fn asset(body: &'static str, content_type: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body)
}

/// The running page.
pub struct StatusServer(actix_web::dev::ServerHandle);

impl StatusServer {
    pub async fn stop(self) {
        self.0.stop(false).await;
    }
}

/// Serves the page on `addr` (loopback): the address it really bound (port 0 picks one) and
/// the handle that stops it.
pub fn serve(addr: SocketAddr, state: PageState) -> std::io::Result<(SocketAddr, StatusServer)> {
    let data = web::Data::new(state);
    let listener = std::net::TcpListener::bind(addr)?;
    let bound = listener.local_addr()?;
    let bound_data = web::Data::new(bound);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(bound_data.clone())
            .route("/", web::get().to(page))
            .route("/panel", web::get().to(panel_part))
            .route("/stop", web::post().to(stop))
            .route("/release", web::post().to(release))
            .route(
                "/status.js",
                web::get().to(|| async { asset(SCRIPT, "text/javascript") }),
            )
            .route(
                "/status.css",
                web::get().to(|| async { asset(STYLE, "text/css") }),
            )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    let handle = StatusServer(server.handle());
    actix_web::rt::spawn(server);
    Ok((bound, handle))
}
