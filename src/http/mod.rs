//! HTTP plumbing shared by every domain: route composition, middleware, extractors,
//! operations endpoints and the OpenAPI document.

pub mod client_ip;
pub mod extract;
pub mod health;
pub mod middleware;
pub mod openapi;
pub mod request_id;

use utoipa_actix_web::service_config::ServiceConfig;

use crate::{audit, auth, commands, devices, live, mqtt, rules, web, workspaces};

/// Every endpoint under `/api/v1`. Each handler carries `#[utoipa::path]`, so registering it
/// here is also what puts it in the OpenAPI document.
pub fn api_v1(cfg: &mut ServiceConfig) {
    cfg.service(openapi::openapi_json)
        .service(auth::routes::register)
        .service(auth::routes::login)
        .service(auth::routes::refresh_tokens)
        .service(auth::routes::logout)
        .service(auth::routes::me)
        .service(auth::account::update_me)
        .service(auth::account::change_password_route)
        .service(auth::account::list_sign_ins)
        .service(auth::account::end_all_sign_ins_route)
        .service(auth::account::end_sign_in_route)
        .service(workspaces::routes::create_workspace)
        .service(workspaces::routes::list_workspaces)
        .service(workspaces::routes::get_workspace)
        .service(workspaces::routes::update_workspace)
        .service(workspaces::routes::delete_workspace)
        .service(workspaces::routes::transfer_ownership)
        .service(workspaces::routes::usage)
        .service(workspaces::members::list_members)
        .service(workspaces::members::add_member)
        .service(workspaces::members::change_role)
        .service(workspaces::members::remove_member)
        .service(auth::api_keys::create_api_key)
        .service(auth::api_keys::list_api_keys)
        .service(auth::api_keys::revoke_api_key)
        .service(live::routes::create_livestream)
        .service(live::routes::list_livestreams)
        .service(live::routes::get_livestream)
        .service(live::routes::delete_livestream)
        .service(live::routes::connect_livestream)
        .service(live::routes::disconnect_livestream)
        .service(live::routes::inject_event)
        .service(live::credentials::get_credentials)
        .service(live::credentials::set_credentials)
        .service(live::credentials::delete_credentials)
        .service(devices::routes::create_device)
        .service(devices::routes::list_devices)
        .service(devices::routes::get_device)
        .service(devices::routes::update_device)
        .service(devices::routes::delete_device)
        .service(devices::routes::rotate_token)
        .service(devices::routes::revoke_token)
        .service(mqtt::routes::issue_credentials)
        .service(crate::pairing::routes::start_pairing)
        .service(crate::pairing::routes::poll_pairing)
        .service(crate::pairing::routes::lookup_pairing)
        .service(crate::pairing::routes::deny_pairing)
        .service(crate::pairing::routes::approve_pairing)
        .service(crate::release::routes::list_releases)
        .service(crate::presets::routes::list_presets)
        .service(crate::presets::routes::create_preset)
        .service(crate::presets::routes::delete_preset)
        .service(crate::presets::routes::preset_state)
        .service(crate::live::routes::list_gifts)
        .service(crate::overlay::routes::create_overlay_token)
        .service(crate::overlay::routes::list_overlay_tokens)
        .service(crate::overlay::routes::revoke_overlay_token)
        .service(rules::routes::test_rules)
        .service(rules::routes::create_rule)
        .service(rules::routes::list_rules)
        .service(rules::routes::get_rule)
        .service(rules::routes::replace_rule)
        .service(rules::routes::delete_rule)
        .service(rules::routes::enable_rule)
        .service(rules::routes::disable_rule)
        .service(commands::routes::get_kill_switch)
        .service(commands::routes::set_kill_switch)
        .service(commands::routes::list_commands)
        .service(audit::list_audit)
        .service(workspaces::admin::list_invites)
        .service(workspaces::admin::create_invite)
        .service(workspaces::admin::delete_invite)
        .service(workspaces::admin::list_workspaces)
        .service(workspaces::admin::suspend)
        .service(workspaces::admin::unsuspend)
        .service(workspaces::admin::set_plan);
}

/// Endpoints outside `/api/v1` (operations).
pub fn root(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(devices::socket::agent_socket)
        .service(crate::release::routes::download)
        .service(crate::release::routes::install_sh)
        .service(crate::release::routes::install_ps1)
        .service(web::feed::feed);
}
