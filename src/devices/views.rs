//! How the dashboard shows a device: one state machine, the same on every page.

use crate::commands::history::LastCommand;
use crate::devices::model::{DeviceView, Transport};
use crate::i18n;
use crate::protocol::SerialState;

/// `never_connected` → `online` ⇄ `serial_closed` → `offline`; `revoked` once no token works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceState {
    NeverConnected,
    Online,
    SerialClosed,
    Offline,
    Revoked,
}

impl DeviceState {
    pub fn of(view: &DeviceView, has_live_token: bool) -> Self {
        if !has_live_token {
            DeviceState::Revoked
        } else if view.online {
            match view.serial {
                Some(SerialState::Closed | SerialState::Error) => DeviceState::SerialClosed,
                _ => DeviceState::Online,
            }
        } else if view.last_seen_at.is_some() {
            DeviceState::Offline
        } else {
            DeviceState::NeverConnected
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeviceState::NeverConnected => "never_connected",
            DeviceState::Online => "online",
            DeviceState::SerialClosed => "serial_closed",
            DeviceState::Offline => "offline",
            DeviceState::Revoked => "revoked",
        }
    }
}

pub struct DeviceCard {
    pub id: String,
    pub name: String,
    pub mqtt: bool,
    pub state: DeviceState,
    /// The state in words, with what to do when it is not fine.
    pub label: String,
    pub firmware: String,
    /// `0.1.0 · linux-x86_64`: the agent as it last connected (empty: never, or MQTT).
    pub agent: String,
    /// What the agent last said of its updates (its own words).
    pub agent_update: String,
    pub allowed_commands: Vec<String>,
    pub max_duration_ms: i64,
    /// `queued`, `single`, `restart` or `parallel`.
    pub concurrency: &'static str,
    pub max_queue: i64,
    pub fair_share_pct: i64,
    /// `MOTOR_SPIN · done · 18 ms` (empty before the first command).
    pub last_command: String,
    pub last_command_ok: bool,
}

impl DeviceCard {
    pub fn with_last_command(mut self, last: Option<&LastCommand>) -> Self {
        if let Some(last) = last {
            self.last_command = match last.issued_to_ack_ms {
                Some(ms) => format!("{} · {} · {ms} ms", last.cmd, last.status),
                None => format!("{} · {}", last.cmd, last.status),
            };
            self.last_command_ok = last.status == "done";
        }
        self
    }

    pub fn new(view: &DeviceView, has_live_token: bool) -> Self {
        let state = DeviceState::of(view, has_live_token);
        let mqtt = view.transport == Transport::Mqtt;
        let label = match state {
            DeviceState::NeverConnected if mqtt => i18n::t("state-never-connected-esp32"),
            DeviceState::NeverConnected => i18n::t("state-never-connected-agent"),
            DeviceState::Online => i18n::t("state-online"),
            DeviceState::SerialClosed => match &view.serial_detail {
                Some(detail) => i18n::t1("state-serial-closed-detail", "detail", detail),
                None => i18n::t("state-serial-closed"),
            },
            DeviceState::Offline => match view.last_seen_at {
                Some(at) => i18n::t1(
                    "state-offline-since",
                    "at",
                    i18n::date_time(i18n::current(), at),
                ),
                None => i18n::t("state-offline"),
            },
            DeviceState::Revoked => i18n::t("state-revoked"),
        }
        .into_owned();
        Self {
            id: view.id.clone(),
            name: view.name.clone(),
            mqtt,
            state,
            label,
            firmware: view.firmware.clone().unwrap_or_default(),
            agent: match (&view.agent_version, &view.agent_platform) {
                (Some(v), Some(p)) => {
                    format!("{} · {p}", v.strip_prefix("livectl-agent/").unwrap_or(v))
                }
                (Some(v), None) => v.strip_prefix("livectl-agent/").unwrap_or(v).to_owned(),
                _ => String::new(),
            },
            agent_update: view.agent_update.clone().unwrap_or_default(),
            allowed_commands: view.allowed_commands.clone(),
            max_duration_ms: view.max_duration_ms,
            concurrency: view.concurrency.as_str(),
            max_queue: view.max_queue,
            fair_share_pct: view.fair_share_pct,
            last_command: String::new(),
            last_command_ok: false,
        }
    }

    pub fn is_mode(&self, mode: &str) -> bool {
        self.concurrency == mode
    }

    /// The busy mode in words.
    pub fn mode_words(&self) -> std::borrow::Cow<'static, str> {
        i18n::t(format!("dev-mode-{}", self.concurrency))
    }

    pub fn state_str(&self) -> &'static str {
        self.state.as_str()
    }

    pub fn is_fine(&self) -> bool {
        self.state == DeviceState::Online
    }
}
