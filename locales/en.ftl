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
scope-read-hint = See the workspace: livestreams, rules, devices, commands, the audit log and the live feed.
scope-events-hint = Send events into a livestream (a test, or another source of events).
scope-rules-hint = Create, change, enable and disable rules.
scope-livestreams-hint = Add, connect, disconnect and remove livestreams.

## Workspace settings
page-settings = Settings
settings-rename = Rename the workspace
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

## Signing in, workspaces, errors
page-sign-in = Sign in
page-register = Create an account
page-workspaces = Workspaces
password = Password
password-size = 8 to 72 bytes
login-no-account = No account yet?
login-create-one = Create one
register-invite-only = This instance is invite-only: use the email address you were invited with.
register-name = Your name
register-name-hint = shown to your team
register-button = Create account
register-have-one = Already have one?
error-request-id = Request id:
error-back = Back to the start
workspaces-first = A workspace holds one show: its livestreams, devices, rules and team. Create your first one.
workspaces-plan = plan { $plan }
workspaces-suspended = suspended
workspaces-new = New workspace
workspaces-create = Create workspace

## Usage
page-usage = Usage and plan
usage-limits-note = A limit reached refuses only new ones (with 402 in the API): what already exists keeps working. The platform's administrator sets the plan.

## Usage bars
usage-plan = Plan:
usage-limit-reached = limit reached

## Control room
page-control = Control room
test-title = Test
test-livestream = Livestream
test-all-livestreams = (all livestreams)
test-event = Event
test-comment-text = Comment text
test-gift-name = Gift name
test-gift-count = Gift count
test-likes = Likes
test-viewers = Viewers
test-dry-run = Dry run (nothing moves)
test-send = Send test event
test-send-why = A sent test event goes through the rules and can move hardware.

## Dock
page-dock = Dock
dock-keep-screen-on = Keep the screen on

## Event types
event-comment = Comment
event-gift = Gift
event-like = Likes
event-follow = Follow
event-share = Share
event-join = Join
event-viewer-count = Viewer count

## Live feed
feed-title = Live feed
feed-filters = Feed filters
feed-comments = Comments
feed-gifts = Gifts
feed-likes = Likes
feed-social = Follows, shares, joins
feed-commands = Commands
feed-only-problems = Only problems
feed-pause = Pause
feed-waiting = Waiting for events…
feed-label = Events and command results, newest first
why-title = Why did it (not) fire?
why-note = Every rule of the workspace, as the rule engine decided when the event arrived.
close = Close

## Livestreams panel
ls-none = No livestream yet.
add-one = Add one
ls-simulator-works = (the simulator works without TikTok).
added-by-managers = An owner or admin adds them.
simulator = simulator
viewers = viewers
ls-disconnect = Disconnect
ls-connect = Connect

## Devices panel
dev-none = No device yet.
dev-last-command = Last command:

## Rules panel
rules-none = No rule yet.
rules-write-one = Write one
rules-written-by-managers = An owner or admin writes them.
rule-on = on
rule-off = off
rule-turn-off = Turn off
rule-turn-on = Turn on

## Getting started
checklist-title = Getting started
checklist-livestream = Connect a livestream
checklist-or-simulator = (or the simulator)
page-add-device = Add a device
checklist-online = and bring it online
checklist-rule = Write a rule
checklist-command = Send a test event and see a command done

## Control room pieces
checklist-done = { $done } of 4
agent = agent
dev-firmware = firmware { $version }
dev-commands = commands { $commands }
dev-at-most = at most { $ms } ms
rule-enabled-label = { $name } enabled

## Release page
page-release = Release the kill switch
release-not-engaged = The kill switch is not engaged.
back-to-control = Back to the control room

## Test result
test-would-fire = would fire

## Livestreams page
page-livestreams = Livestreams
ls-add = Add a livestream
see-usage = See usage
ls-tiktok-account = TikTok account
ls-target-hint = (@name, name, or the LIVE's link)
ls-source = Source
ls-simulator-choice = Simulator (test events only, no TikTok)
optional = (optional)

## Add a device
dev-intro = A device is one board: an Arduino on USB (through <code>livectl agent</code> on the computer it is plugged into) or an ESP32 on Wi-Fi (MQTT). It accepts only the commands you list, never longer than its maximum.
dev-how-connects = How it connects
dev-usb = Arduino on USB (livectl agent)
dev-wifi = ESP32 on Wi-Fi (MQTT)
dev-commands-label = Commands it accepts
dev-commands-hint = (commas or spaces between them, e.g. LED_ON, RELAY_ON)
dev-longest = Longest command, in ms
dev-rate = Commands per minute, at most
dev-create = Create device and show its token

## Device page
dev-connects = Connects
dev-longest-short = Longest command
dev-firmware-label = Firmware
dev-not-reported = not reported yet
dev-certificate = Certificate
dev-certificate-intro = A new client certificate and key for the ESP32, with a ready <code>config.h</code>. The key is shown once.
dev-new-certificate = Get a new certificate
dev-token = Token
dev-rotate = Rotate token
dev-revoke = Revoke token
dev-revoke-intro = Revoking stops the token without a new one: the device stays offline until you rotate.
dev-modes-title = When it is busy
dev-modes-intro = What a command does when the device is still running the one before. Rules that drive the same device take turns by themselves.
dev-mode-label = Busy mode
dev-mode-queued = Queued: waits its turn
dev-mode-single = Single: dropped while it runs
dev-mode-restart = Restart: the new one starts at once
dev-mode-parallel = Parallel: runs beside it
dev-mode-unknown = choose one of the modes listed
dev-max-queue = Commands that may wait (queued)
dev-max-queue-help = 1 to 16; beyond it a command is dropped as busy.
dev-fair-share = One viewer's share of each minute (%)
dev-fair-share-help = 1 to 100. 100 lets one viewer hold the device all the time; 25 leaves three quarters of each minute to the others.
dev-modes-save = Save
dev-modes-saved = Saved: the next command follows these settings.
game-vote-left = { $s } s left
game-vote-won = “{ $word }” won
game-vote-idle = comment a word to vote
game-next = next: { $viewers }
game-turn = { $viewer }'s turn · { $s } s
game-no-turn = no one's turn: a gift buys one
game-wheel-last = last spin: { $command }
game-wheel-idle = a gift spins the wheel
overlay-cooling = cooling down · { $s } s
overlay-ready = ready
overlay-busy = busy
overlay-busy-waiting = busy · { $count } waiting
page-overlay = Viewer overlay
overlay-intro = A transparent page for your stream: it shows viewers what each gift or word does, the games (goal, vote, queue), whether a device is busy, and the last actions with who caused them. It needs no sign-in: its address is its key.
overlay-why-not = Owners and admins make and revoke overlay addresses. Ask one of them for the address.
overlay-created = Overlay “{ $name }” made
overlay-shown-once = Copy the address now: it is shown only this once. Anyone with it can see the overlay (never change anything).
overlay-address = Address for OBS
overlay-open = Open it in a new tab
overlay-obs-title = Add it to OBS
overlay-obs-1 = In OBS, add a source: Browser.
overlay-obs-2 = Paste the overlay's address as its URL; width 600, height 800 suit most layouts.
overlay-obs-3 = Leave the custom CSS empty: the page's background is already transparent.
overlay-addresses = Overlay addresses
overlay-none = No overlay address yet.
overlay-revoke = Revoke
overlay-revoke-consequence = Revoke “{ $name }”? The overlay using it empties within a second, and the address never works again.
overlay-revoked = revoked { $at }
overlay-new = New overlay address
overlay-name-example = e.g. OBS main scene
overlay-make = Make the address
presets-overlay-link = Show the games to viewers: the overlay
presets-goal-then = When it is reached
presets-goal-reset = Start again at the same goal
presets-goal-grow = Grow the next goal
presets-grow-pct = Grows by (%)
presets-vote-title = Vote
presets-vote-intro = Viewers comment one of the words; the first vote opens a window, and when it closes the word with most votes runs its command (one vote per viewer, the last one counts).
presets-window = Window (seconds)
presets-word = Word
presets-queue-title = Claw machine (a queue of turns)
presets-queue-intro = Each gift buys its viewer a turn. Viewers take turns fairly (the fewest turns had goes first); during a turn, only that viewer's words drive the device.
presets-ticket-gift = The gift that buys a turn
presets-ticket-min = …or any gift worth at least (diamonds)
presets-turn = One turn lasts (seconds)
presets-control = Control word
presets-wheel-title = Random wheel
presets-wheel-intro = A gift spins the wheel: one of the commands runs, drawn by weight (weight 2 comes up twice as often as weight 1).
presets-spin-gift = The gift that spins
presets-weight = Weight
dev-delete-title = Delete
dev-delete-intro = Deleting disconnects it and removes it; rules that drive it must be edited.
dev-delete = Delete device
n-ms = { $ms } ms
dev-rotate-confirm = Rotate the token of { $name }? The old token stops at once and whatever uses it is disconnected within a second; it connects again only with the new token.
dev-rotate-intro = Rotating issues a new token and stops the old one at once: whatever is connected with it is disconnected within a second.
dev-revoke-confirm = Revoke the token of { $name }? It is disconnected within a second and stays offline until you rotate a new token.
dev-delete-confirm = Delete { $name }? It is disconnected and removed; rules that drive it stop firing for it and must be edited.
dev-waiting = Waiting for the device to connect…
dev-connected = Connected

## Device token
tok-copy-key-now = Copy the private key now: it is shown only this once
tok-cert-rest =  (the server does not keep it). Earlier certificates keep working until the device's token is rotated or revoked.
tok-copy-now = Copy the token now: it is shown only this once.
tok-anyone = Anyone with it can receive this device's commands.
tok-old-stopped = The old token stopped working; its agent was disconnected.
tok-agent-token = Agent token
tok-flash = Flash the ESP32
tok-copy-config = Copy config.h
tok-run-agent = Run the agent
tok-copy-command = Copy command
tok-device-page = Device page
device-page-lower = device page

## Device token (2)
tok-paste-config = Paste this into <code>firmware/esp32/livectl_esp32/config.h</code> (fill in your Wi-Fi), then flash the sketch. The private key is shown only this once too.
tok-no-certificate = No certificate yet (the MQTT broker may be off on this server): get one from the
tok-on-the-computer = On the computer the board is plugged into (find the port with <code>livectl agent list-ports</code>):
tok-several-boards = Or, for several boards, add a binding to <code>agent.toml</code>:

## Rule builder
page-new-rule = New rule
rf-check-fields = Check the fields marked below.
rf-needs-device = A rule drives a device:
rf-add-device-first = add a device
rf-first = first.
rf-all-livestreams = All livestreams of this workspace
rf-when = When
rf-counted-in = counted in
rf-unit-events = events
rf-unit-likes = likes
rf-unit-diamonds = diamonds
rf-then = Then
rf-device = Device
rf-command = Command
rf-command-hint = (only what the device accepts)
rf-duration = Duration, in ms
rf-duration-cap = (at most the device's maximum)
rf-limits = Limits
rf-try-legend = Try it (nothing moves, nothing is saved)
rf-try-hint = An example event of the chosen kind, checked against this unsaved rule and every saved one.
rf-try = Try it
rf-save = Save rule

## Rules page
page-rules = Rules

## Try result
rf-draft-json = This draft as JSON (for the API)

## Rule builder fields
rf-contains = Comment contains
rf-any-case = any case
rf-equals = Comment is exactly
rf-starts-with = Comment starts with
rf-any-of = Any of these words
rf-commas-or-spaces = commas or spaces
rf-regex = Regular expression
rf-rust-syntax = Rust syntax
rf-eg-rose = e.g. Rose
rf-gift-id = Gift id
rf-min-diamonds = At least this many diamonds
rf-min-count = At least this many (gifts in a streak, or likes in a burst)
rf-viewers-reach = Viewers reach
rf-fires-once = fires once, re-arms below
rf-every = Only every n-th
rf-every-hint = leave empty for every time
rf-user = Only from this viewer
rf-handle = @handle
rf-cooldown = Cooldown after firing, in ms
rf-per-user-cooldown = Per-viewer cooldown, in ms
rf-priority = Priority
rf-priority-hint = higher runs first
rf-stream = The stream and the price
rf-pause = While the TikTok feed is reconnecting
rf-pause-yes = Pause this rule (recommended)
rf-pause-no = Keep firing
rf-arm-live = Only while the livestream is live (stops when it ends)
rf-arm-hours = Only within these hours
rf-arm-hours-hint = HH:MM-HH:MM, e.g. 18:00-23:30; empty: any time
rf-arm-tz = Time zone of the hours
rf-arm-tz-hint = e.g. Asia/Ho_Chi_Minh; empty: UTC
rf-price-hint = A rising price: after each firing the gift must be worth more (by the step), and the price falls back over the decay time.
rf-price-step = Rise after each firing (%)
rf-price-decay = Falls back over (seconds)
event-super-fan = Super fan
event-super-fan-box = Super fan box
event-stream-status = Stream status

## Commands page
page-commands = Commands
cmd-at-most-once = Every command runs at most once: there is no "run again" here, because a repeated motor pulse could do harm. To move the hardware again, send a test event from the control room or let a rule fire.
f-filter-history = Filter the history
f-show = Show

## Command history
cmd-history = History
f-filtered = (filtered)
cmd-none-match = No command matches these filters.
cmd-none = No command yet. They appear here as rules fire or test events are sent.
cmd-table = Command history table
f-when = When
cmd-outcome = Outcome
f-rule = Rule
cmd-event-to-issued = Event → issued
cmd-issued-to-ack = Issued → ack
cmd-pages = Pages
f-newest = Newest
cmd-live-hint = Newest first; new commands appear here by themselves.
f-older = Older

## Audit page
page-audit = Audit log
audit-intro = Who did what, and when: every change to this workspace, every kill-switch engagement and release, and what livectl did on its own.
audit-filter = Filter the log
audit-csv = Download CSV
audit-entries = Entries
audit-none-match = No entry matches these filters.
audit-none = Nothing recorded yet.
audit-table = Audit log table
f-who = Who
f-what = What
audit-on = On
audit-details = Details
f-status = Status
cmd-over-the-last = { $count ->
    [one] Over the last command
   *[other] Over the last { $count } commands
}
cmd-issued-to-ack-long = issued → acknowledged
cmd-event = event

## History words
outcome-sent = sent, waiting for the device
outcome-done = done
outcome-rejected = rejected
outcome-failed = failed
outcome-expired = expired
outcome-busy = not sent: the device was busy
outcome-undeliverable = not sent
outcome-blocked = blocked: kill switch engaged
outcome-rate-limited = not sent: over the rate limit
outcome-rejected-by = rejected by the device or its agent
cmd-by-hand = by hand
cmd-no-samples = no samples yet
f-every-device = every device
f-every-status = every status
f-every-rule = every rule
f-everything = everything
f-anyone = anyone
status-sent = sent
status-done = done
status-rejected = rejected
status-failed = failed
status-expired = expired
status-busy = busy
status-undeliverable = not sent
status-blocked = blocked
status-rate-limited = rate limited
period-hour = last hour
period-day = last 24 hours
period-week = last 7 days
period-all = all time
kind-safety = safety: kill switch engaged or released
kind-commands = commands
kind-devices = devices
kind-rules = rules
kind-livestreams = livestreams
kind-members = members
kind-api-keys = API keys
kind-workspace = workspace
kind-test-events = test events
who-system = livectl (automatic)
who-api-key-named = API key “{ $name }”
who-api-key = API key { $id }
who-former-member = { $id } (no longer a member)
who-any-api-key = any API key
text-the-device-is-offline = the device is offline
text-not-in-the-allow-list = not in the allow-list

## Device and livestream states
state-never-connected-esp32 = never connected: flash the ESP32 with its certificate and token
state-never-connected-agent = never connected: run `livectl agent` with its token
state-online = online
state-serial-closed = agent online, board unplugged or not answering
state-serial-closed-detail = agent online, board unplugged or not answering ({ $detail })
state-offline-since = offline since { $at }
state-offline = offline
state-revoked = token revoked: rotate it to connect again
ls-idle = not connected
ls-connecting = connecting…
ls-live = live
ls-reconnecting = reconnecting…
ls-offline = not live
ls-ended = LIVE ended
ls-error = error
tiktok-user-not-found = TikTok has no account @{ $user }. Check the spelling.
tiktok-user-offline = TikTok says @{ $user } is not live right now. Connect again once the LIVE has started.
tiktok-age-restricted = This LIVE is age-restricted: the connector needs a signed-in TikTok session (tiktok.session_id) to read it.
tiktok-blocked = TikTok refused the connection. Wait a few minutes, or connect from another network.
tiktok-sign-rate-limited = The sign server is limiting this instance's requests; livectl retries by itself.
tiktok-sign-unauthorized = The sign server refused this instance's API key (tiktok.sign_api_key): ask your host to check it.
tiktok-network = TikTok could not be reached; livectl retries by itself.

## Sign-in messages
login-expired = Your session ended. Sign in again to continue.
login-signed-out = You are signed out.
login-reused = For your safety every session of that sign-in was ended (a renewal token was used twice). Sign in again.
login-too-many = Too many attempts. Try again in { $seconds } s.
login-wrong = Wrong email or password.
register-closed = Registration is closed on this instance: ask its administrator for an account.

## Refusals
deny = { $roles } cannot { $what }
roles-owner = owners
roles-admin = admins
roles-operator = operators
roles-viewer = viewers
deny-view = view this workspace
deny-toggle-rule = enable or disable rules
deny-engage = engage the kill switch
deny-release = release the kill switch
deny-manage-rules = create, edit, delete or test rules
deny-manage-livestreams = manage livestreams
deny-inject-events = inject test events
deny-manage-devices = manage devices and agent tokens
deny-manage-members = manage members
deny-manage-api-keys = manage API keys
deny-manage-settings = change workspace settings
deny-delete-workspace = delete the workspace
deny-transfer = transfer ownership
err-403 = Not allowed
err-404 = Not found
err-409 = Conflict
err-422 = Check the form
err-423 = Stopped by the kill switch
err-429 = Slow down
err-500 = Something went wrong
err-other = That did not work
err-404-text = There is nothing here, or it belongs to a workspace you are not a member of.
err-500-text = The server could not answer. Quote the request id below when you report it.
release-only-owner = Only the workspace owner can release the kill switch.
release-only-named-owner = Only the owner ({ $owner }) can release the kill switch.

## Plans and limits
ls-allowance = Your plan ({ $plan }) allows { $limit ->
    [one] { $limit } livestream
   *[other] { $limit } livestreams
}: { $used } added.
ls-no-limit = Your plan ({ $plan }) has no limit on livestreams.
plan-limit = Your plan ({ $plan }) allows { $limit } { $what }. Remove one, or ask your host for a bigger plan.
limit-livestreams = livestream(s)
limit-devices = device(s)
limit-rules = rules
ls-will-follow = Will follow @{ $handle }
ls-not-an-account = Not a TikTok account: { $reason }
test-sent = Sent test event { $id } through the rules: its commands appear in the feed.
test-no-rules = There are no rules yet: nothing would happen.
test-none-fire = No rule would fire. Nothing moved (dry run).
test-n-fire = { $count } rule(s) would fire. Nothing moved (dry run).
name-reason = Name { $reason }.
usage-commands-minute = Commands in the last minute
usage-of = { $used } of { $limit }
usage-no-limit = { $used } (no limit on this plan)

## Written by the page's script
js-refused = The server refused that ({"{"}status{"}"}).
js-unreachable = The server could not be reached. Nothing was changed.
js-session-ended = Your session ended. Sign in again to keep control.
js-copied = Copied.
js-selected = Selected: press Ctrl+C to copy.
js-at-most = (at most {"{"}max{"}"} ms for this device)
js-stopping = Stopping…
js-screen-on = Screen stays on
js-keep-screen-on = Keep the screen on
js-wake-refused = This browser refused to keep the screen on.
js-stopped = STOPPED
js-stop-all = STOP ALL HARDWARE
js-disabled-stopped = Disabled while the kill switch is engaged: release it first.
js-send-test-why = A sent test event goes through the rules and can move hardware.
js-waiting-engine = Waiting for the rule engine…
js-no-rules = This workspace has no rules.
js-sent-gift = sent {"{"}gift{"}"} × {"{"}count{"}"} ({"{"}diamonds{"}"} 💎)
js-a-gift = a gift
js-liked = liked × {"{"}count{"}"}
js-viewers = {"{"}count{"}"} viewers
js-stream = stream {"{"}status{"}"}
js-event-follow = followed
js-event-share = shared the LIVE
js-event-join = joined
js-event-super-fan = became a super fan
js-event-super-fan-box = opened a super fan box
js-test = test
js-why = Why?
js-why-label = Why did {"{"}what{"}"} fire or not?
js-status-sent = sent
js-status-done = done
js-status-rejected = rejected
js-status-failed = failed
js-status-expired = expired
js-status-busy = busy
js-status-undeliverable = undeliverable
js-status-blocked = blocked
js-status-rate-limited = rate limited
js-held = {"{"}count{"}"} new (paused)
js-resume = Resume
js-pause = Pause
js-command-problem = Command {"{"}status{"}"}: {"{"}detail{"}"}
js-engaged-announce = Kill switch engaged: all hardware stopped.
js-released-announce = Kill switch released.
js-engaged = Kill switch engaged
js-released = Kill switch released
js-lagged = {"{"}count{"}"} updates skipped (this page fell behind); state re-read.
js-live = live
js-access-ended = access ended
js-access-ended-toast = Your access to this workspace ended ({"{"}reason{"}"}). Reload the page.
js-state-as-of = state as of {"{"}time{"}"}
js-reconnecting = reconnecting
js-last-confirmed = Last confirmed at {"{"}time{"}"}; reconnecting…
cmd-event-to-issued-long = event → issued

## Device pages
page-devices = Devices
page-device-token = Device token
page-device = Device
tok-new-certificate-for = New certificate for { $name }
tok-new-token-for = New token for { $name }
tok-registered = { $name } is registered

## Why a command was issued
page-why = Why each rule did or did not fire
why-intro = As the rule engine decided at { $at }, for the event
why-not-kept = No decision is kept for this event (only events that issued a command keep theirs).
why-deleted-rule = a deleted rule ({ $id })
why-back = Back to the commands
why-link = why?

## The server's own texts shown on pages (API reasons, device refusals), by slug
text-must-be-1-to-100-characters = must be 1 to 100 characters
text-must-not-contain-control-characters = must not contain control characters
text-must-not-contain-invisible-or-text-direction-characters = must not contain invisible or text-direction characters
text-must-be-an-email-address = must be an email address
text-use-ctrl-alt-or-meta-with-a-letter-or-digit-ctrl-shift-s-or = use Ctrl, Alt or Meta with a letter or digit (Ctrl+Shift+S), or a function key (F9)
text-is-not-your-current-password = is not your current password
text-must-not-contain-a-nul-character = must not contain a NUL character
text-must-be-at-least-8-bytes = must be at least 8 bytes
text-must-be-at-most-72-bytes-bcrypt-ignores-anything-longer = must be at most 72 bytes (bcrypt ignores anything longer)
text-must-not-be-only-spaces = must not be only spaces
text-you-already-own-this-workspace = you already own this workspace
text-list-1-to-64-commands = list 1 to 64 commands
text-a-link-must-look-like-https-www-tiktok-com-user-live = a link must look like https://www.tiktok.com/@user/live
text-a-tiktok-handle-is-2-to-24-letters-digits-or-as-user-user-or = a TikTok handle is 2 to 24 letters, digits, '_' or '.' (as @user, user or a LIVE link)
text-no-account-with-this-email = no account with this email
text-already-a-member-of-this-workspace = already a member of this workspace
text-a-workspace-needs-an-owner-transfer-ownership-first = a workspace needs an owner: transfer ownership first
text-a-workspace-needs-an-owner-transfer-ownership-or-delete-the = a workspace needs an owner: transfer ownership or delete the workspace
text-only-an-owner-can-grant-or-remove-the-owner-role = only an owner can grant or remove the owner role
text-this-email-is-already-invited = this email is already invited
text-an-account-with-this-email-already-exists = an account with this email already exists
text-name-at-least-one-scope = name at least one scope
text-a-workspace-with-this-name-already-exists = a workspace with this name already exists
text-the-kill-switch-is-engaged = the kill switch is engaged
text-this-workspace-is-suspended = this workspace is suspended
text-platform-administrators-only = platform administrators only
text-registration-is-by-invitation-only-and-this-email-is-not-inv = registration is by invitation only and this email is not invited
text-add-a-livestream-first-the-simulator-will-do = add a livestream first (the simulator will do)
text-must-be-one-of-en-vi = must be one of: en, vi
text-must-be-owner-admin-operator-or-viewer = must be owner, admin, operator or viewer
text-must-be-a-whole-number = must be a whole number
text-the-device-was-busy = the device was busy
text-the-device-is-not-connected = the device is not connected
text-expired-before-delivery = expired before delivery

## Why a rule did or did not fire (traces, "try it", the why panel)
reason-disabled = the rule is disabled
reason-other-event = event is { $event }, the rule wants { $wants }
reason-other-livestream = the rule is for another livestream
reason-user = user is "{ $user }", the rule wants "{ $wants }"
reason-gift-name = gift_name is "{ $gift }", not "{ $wants }"
reason-gift-id = gift_id is { $gift }, not { $wants }
reason-min-diamonds = min_diamonds: { $diamonds } < { $min }
reason-min-repeat = min_count: repeat_count { $count } < { $min }
reason-min-likes = min_count: count { $count } < { $min }
reason-equals = equals: comment is not "{ $wants }"
reason-contains = contains: comment does not contain "{ $wants }"
reason-starts-with = starts_with: comment does not start with "{ $wants }"
reason-any-of = any_of: none of the words is in the comment
reason-regex = regex: the comment does not match
reason-viewers-below = viewers_at_least: { $viewers } viewers, below { $min }
reason-already-fired = viewers_at_least: already fired at { $min }; fires again after viewers fall below { $min }
reason-every = every: { $so_far } of { $every } { $unit } so far
reason-cooldown = cooldown: { $ms } ms left
reason-viewer-cooldown = per_user_cooldown: this viewer fired it, { $ms } ms left
reason-too-many-viewers = per_user_cooldown: over { $max } viewers in cooldown at once; not fired
reason-state-unreachable = the shared rule state (Redis) did not answer: not fired, to be safe
reason-feed-trouble = paused: the TikTok feed is reconnecting (pause_on_feed_trouble)
reason-not-armed = not armed: the livestream is { $feed }; the rule fires only while it is live
reason-outside-hours = not armed: outside its hours { $hours } ({ $tz })
reason-price = price_scaling: the price is now { $price } diamonds (it rose after firing); this gift is worth { $diamonds }
reason-goal = goal: { $so_far } of { $target } so far
reason-vote = vote counted for "{ $word }"; the vote closes in { $ms } ms
reason-ticket = ticket: a turn bought; { $waiting } waiting
reason-not-your-turn = queue: it is { $viewer }'s turn
reason-no-turn = queue: no one's turn (a ticket buys one)
reason-wheel-other = wheel: the spin chose { $command }
reason-game-no-viewer = the game needs to know the viewer, and TikTok named no one
reason-game-shared = counted by the game (its state is shared by the nodes)
reason-price-shared = price_scaling: checked against the price every node shares
reason-game-mismatch = the game's state does not match this rule; not fired
reason-fired = fired: { $command } for { $ms } ms
reason-blocked = all conditions hold, but the kill switch is engaged: the command was blocked
reason-would-fire = all conditions hold; it would fire
reason-would-be-blocked = all conditions hold; it would fire, but the kill switch is engaged: the command would be blocked

## Refused values (the API's reasons, in English there)
v-not-allowed-command = "{ $command }" is not in the device's allowed commands ({ $allowed })
v-duration-max = must be 0 to the device's maximum of { $max } ms
v-regex-rules = a workspace holds at most { $max } regex rules; use contains, any_of or starts_with
v-applies-to = applies to { $allowed } events, not { $event }
v-at-most-chars = at most { $max } characters
v-regex-compile = does not compile: { $error }
v-command-name = "{ $command }": 1 to 32 letters, digits or '_'
v-range = must be { $min } to { $max }
text-must-not-be-negative = must not be negative
text-give-duration-ms-or-duration-not-both = give duration_ms or duration, not both
limit-members = members
limit-workspaces = workspaces

page-pair = Pair an agent
pair-intro = <code>livectl agent pair</code> (or the one-line installer) shows a code on the computer the board is plugged into. Type it here, choose the device, and approve: the agent receives its token by itself, sealed so that only it can read it.
pair-no-workspace = You manage devices in no workspace: ask an owner or admin to approve the code.
pair-choose-workspace = Which workspace should this computer join?
pair-asking = The computer asking
pair-hostname = Computer
pair-platform = System
pair-address = From address
pair-expires = Code expires at
pair-check-code = Approve only if this is the computer in front of you and its screen shows this code.
pair-code = Pairing code
pair-code-hint = (8 letters and digits, as the agent shows it)
pair-which-device = Which device is it?
pair-new-device = A new device
pair-existing-device = A device already here (its agent on another computer is signed out)
pair-no-agent-devices = No USB (agent) device in this workspace yet.
pair-new-name = Name of the new device
pair-existing-label = Existing device
pair-existing-hint = (its current token stops working)
pair-approve = Approve
pair-deny = Deny
pair-approved = Approved: the agent on { $hostname } receives the token of { $device } within a few seconds and connects.
pair-denied = Denied: the agent on { $hostname } is told, and the code no longer works.
pair-see-device = See the device
dev-pair-instead = Setting up an Arduino on a computer? Run the installer or <code>livectl agent pair</code> there and approve its code: nothing to copy.
dev-pair-link = Approve a pairing code
dev-agent-label = Agent
dev-updates-label = Updates
rf-scale-hint = Optional: one command that lasts longer for a bigger gift or burst (10 roses → 10 s), instead of the fixed duration.
rf-scale-per-unit = Milliseconds per unit
rf-scale-unit = Unit
rf-scale-repeat = each gift in the streak
rf-scale-diamonds = each diamond
rf-scale-likes = each like
rf-scale-max = Longest, in ms

page-presets = Preset games
presets-intro = Ready games made of ordinary rules: make one in a few clicks, then edit its rules like any other.
presets-games = Games in this workspace
presets-none = No game yet.
presets-rules = { $count ->
    [one] 1 rule
   *[other] { $count } rules
}
presets-kind-gift_action = gift → action
presets-kind-goal = community goal
presets-kind-vote = vote
presets-kind-queue = queue
presets-kind-wheel = wheel
presets-delete = Remove
presets-delete-why = Removes the game and its rules: they stop firing at once.
presets-why-not = Only owners and admins make or remove games.
presets-no-device = A game drives a device: add one first.
presets-gift-title = Gift → action
presets-gift-intro = Each gift runs its command on the device, for its duration (in ms).
presets-device = Device
presets-gift = Gift name
presets-command = Command
presets-make = Make the game
presets-goal-title = Community goal
presets-goal-intro = The room's likes, diamonds or comments fill a goal; when it is reached the device runs the command, and the goal starts again.
presets-goal-unit = What fills it
presets-likes = likes
presets-diamonds = diamonds
presets-comments = comments
presets-target = Goal
rules-presets-link = Start from a preset game
