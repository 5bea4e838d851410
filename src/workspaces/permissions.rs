//! Roles and the permission matrix of `api.md`, in one place.

crate::text_enum! {
    pub enum Role {
        Owner => "owner",
        Admin => "admin",
        Operator => "operator",
        Viewer => "viewer",
    }
}

/// Everything a caller can try to do in a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Workspace, livestreams, rules, devices, status, live feed, audit log.
    View,
    ToggleRule,
    EngageKillSwitch,
    ReleaseKillSwitch,
    /// Create, edit, delete and test rules.
    ManageRules,
    /// Create, delete, connect and disconnect livestreams.
    ManageLivestreams,
    InjectEvents,
    /// Register and delete devices, rotate and revoke agent tokens.
    ManageDevices,
    /// Invite members and change roles (granting or removing owner is checked separately).
    ManageMembers,
    ManageApiKeys,
    ManageSettings,
    DeleteWorkspace,
    TransferOwnership,
}

pub const ALL_ACTIONS: [Action; 13] = [
    Action::View,
    Action::ToggleRule,
    Action::EngageKillSwitch,
    Action::ReleaseKillSwitch,
    Action::ManageRules,
    Action::ManageLivestreams,
    Action::InjectEvents,
    Action::ManageDevices,
    Action::ManageMembers,
    Action::ManageApiKeys,
    Action::ManageSettings,
    Action::DeleteWorkspace,
    Action::TransferOwnership,
];

/// The matrix.
pub fn allows(role: Role, action: Action) -> bool {
    use Action::*;
    match action {
        View => true,
        ToggleRule | EngageKillSwitch => role != Role::Viewer,
        ManageRules | ManageLivestreams | InjectEvents | ManageDevices | ManageMembers => {
            matches!(role, Role::Owner | Role::Admin)
        }
        ReleaseKillSwitch | ManageApiKeys | ManageSettings | DeleteWorkspace
        | TransferOwnership => role == Role::Owner,
    }
}

/// Why a role may not do something, for the 403's message (in the request's language: English
/// in the API, `admins cannot manage API keys`).
pub fn denial_message(role: Role, action: Action) -> String {
    let what = match action {
        Action::View => "deny-view",
        Action::ToggleRule => "deny-toggle-rule",
        Action::EngageKillSwitch => "deny-engage",
        Action::ReleaseKillSwitch => "deny-release",
        Action::ManageRules => "deny-manage-rules",
        Action::ManageLivestreams => "deny-manage-livestreams",
        Action::InjectEvents => "deny-inject-events",
        Action::ManageDevices => "deny-manage-devices",
        Action::ManageMembers => "deny-manage-members",
        Action::ManageApiKeys => "deny-manage-api-keys",
        Action::ManageSettings => "deny-manage-settings",
        Action::DeleteWorkspace => "deny-delete-workspace",
        Action::TransferOwnership => "deny-transfer",
    };
    let roles = match role {
        Role::Owner => "roles-owner",
        Role::Admin => "roles-admin",
        Role::Operator => "roles-operator",
        Role::Viewer => "roles-viewer",
    };
    crate::i18n::t2(
        "deny",
        "roles",
        crate::i18n::t(roles),
        "what",
        crate::i18n::t(what),
    )
    .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_matches_the_contract() {
        use Action::*;
        let rows: [(Action, [bool; 4]); 13] = [
            (View, [true, true, true, true]),
            (ToggleRule, [true, true, true, false]),
            (EngageKillSwitch, [true, true, true, false]),
            (ReleaseKillSwitch, [true, false, false, false]),
            (ManageRules, [true, true, false, false]),
            (ManageLivestreams, [true, true, false, false]),
            (InjectEvents, [true, true, false, false]),
            (ManageDevices, [true, true, false, false]),
            (ManageMembers, [true, true, false, false]),
            (ManageApiKeys, [true, false, false, false]),
            (ManageSettings, [true, false, false, false]),
            (DeleteWorkspace, [true, false, false, false]),
            (TransferOwnership, [true, false, false, false]),
        ];
        let roles = [Role::Owner, Role::Admin, Role::Operator, Role::Viewer];
        for (action, expected) in rows {
            for (role, want) in roles.iter().zip(expected) {
                assert_eq!(allows(*role, action), want, "{role:?} {action:?}");
            }
        }
    }
}
