## livectl's dashboard in English: the reference catalogue. Every other catalogue has exactly
## these message ids (a unit test checks it).

n-members = { $count ->
    [one] { $count } member
   *[other] { $count } members
}

## The frame of every page
skip-to-content = Skip to content
nav-workspace = Workspace
nav-control = Control room
nav-livestreams = Livestreams
nav-devices = Devices
nav-rules = Rules
nav-commands = Commands
nav-audit = Audit
nav-members = Members
nav-api-keys = API keys
nav-usage = Usage
nav-settings = Settings
nav-dock = Dock
nav-workspaces = Workspaces
nav-admin = Admin
nav-account = Your account
sign-out = Sign out
switch-language = Change the language
conn-connecting = connecting…
confirm-title = Are you sure?
confirm-yes = Yes, do it
cancel = Cancel
release-title = Release the kill switch?
release-consequence = Enabled rules will move hardware again as soon as you release it, and every connected device will accept commands.
release-reason = Why is it safe now? (kept in the audit log)
release = Release

## Common words
yes = yes
no = no
col-name = Name
col-email = Email
col-role = Role
col-joined = Joined
col-actions = Actions
col-created = Created
col-last-used = Last used
role-owner = Owner
role-admin = Admin
role-operator = Operator
role-viewer = Viewer
confirm-type-name = Type the workspace's name, { $name }, to confirm
confirm-type-name-mismatch = does not match the workspace's name
never = never

## Members
page-members = Members
members-you = you
members-role-of = Role of { $name }
members-change-role = Change
members-remove = Remove
members-leave = Leave
members-remove-consequence = { $name } loses access at once: their open pages and live feed stop.
members-leave-consequence = You lose access to this workspace at once.
members-only-managers = { $role } members cannot manage members: ask an owner or an admin.
members-last-owner = The workspace's only owner: transfer ownership first.
members-only-owner-touches-owner = Only an owner can change or remove an owner.
members-add = Add a member
members-add-hint = The person needs a livectl account on this server first; they get access at once.
members-add-button = Add
transfer-title = Transfer ownership
transfer-consequence = The member you choose becomes the owner; you become an admin. Only the new owner can undo it.
transfer-no-heir = Add another member first: ownership goes to an existing member.
transfer-to = New owner
transfer-button = Transfer ownership
transfer-only-owner = Only the owner can transfer ownership.
matrix-title = What each role may do
matrix-action = Action
act-view = See the workspace, its feed, history and audit log
act-toggle-rule = Turn rules on and off
act-engage = Engage the kill switch
act-release = Release the kill switch
act-manage-rules = Create, edit and test rules
act-manage-livestreams = Add, connect and remove livestreams
act-inject-events = Send test events
act-manage-devices = Add devices, rotate and revoke their tokens
act-manage-members = Add members and change roles
act-manage-api-keys = Create and revoke API keys
act-manage-settings = Rename the workspace
act-delete-workspace = Delete the workspace
act-transfer = Transfer ownership
