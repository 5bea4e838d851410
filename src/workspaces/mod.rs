//! Workspaces, members and roles, the permission matrix, plans and limits, platform admin.

pub mod access;
pub mod admin;
pub mod admin_pages;
pub mod member_pages;
pub mod members;
pub mod model;
pub mod pages;
pub mod permissions;
pub mod plans;
pub mod routes;
pub mod scope;
pub mod settings_pages;
