//! The context every handler shares: one struct, built once by the composition root
//! (`startup.rs`) and handed to handlers as `web::Data<AppState>`.
//!
//! It lives here, not in `startup`, so that a domain depends on the services it uses and never
//! on the wiring that builds them. A change to shared state goes through one seam,
//! [`ControlPlane::emit`], which keeps every in-memory view and every node in step; handlers do
//! not update the router, the hub or the MQTT allow-list themselves.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use actix::Addr;

use crate::auth::denylist::DenyList;
use crate::auth::jwt::JwtKeys;
use crate::auth::limits::AccountLimits;
use crate::bus::EventBus;
use crate::changes::Changes;
use crate::commands::router::CommandRouter;
use crate::config::Settings;
use crate::control::ControlPlane;
use crate::db::Db;
use crate::devices::hub::AgentHub;
use crate::live::credentials::Sealer;
use crate::live::registry::LiveRegistry;
use crate::mqtt::MqttBroker;
use crate::mqtt::auth::MqttAuth;
use crate::rules::engine::RuleEngine;
use crate::rules::trace::Traces;
use crate::telemetry::metrics::Metrics;
use crate::web::csrf::CsrfKey;
use crate::workspaces::access::AccessCache;

/// Everything handlers share.
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub jwt: JwtKeys,
    pub denylist: Arc<DenyList>,
    /// Sign-ins, lock-outs, registrations and member additions, counted together by the nodes
    /// when there are several.
    pub limits: AccountLimits,
    pub metrics: Arc<Metrics>,
    pub bus: Arc<dyn EventBus>,
    pub live: Addr<LiveRegistry>,
    pub access_cache: Arc<AccessCache>,
    pub hub: Arc<AgentHub>,
    pub router: CommandRouter,
    pub rules: Addr<RuleEngine>,
    /// The games' live state and the feeds' health, which the rule engine keeps.
    pub stage: crate::rules::engine::Stage,
    /// Control-state changes for the live views (kill switch, devices, livestreams, rules).
    pub changes: Changes,
    /// Per-event rule traces for the live views that ask (the "why?" panel).
    pub traces: Arc<Traces>,
    /// Signs the dashboard's CSRF tokens.
    pub csrf: CsrfKey,
    /// Who may connect to the MQTT broker (kept current even when the broker is disabled).
    pub mqtt_auth: Arc<MqttAuth>,
    pub mqtt: Option<Arc<MqttBroker>>,
    /// Where every change to the state above goes (`control.rs`).
    pub control: Arc<ControlPlane>,
    /// Set once a stop began: `/readyz` answers 503, so a load balancer sends no new work.
    pub stopping: Arc<AtomicBool>,
    /// Seals workspaces' own TikTok credentials.
    pub sealer: Arc<Sealer>,
    /// Signed agent builds, for updates and `/install.sh`.
    pub releases: Arc<crate::release::folder::ReleaseFolder>,
}
