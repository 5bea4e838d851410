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
change = Change
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
copy = Copy

## API keys
page-api-keys = API keys
keys-intro = A key lets a program (an overlay, a bot, a script) use this workspace's API without your password. It can never release the kill switch, manage members or see other workspaces.
keys-created = Key “{ $name }” created
keys-shown-once = Copy the key now: it is shown only this once. The server keeps only a fingerprint of it.
keys-the-key = API key
keys-how-to-use = Programs send it in a header:
keys-live = Keys in use
keys-none = No key yet.
keys-col-prefix = Starts with
keys-col-scopes = Scopes
keys-revoke = Revoke
keys-revoke-consequence = Programs using “{ $name }” are refused from now on.
keys-new = Create a key
keys-name-example = Stream overlay
keys-create = Create the key
scope-read = read
scope-read-hint = See the workspace: livestreams, rules, devices, commands, the audit log and the live feed.
scope-events = send events
scope-events-hint = Send events into a livestream (a test, or another source of events).
scope-rules = write rules
scope-rules-hint = Create, change, enable and disable rules.
scope-livestreams = manage livestreams
scope-livestreams-hint = Add, connect, disconnect and remove livestreams.

## Workspace settings
page-settings = Settings
settings-rename = Name
settings-save = Save
settings-transfer-link = Hand the workspace to another member on the members page.
settings-delete = Delete the workspace
settings-delete-intro = Deleting cannot be undone. At once:
settings-delete-button = Delete the workspace for good
delete-stops-livestreams = { $count ->
    [one] its livestream disconnects;
   *[other] its { $count } livestreams disconnect;
}
delete-stops-devices = { $count ->
    [one] its device is cut off (its token stops working);
   *[other] its { $count } devices are cut off (their tokens stop working);
}
delete-stops-rules = { $count ->
    [one] its rule is deleted;
   *[other] its { $count } rules are deleted;
}
delete-stops-members = { $count ->
    [one] its member loses access;
   *[other] its { $count } members lose access;
}
delete-stops-keys = its API keys stop working;
delete-stops-history = its command history and audit log are deleted.

## Account
page-account = Your account
account-profile = Profile
account-password = Password
account-password-hint = Changing it signs out every other browser and program signed in as you; this one stays signed in.
account-current-password = Current password
account-new-password = New password (8 to 72 bytes)
account-change-password = Change the password
account-sign-ins = Where you are signed in
account-client = Browser or program
account-address = Address
account-started = Signed in
account-this-browser = this browser
account-unknown-client = unknown
account-sign-out-everywhere = Sign out everywhere
account-everywhere-consequence = Every browser and program signed in as you is signed out at once, this one included.
account-preferences = Preferences
account-language = Language
account-language-browser = As my browser asks
account-confirm-stop = Ask before the kill switch engages
account-confirm-stop-hint = Off by default: one press should stop the hardware. Turn it on only if you press it by mistake.
account-shortcut = Kill-switch shortcut
account-shortcut-hint = Empty: none. A key with Ctrl, Alt or Meta (Ctrl+Shift+S), or a function key (F9). It only ever engages the kill switch, never releases it.
account-density = Live feed
density-comfortable = Comfortable
density-compact = Compact
account-reduced-motion = Reduce motion (no animations)
account-done-name = Your name is saved.
account-done-password = Your password is changed. Every other sign-in has ended.
account-done-preferences = Your preferences are saved.
account-done-signed-out = That sign-in has ended.
next-page = Older ›

## Platform admin
page-admin = Platform admin
admin-workspaces = Workspaces
admin-search = Name, id or owner's email
admin-search-button = Search
admin-no-workspace = No workspace matches.
admin-col-workspace = Workspace
admin-col-plan = Plan
admin-col-state = State
admin-plan-of = Plan of { $name }
admin-usage = { $livestreams } livestreams · { $devices } devices · { $rules } rules · { $members } members
admin-state-running = running
admin-state-stopped = stopped by its kill switch
admin-state-suspended = suspended: { $reason }
admin-reason = Reason (required)
admin-reason-for = Reason to suspend { $name }
admin-reason-required = say why: the workspace's members read it
admin-suspend = Suspend
admin-suspend-consequence = Its livestreams stop, its devices are disconnected and its members can only look until you unsuspend it.
admin-unsuspend = Unsuspend
admin-invites = Invitations
admin-invites-hint = With registration by invitation, only these emails can create an account.
admin-invite = Invite
admin-withdraw = Withdraw

## The kill switch (on every workspace page)
kill-label = Kill switch
kill-confirm = Stop all hardware of this workspace now?
kill-default-reason = Stop pressed in the dashboard
kill-stop-again = STOPPED · stop again
kill-stop-all = STOP ALL HARDWARE
kill-stopped = STOPPED
kill-stopped-by = by { $who } at
kill-nothing-sent = Nothing is sent to hardware.
kill-running = Running
kill-running-meaning = enabled rules move hardware.
