//! What people see: the dashboard pages (server-rendered, askama + htmx), their session and
//! CSRF plumbing, the static files, and the live feed socket.
//!
//! Each domain owns its pages (`auth::pages`, `workspaces::pages`, `live::pages`,
//! `devices::pages`, `rules::pages`); the control room, which shows all of them at once, lives
//! here. Routes are registered in [`pages`].

pub mod assets;
pub mod control_room;
pub mod csrf;
pub mod feed;
pub mod filters;
pub mod headers;
pub mod language;
pub mod layout;
pub mod page;
pub mod session;

use actix_web::web;

use crate::{audit, auth, commands, devices, live, rules, workspaces};

/// Every dashboard route (outside `/api`; none of them is in the OpenAPI document).
pub fn pages(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(workspaces::pages::home))
        .route("/favicon.ico", web::get().to(assets::favicon))
        .route("/language", web::post().to(language::switch))
        .route("/static/{file:.*}", web::get().to(assets::serve))
        .route("/login", web::get().to(auth::pages::login_form))
        .route("/login", web::post().to(auth::pages::login))
        .route("/register", web::get().to(auth::pages::register_form))
        .route("/register", web::post().to(auth::pages::register))
        .route("/logout", web::post().to(auth::pages::logout))
        .route(
            "/auth/session/refresh",
            web::get().to(auth::pages::renew_and_return),
        )
        .route(
            "/auth/session/refresh",
            web::post().to(auth::pages::renew_in_background),
        )
        .route("/w", web::get().to(workspaces::pages::workspaces))
        .route("/w", web::post().to(workspaces::pages::create_workspace))
        .route("/w/{ws}", web::get().to(control_room::control_room))
        .route("/w/{ws}/dock", web::get().to(control_room::dock))
        .route("/w/{ws}/usage", web::get().to(workspaces::pages::usage))
        .route(
            "/w/{ws}/usage/bars",
            web::get().to(workspaces::pages::usage_bars),
        )
        .route("/w/{ws}/part/{name}", web::get().to(control_room::part))
        .route(
            "/w/{ws}/kill-switch",
            web::post().to(control_room::kill_switch),
        )
        .route("/w/{ws}/release", web::get().to(control_room::release_page))
        .route("/w/{ws}/test", web::post().to(control_room::test_event))
        .route(
            "/w/{ws}/rules/{id}/{verb}",
            web::post().to(control_room::toggle_rule),
        )
        .configure(live::pages::routes)
        .configure(crate::pairing::pages::routes)
        .configure(crate::presets::pages::routes)
        .configure(crate::overlay::pages::routes)
        .configure(crate::overlay::page::routes)
        .configure(devices::pages::routes)
        .configure(rules::pages::routes)
        .configure(commands::pages::routes)
        .configure(audit::pages::routes)
        .configure(workspaces::member_pages::routes)
        .configure(auth::api_key_pages::routes)
        .configure(workspaces::settings_pages::routes)
        .configure(auth::account_pages::routes)
        .configure(workspaces::admin_pages::routes);
}
