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

/// Why a role may not do something, for the 403's message.
pub fn denial_message(role: Role, action: Action) -> String {
    let what = match action {
        Action::View => "view this workspace",
        Action::ToggleRule => "enable or disable rules",
        Action::EngageKillSwitch => "engage the kill switch",
        Action::ReleaseKillSwitch => "release the kill switch",
        Action::ManageRules => "create, edit, delete or test rules",
        Action::ManageLivestreams => "manage livestreams",
        Action::InjectEvents => "inject test events",
        Action::ManageDevices => "manage devices and agent tokens",
        Action::ManageMembers => "manage members",
        Action::ManageApiKeys => "manage API keys",
        Action::ManageSettings => "change workspace settings",
        Action::DeleteWorkspace => "delete the workspace",
        Action::TransferOwnership => "transfer ownership",
    };
    format!("{}s cannot {what}", role.as_str())
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
