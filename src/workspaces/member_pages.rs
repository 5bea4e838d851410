//! `/w/{ws}/members`: who is in the workspace and with which role; owners and admins add,
//! change and remove members, and an owner hands the workspace over. Every control a member
//! cannot use is shown disabled with the reason beside it, and the role matrix is on the page.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::context::AppState;
use crate::error::AppError;
use crate::i18n;
use crate::web::layout::Layout;
use crate::web::page::{FormFailure, PageResult, html, see_other};
use crate::web::session::{NoFields, PageForm, Session};
use crate::workspaces::members::{AddMember, add, change, remove};
use crate::workspaces::model::{MemberView, list_members};
use crate::workspaces::permissions::{ALL_ACTIONS, Action, Role, allows};
use crate::workspaces::routes::transfer;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/w/{ws}/members", web::get().to(page))
        .route("/w/{ws}/members", web::post().to(add_form))
        .route("/w/{ws}/members/{user}/role", web::post().to(role_form))
        .route("/w/{ws}/members/{user}/remove", web::post().to(remove_form))
        .route("/w/{ws}/transfer", web::post().to(transfer_form));
}

/// One member as the table shows them to the member looking.
pub struct MemberLine {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub joined: String,
    pub is_me: bool,
    /// The roles this viewer may give them (empty: the role cannot be changed, see `locked`).
    pub choices: Vec<Role>,
    /// Why the role or the membership cannot be changed by this viewer (empty when it can).
    pub locked: String,
    pub removable: bool,
}

/// A row of the role matrix: an action's words and, per role, whether it may.
pub struct MatrixRow {
    pub label: String,
    pub allowed: Vec<bool>,
}

#[derive(Deserialize, Default)]
pub struct AddForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

#[derive(Template)]
#[template(path = "workspaces/members.html")]
struct MembersPage {
    layout: Layout,
    ws_id: String,
    ws_name: String,
    lines: Vec<MemberLine>,
    /// This viewer may add and change members.
    can_manage: bool,
    manage_denied: String,
    is_owner: bool,
    /// The roles the add form offers.
    offered: Vec<Role>,
    form: AddForm,
    failure: FormFailure,
    roles: Vec<Role>,
    matrix: Vec<MatrixRow>,
}

impl MembersPage {
    /// Whether there is a member, besides the owner looking, to hand the workspace to.
    fn has_heirs(&self) -> bool {
        self.lines.iter().any(|l| !l.is_me)
    }
}

fn action_label(action: Action) -> &'static str {
    match action {
        Action::View => "act-view",
        Action::ToggleRule => "act-toggle-rule",
        Action::EngageKillSwitch => "act-engage",
        Action::ReleaseKillSwitch => "act-release",
        Action::ManageRules => "act-manage-rules",
        Action::ManageLivestreams => "act-manage-livestreams",
        Action::InjectEvents => "act-inject-events",
        Action::ManageDevices => "act-manage-devices",
        Action::ManageMembers => "act-manage-members",
        Action::ManageApiKeys => "act-manage-api-keys",
        Action::ManageSettings => "act-manage-settings",
        Action::DeleteWorkspace => "act-delete-workspace",
        Action::TransferOwnership => "act-transfer",
    }
}

/// What `viewer` (with `role`) may do to `member`, given how many owners there are.
fn line(member: MemberView, viewer: &str, role: Role, owners: usize) -> MemberLine {
    let is_me = member.user_id == viewer;
    let last_owner = member.role == Role::Owner && owners <= 1;
    let locked = if !allows(role, Action::ManageMembers) && !is_me {
        i18n::t1("members-only-managers", "role", i18n::t(role_label(role)))
    } else if last_owner {
        i18n::t("members-last-owner")
    } else if member.role == Role::Owner && role != Role::Owner {
        i18n::t("members-only-owner-touches-owner")
    } else {
        "".into()
    };
    let choices = if !locked.is_empty() || !allows(role, Action::ManageMembers) {
        Vec::new()
    } else if role == Role::Owner {
        Role::ALL.to_vec()
    } else {
        vec![Role::Admin, Role::Operator, Role::Viewer]
    };
    MemberLine {
        removable: locked.is_empty(),
        locked: locked.into_owned(),
        choices,
        joined: i18n::date_time(i18n::current(), member.joined_at),
        is_me,
        user_id: member.user_id,
        name: member.name,
        email: member.email,
        role: member.role,
    }
}

/// The catalogue id of a role's name.
pub fn role_label(role: impl std::borrow::Borrow<Role>) -> &'static str {
    match role.borrow() {
        Role::Owner => "role-owner",
        Role::Admin => "role-admin",
        Role::Operator => "role-operator",
        Role::Viewer => "role-viewer",
    }
}

async fn members_page(
    state: &AppState,
    session: &Session,
    ws: &str,
    form: AddForm,
    failure: FormFailure,
) -> PageResult {
    let (layout, access) =
        Layout::for_workspace(state, session, ws, Action::View, "members", "page-members").await?;
    let ws_id = access.workspace.id.clone();
    let listed = ws_id.clone();
    let members = state
        .db
        .run(move |conn| list_members(conn, &listed))
        .await?;
    let owners = members.iter().filter(|m| m.role == Role::Owner).count();
    let role = access.role;
    let lines: Vec<MemberLine> = members
        .into_iter()
        .map(|m| line(m, &session.user_id, role, owners))
        .collect();
    let can_manage = allows(role, Action::ManageMembers);
    let matrix = ALL_ACTIONS
        .iter()
        .map(|action| MatrixRow {
            label: i18n::t(action_label(*action)).into_owned(),
            allowed: Role::ALL.iter().map(|r| allows(*r, *action)).collect(),
        })
        .collect();
    html(
        failure.status(),
        &MembersPage {
            ws_name: access.workspace.name.clone(),
            manage_denied: if can_manage {
                String::new()
            } else {
                i18n::t1("members-only-managers", "role", i18n::t(role_label(role))).into_owned()
            },
            offered: if role == Role::Owner {
                Role::ALL.to_vec()
            } else {
                vec![Role::Admin, Role::Operator, Role::Viewer]
            },
            is_owner: role == Role::Owner,
            can_manage,
            ws_id,
            layout,
            lines,
            form,
            failure,
            roles: Role::ALL.to_vec(),
            matrix,
        },
    )
}

pub async fn page(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> PageResult {
    let form = AddForm {
        role: Role::Operator.as_str().to_owned(),
        ..AddForm::default()
    };
    members_page(&state, &session, &path, form, FormFailure::default()).await
}

fn parse_role(raw: &str) -> Result<Role, AppError> {
    Role::parse(raw)
        .ok_or_else(|| AppError::invalid("role", "must be owner, admin, operator or viewer"))
}

pub async fn add_form(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: PageForm<AddForm>,
) -> PageResult {
    let PageForm { session, form } = form;
    let result = match parse_role(&form.role) {
        Ok(role) => {
            let body = AddMember {
                email: form.email.clone(),
                role,
            };
            add(&state, &session.caller(), &path, body)
                .await
                .map(|_| ())
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/w/{path}/members"))),
        Err(err) => members_page(&state, &session, &path, form, FormFailure::of(err)?).await,
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn role_form(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: PageForm<RoleForm>,
) -> PageResult {
    let (ws, user) = path.into_inner();
    let PageForm { session, form } = form;
    let result = match parse_role(&form.role) {
        Ok(role) => change(&state, &session.caller(), &ws, user, role)
            .await
            .map(|_| ()),
        Err(err) => Err(err),
    };
    after(&state, &session, &ws, result, format!("/w/{ws}/members")).await
}

pub async fn remove_form(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: PageForm<NoFields>,
) -> PageResult {
    let (ws, user) = path.into_inner();
    let session = form.session;
    let leaving = user == session.user_id;
    let result = remove(&state, &session.caller(), &ws, user).await;
    let next = if leaving {
        "/w".to_owned()
    } else {
        format!("/w/{ws}/members")
    };
    after(&state, &session, &ws, result, next).await
}

#[derive(Deserialize)]
pub struct TransferForm {
    #[serde(default)]
    user_id: String,
    /// The workspace's name, typed: handing a workspace over cannot be undone by its giver.
    #[serde(default)]
    confirm: String,
}

pub async fn transfer_form(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: PageForm<TransferForm>,
) -> PageResult {
    let ws = path.into_inner();
    let PageForm { session, form } = form;
    let caller = session.caller();
    let typed_matches = async {
        let access =
            crate::workspaces::access::authorize(&state, &caller, &ws, Action::TransferOwnership)
                .await?;
        if form.confirm.trim() != access.workspace.name {
            return Err(AppError::invalid(
                "confirm",
                i18n::t("confirm-type-name-mismatch").into_owned(),
            ));
        }
        Ok(())
    };
    let result = match typed_matches.await {
        Ok(()) => transfer(&state, &caller, &ws, form.user_id)
            .await
            .map(|_| ()),
        Err(err) => Err(err),
    };
    after(&state, &session, &ws, result, format!("/w/{ws}/members")).await
}

/// After a change from the table: back to the page, or the page again with the reason.
async fn after(
    state: &AppState,
    session: &Session,
    ws: &str,
    result: Result<(), AppError>,
    next: String,
) -> PageResult {
    match result {
        Ok(()) => Ok(see_other(&next)),
        Err(err) => {
            let failure = FormFailure::of(err)?;
            members_page(state, session, ws, AddForm::default(), failure).await
        }
    }
}
