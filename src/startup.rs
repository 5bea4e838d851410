//! The composition root: builds the state and the HTTP server, for `main` and for tests.

use std::fs;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor as _, Addr};
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context as _;
use utoipa_actix_web::AppExt as _;

use crate::auth::denylist::DenyList;
use crate::auth::jwt::JwtKeys;
use crate::auth::limits::AccountLimits;
use crate::auth::secrets::random_token;
use crate::auth::shared_limits::SharedLimits;
use crate::bus::redis::{RedisBus, RedisBusSettings};
use crate::bus::{EventBus, MemoryBus};
use crate::changes::Changes;
use crate::commands::record::Recorder;
use crate::commands::router::CommandRouter;
use crate::config::{BusKind, Settings};
use crate::context::AppState;
use crate::control::ControlPlane;
use crate::db::Db;
use crate::devices::hub::AgentHub;
use crate::devices::model::DeviceRow;
use crate::error::AppError;
use crate::http::extract::{path_error_handler, query_error_handler};
use crate::http::openapi::{self, OpenApiJson};
use crate::http::{self, middleware::request_context};
use crate::live::lease::Leases;
use crate::live::{self, actor::Deps as LiveDeps, model::LivestreamRow, registry::LiveRegistry};
use crate::mqtt::MqttBroker;
use crate::mqtt::auth::MqttAuth;
use crate::rules::engine::RuleEngine;
use crate::rules::shared_state::SharedRuleState;
use crate::rules::trace::Traces;
use crate::telemetry::metrics::Metrics;
use crate::web::csrf::CsrfKey;
use crate::workspaces::access::AccessCache;

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    /// Prepares the data folder and database, binds the listener (port 0 picks a free one)
    /// and builds the server. Nothing is served until [`Application::run_until_stopped`].
    pub async fn build(mut settings: Settings) -> anyhow::Result<Self> {
        // Bound first: links, cookies and the agent command line name the real address.
        let listener = TcpListener::bind(settings.server.http_addr)
            .with_context(|| format!("binding {}", settings.server.http_addr))?;
        let bound = listener.local_addr()?;
        settings.server.public_url = settings.reachable_url(bound);
        let settings = Arc::new(settings);
        let data_dir = settings.server.data_dir.clone();
        let setup = settings.clone();
        let (db, jwt_secret, denylist, mqtt_auth) = web::block(move || -> anyhow::Result<_> {
            crate::files::create_private_dir(&data_dir)?;
            let secret = if setup.auth.jwt_secret.is_empty() {
                load_or_create_secret(&data_dir.join("jwt_secret"))?
            } else {
                setup.auth.jwt_secret.expose().to_owned()
            };
            let db = Db::connect(setup.database_url().expose(), setup.database.pool_size)?;
            if let Some(file) = db.sqlite_file() {
                crate::files::restrict_sqlite(&file)?;
            }
            let mut conn = db.get_blocking().map_err(AppError::into_cause)?;
            let denylist = DenyList::load(&mut conn).map_err(AppError::into_cause)?;
            if setup.mqtt.enabled {
                crate::mqtt::ca::share_through_database(&mut conn, &data_dir)?;
            }
            let mqtt_auth = MqttAuth::load(&mut conn).map_err(AppError::into_cause)?;
            Ok((db, secret, denylist, mqtt_auth))
        })
        .await??;

        let metrics = Arc::new(Metrics::new());
        let bus: Arc<dyn EventBus> = match settings.bus.kind {
            BusKind::Memory => Arc::new(MemoryBus::new(metrics.bus.clone())),
            BusKind::Redis => Arc::new(
                RedisBus::connect(
                    RedisBusSettings {
                        url: settings.redis.url.expose().to_owned(),
                        stream_maxlen: settings.redis.stream_maxlen,
                        claim_idle_ms: settings.redis.claim_idle_ms,
                        namespace: settings.redis.namespace.clone(),
                    },
                    metrics.bus.clone(),
                )
                .await
                .context("connecting to Redis (bus.kind = \"redis\")")?,
            ),
        };
        let changes = Changes::new();
        let hub = Arc::new(AgentHub::new(changes.clone()));
        let router = CommandRouter::new(
            hub.clone(),
            Recorder::start(db.clone()),
            metrics.clone(),
            settings.commands.ttl_ms,
            settings.commands.ack_timeout_ms,
            crate::clock::system(),
        );
        load_router(&db, &router).await?;
        // Every listener is bound before any actor starts: a port in use fails the start with
        // one clear line, not with actors dropped half-started.
        let (mqtt_auth, topic_violations) = mqtt_auth;
        let mqtt_auth = Arc::new(mqtt_auth);
        tokio::spawn(crate::mqtt::audit_violations(db.clone(), topic_violations));
        let mqtt = if settings.mqtt.enabled {
            Some(Arc::new(MqttBroker::start(
                &settings.mqtt,
                &settings.server.data_dir,
                &crate::mqtt::public_host(&settings.server.public_url),
                mqtt_auth.clone(),
                hub.clone(),
                router.clone(),
            )?))
        } else {
            None
        };

        let sealer = Arc::new(
            crate::live::credentials::Sealer::derive(jwt_secret.as_bytes())
                .map_err(AppError::into_cause)?,
        );
        let live_deps = LiveDeps {
            bus: bus.clone(),
            db: db.clone(),
            tiktok: Arc::new(settings.tiktok.clone()),
            http: live::client::http_client(&settings.tiktok.user_agent, &settings.tiktok.proxy)
                .context("building the HTTP client")?,
            metrics: metrics.clone(),
            saver: live::saver::StateSaver::start(db.clone()),
            sign_budget: Arc::new(crate::auth::rate_limit::RateLimiter::new(
                settings.tiktok.sign_calls_per_minute,
            )),
            sealer: sealer.clone(),
            gifts: Arc::new(crate::live::gifts::GiftCatalogue::new(db.clone())),
        };
        let node = format!("{}-{}", std::process::id(), crate::ids::new_id("node"));
        // Several nodes share Redis: the control plane, leases, rule state and limits.
        let shared = match settings.bus.kind {
            BusKind::Memory => None,
            BusKind::Redis => {
                Some(redis::Client::open(settings.redis.url.expose()).context("the Redis URL")?)
            }
        };
        let namespace = settings.redis.namespace.as_str();
        // With several nodes, each livestream runs on the one node holding its lease.
        let leases = match &shared {
            None => None,
            Some(client) => Some(Arc::new(
                Leases::connect(
                    client,
                    namespace,
                    &node,
                    Duration::from_millis(settings.redis.lease_ttl_ms),
                )
                .await
                .context("connecting to Redis (livestream leases)")?,
            )),
        };
        let leased = leases.is_some();
        // Livestreams (TikTok sockets, inflating, decoding) run on a thread of their own, so
        // a heavy stream never delays the rule engine and the router on this one.
        let live = LiveRegistry::start_in_arbiter(&actix::Arbiter::new().handle(), move |_| {
            LiveRegistry::new(live_deps, leases)
        });
        let traces = Arc::new(Traces::new());
        // With several nodes, cooldowns and counters live in Redis, so every node decides alike.
        let shared_rules = match &shared {
            None => None,
            Some(client) => Some(
                SharedRuleState::connect(client, namespace, settings.redis.claim_idle_ms)
                    .await
                    .context("connecting to Redis (rule state)")?,
            ),
        };
        // The rule engine has a thread of its own too: nothing else on this node can delay
        // the decisions that move hardware.
        let stage = crate::rules::engine::Stage::default();
        if let Some(client) = &shared {
            stage.games.set_shared(Arc::new(
                crate::presets::shared_games::SharedGames::connect(client, namespace)
                    .await
                    .context("connecting to Redis (games)")?,
            ));
        }
        let engine = RuleEngine::new(
            db.clone(),
            router.clone(),
            metrics.clone(),
            bus.clone(),
            traces.clone(),
            shared_rules,
            stage.clone(),
        );
        let rules = RuleEngine::start_in_arbiter(&actix::Arbiter::new().handle(), move |_| engine);
        // The engine subscribes as it starts: only then do livestreams resume, so the first
        // events after a restart reach the rules. With leases, the registry takes its share
        // of them itself.
        if !leased {
            resume_livestreams(&db, &live).await;
        }
        let denylist = Arc::new(denylist);
        let access_cache = Arc::new(AccessCache::new(Duration::from_millis(
            settings.server.access_cache_ms,
        )));
        // With Redis, the other nodes hear of every change (and every node repairs from the
        // database what it missed).
        let peers = shared.map(|client| {
            let (tx, rx) = tokio::sync::mpsc::channel(crate::control::redis::OUTBOX);
            (client, tx, rx)
        });
        if let Some((client, _, _)) = &peers {
            router.set_remote(crate::commands::remote::Remote::start(
                client.clone(),
                &settings.redis.namespace,
                &node,
                hub.clone(),
            ));
            router.set_shared_rate(Arc::new(
                crate::commands::shared_rate::SharedRate::connect(
                    client,
                    &settings.redis.namespace,
                )
                .await
                .context("connecting to Redis (command limits)")?,
            ));
            router.set_shared_lane(Arc::new(
                crate::commands::shared_lane::SharedLane::connect(
                    client,
                    &settings.redis.namespace,
                )
                .await
                .context("connecting to Redis (device lines)")?,
            ));
        }
        let control = Arc::new(ControlPlane {
            db: db.clone(),
            peers: peers.as_ref().map(|(_, tx, _)| tx.clone()),
            router: router.clone(),
            hub: hub.clone(),
            mqtt_auth: mqtt_auth.clone(),
            rules: rules.clone(),
            live: live.clone(),
            access_cache: access_cache.clone(),
            denylist: denylist.clone(),
            changes: changes.clone(),
        });
        let shared_limits = match &peers {
            Some((client, _, _)) => Some(
                SharedLimits::connect(client, &settings.redis.namespace)
                    .await
                    .context("connecting to Redis (shared limits)")?,
            ),
            None => None,
        };
        let limits = AccountLimits::new(
            &settings.auth,
            settings.agents.pairings_per_address_per_minute,
            shared_limits,
        );
        if let Some((client, _, outbox)) = peers {
            let channel = crate::control::redis::channel(&settings.redis.namespace);
            tokio::spawn(crate::control::redis::publish_loop(
                client.clone(),
                channel.clone(),
                node.clone(),
                outbox,
            ));
            tokio::spawn(crate::control::redis::subscribe_loop(
                client,
                channel,
                node,
                control.clone(),
            ));
            tokio::spawn(crate::control::repair::repair_loop(control.clone()));
        }
        let state = web::Data::new(AppState {
            control,
            jwt: JwtKeys::new(jwt_secret.as_bytes(), settings.auth.access_ttl_s),
            csrf: CsrfKey::derive(jwt_secret.as_bytes()),
            changes,
            traces,
            limits,
            denylist,
            db,
            metrics,
            bus,
            live,
            hub,
            router,
            rules,
            stage,
            mqtt_auth,
            mqtt,
            access_cache,
            settings: settings.clone(),
            stopping: Arc::default(),
            sealer,
            releases: Arc::new(crate::release::folder::ReleaseFolder::new(
                settings.releases_dir(),
            )),
        });

        let port = bound.port();
        let document = openapi::document();
        let known_paths = web::Data::new(openapi::KnownPaths::of(&document));
        let openapi_json = web::Data::new(OpenApiJson(
            document
                .to_json()
                .context("rendering the OpenAPI document")?,
        ));
        let workers = match settings.server.workers {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        };
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            let (app, _doc) = App::new()
                .into_utoipa_app()
                .app_data(app_state.clone())
                .app_data(openapi_json.clone())
                .app_data(known_paths.clone())
                .app_data(web::QueryConfig::default().error_handler(query_error_handler))
                // Raw bodies (logout's optional one) obey the same limit as JSON bodies.
                .app_data(web::PayloadConfig::new(
                    app_state.settings.server.max_body_bytes,
                ))
                .app_data(web::PathConfig::default().error_handler(path_error_handler))
                .service(utoipa_actix_web::scope("/api/v1").configure(http::api_v1))
                .configure(http::root)
                .split_for_parts();
            app.configure(crate::web::pages)
                .default_service(web::to(unknown_route))
                .wrap(from_fn(crate::web::headers::response_headers))
                // Pages and files travel compressed when the browser accepts it (sockets are
                // never compressed: an upgrade has no body to encode).
                .wrap(actix_web::middleware::Compress::default())
                .wrap(from_fn(request_context))
        })
        .workers(workers)
        // Stopping is ours (`run_until_stopped`): devices are told first, then a short drain.
        .disable_signals()
        .shutdown_timeout(SHUTDOWN_DRAIN_S)
        // Commands are small frames that must leave at once: no Nagle delay on any socket.
        .tcp_nodelay(true)
        .listen(listener)?
        .run();

        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Stops the HTTP server from outside (tests restart a server on the same port).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Serves until SIGTERM or Ctrl-C, then stops gracefully: every agent and device
    /// connection is closed with "going away" (agents reconnect, behind a load balancer to
    /// another node; a lone node's agents stop their boards after `safe_stop_after_s`), no new
    /// request is taken, and answers in flight get a few seconds to finish.
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let state = self.state.clone();
        actix_web::rt::spawn(async move {
            wait_for_stop_signal().await;
            state
                .stopping
                .store(true, std::sync::atomic::Ordering::Relaxed);
            // Livestreams first: their leases go free, and another node takes them over now.
            match state.live.send(crate::live::registry::StopAll).await {
                Ok(count) if count > 0 => {
                    tracing::info!(livestreams = count, "stopping: livestreams handed over")
                }
                _ => {}
            }
            let closed = state.hub.end_all(crate::devices::hub::End::GoingAway);
            tracing::info!(
                connections = closed,
                "stopping: devices told to reconnect elsewhere"
            );
            // Nothing this node counted or did is lost: rule counters, command history.
            let _ = state.rules.send(crate::rules::engine::SaveCounters).await;
            if !state.router.history_flushed(Duration::from_secs(2)).await {
                tracing::warn!("stopping: some command outcomes were not written in time");
            }
            handle.stop(true).await;
        });
        self.server.await
    }
}

/// How long answers in flight may take once a stop began.
const SHUTDOWN_DRAIN_S: u64 = 3;

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM: stopping"),
                    _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C: stopping"),
                }
                return;
            }
            Err(err) => tracing::warn!(error = %err, "cannot listen for SIGTERM; Ctrl-C only"),
        }
    }
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Reconnects the livestreams that were connected when the server last stopped.
async fn resume_livestreams(db: &Db, live: &Addr<LiveRegistry>) {
    match db.run(LivestreamRow::wanted).await {
        Ok(rows) => {
            if !rows.is_empty() {
                tracing::info!(
                    count = rows.len(),
                    "reconnecting livestreams that were connected before the restart"
                );
            }
            for row in rows {
                live.do_send(live::registry::Connect(row.spec()));
            }
        }
        Err(err) => tracing::error!(error = ?err, "could not read livestreams to reconnect"),
    }
}

/// Gives the router what it checks on every command: devices, plans, kill switches.
async fn load_router(db: &Db, router: &CommandRouter) -> anyhow::Result<()> {
    let (devices, workspaces) = db
        .run(|conn| {
            let devices = DeviceRow::all(conn)?;
            Ok((
                devices,
                crate::workspaces::model::plans_and_kill_switches(conn)?,
            ))
        })
        .await
        .map_err(AppError::into_cause)?;
    for device in devices {
        router.upsert_device(device.device());
    }
    for (id, plan, kill) in workspaces {
        router.set_plan(&id, plan);
        router.set_kill(&id, kill);
    }
    Ok(())
}

/// Unknown paths: the contract's JSON error for API clients, the 404 page for people. A path
/// of the API asked with a method it does not answer gets 405 and `Allow`.
async fn unknown_route(req: actix_web::HttpRequest) -> HttpResponse {
    use actix_web::ResponseError as _;
    let path = req.path();
    if let Some(methods) = req
        .app_data::<web::Data<openapi::KnownPaths>>()
        .and_then(|known| known.methods(path))
    {
        let mut res = AppError::MethodNotAllowed.error_response();
        if let Ok(allow) = actix_web::http::header::HeaderValue::from_str(&methods.join(", ")) {
            res.headers_mut()
                .insert(actix_web::http::header::ALLOW, allow);
        }
        return res;
    }
    let for_programs = ["/api/", "/ws/", "/healthz", "/readyz", "/metrics"];
    if for_programs.iter().any(|p| path.starts_with(p)) {
        AppError::NotFound("no such route".into()).error_response()
    } else {
        crate::web::page::PageError::App(AppError::NotFound("no such page".into())).error_response()
    }
}

/// Reads a secret file, or writes a new random one (mode 0600) on first start.
pub fn load_or_create_secret(path: &Path) -> anyhow::Result<String> {
    if path.exists() {
        let secret =
            fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let secret = secret.trim().to_owned();
        anyhow::ensure!(
            secret.len() >= 32,
            "{} is too short to be a secret",
            path.display()
        );
        return Ok(secret);
    }
    let secret = random_token(48);
    crate::files::write_private(path, secret.as_bytes(), false)?;
    tracing::info!(path = %path.display(), "generated a new JWT secret");
    Ok(secret)
}
