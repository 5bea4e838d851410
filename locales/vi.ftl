## Bảng điều khiển livectl bằng tiếng Việt.

n-members = { $count } thành viên

## Khung của mọi trang
skip-to-content = Chuyển đến nội dung
nav-workspace = Không gian làm việc
nav-control = Phòng điều khiển
nav-livestreams = Phiên live
nav-devices = Thiết bị
nav-rules = Quy tắc
nav-commands = Lệnh
nav-audit = Nhật ký
nav-members = Thành viên
nav-api-keys = Khóa API
nav-usage = Mức sử dụng
nav-settings = Cài đặt
nav-dock = Bảng gọn
nav-workspaces = Không gian làm việc
nav-admin = Quản trị
nav-account = Tài khoản của bạn
sign-out = Đăng xuất
switch-language = Đổi ngôn ngữ
conn-connecting = đang kết nối…
confirm-title = Bạn chắc chứ?
confirm-yes = Vâng, làm đi
cancel = Hủy
release-title = Nhả công tắc dừng khẩn cấp?
release-consequence = Các quy tắc đang bật sẽ điều khiển phần cứng ngay khi bạn nhả, và mọi thiết bị đang kết nối sẽ nhận lệnh.
release-reason = Vì sao bây giờ đã an toàn? (lưu trong nhật ký)
release = Nhả

## Từ dùng chung
yes = có
no = không
col-name = Tên
col-email = Email
col-role = Vai trò
col-joined = Tham gia
col-actions = Thao tác
col-created = Tạo lúc
col-last-used = Dùng lần cuối
role-owner = Chủ sở hữu
role-admin = Quản trị viên
role-operator = Người vận hành
role-viewer = Người xem
confirm-type-name = Nhập tên không gian làm việc, { $name }, để xác nhận
confirm-type-name-mismatch = không khớp với tên không gian làm việc
never = chưa bao giờ

## Thành viên
page-members = Thành viên
members-you = bạn
members-role-of = Vai trò của { $name }
change = Đổi
members-remove = Xóa
members-leave = Rời đi
members-remove-consequence = { $name } mất quyền truy cập ngay: các trang đang mở và luồng trực tiếp của họ dừng lại.
members-leave-consequence = Bạn mất quyền truy cập không gian làm việc này ngay lập tức.
members-only-managers = Thành viên { $role } không thể quản lý thành viên: hãy nhờ chủ sở hữu hoặc quản trị viên.
members-last-owner = Chủ sở hữu duy nhất của không gian làm việc: hãy chuyển quyền sở hữu trước.
members-only-owner-touches-owner = Chỉ chủ sở hữu mới có thể đổi hoặc xóa một chủ sở hữu.
members-add = Thêm thành viên
members-add-hint = Người đó cần có tài khoản livectl trên máy chủ này trước; họ có quyền truy cập ngay.
members-add-button = Thêm
transfer-title = Chuyển quyền sở hữu
transfer-consequence = Thành viên bạn chọn trở thành chủ sở hữu; bạn trở thành quản trị viên. Chỉ chủ sở hữu mới có thể hoàn tác.
transfer-no-heir = Hãy thêm một thành viên khác trước: quyền sở hữu được chuyển cho một thành viên hiện có.
transfer-to = Chủ sở hữu mới
transfer-button = Chuyển quyền sở hữu
transfer-only-owner = Chỉ chủ sở hữu mới có thể chuyển quyền sở hữu.
matrix-title = Mỗi vai trò được làm gì
matrix-action = Thao tác
act-view = Xem không gian làm việc, luồng trực tiếp, lịch sử và nhật ký
act-toggle-rule = Bật và tắt quy tắc
act-engage = Bật công tắc dừng khẩn cấp
act-release = Nhả công tắc dừng khẩn cấp
act-manage-rules = Tạo, sửa và thử quy tắc
act-manage-livestreams = Thêm, kết nối và xóa phiên live
act-inject-events = Gửi sự kiện thử
act-manage-devices = Thêm thiết bị, đổi và thu hồi token
act-manage-members = Thêm thành viên và đổi vai trò
act-manage-api-keys = Tạo và thu hồi khóa API
act-manage-settings = Đổi tên không gian làm việc
act-delete-workspace = Xóa không gian làm việc
act-transfer = Chuyển quyền sở hữu
copy = Sao chép

## Khóa API
page-api-keys = Khóa API
keys-intro = Khóa cho phép một chương trình (lớp phủ, bot, script) dùng API của không gian làm việc này mà không cần mật khẩu của bạn. Nó không bao giờ nhả được công tắc dừng khẩn cấp, quản lý thành viên hay xem không gian làm việc khác.
keys-created = Đã tạo khóa “{ $name }”
keys-shown-once = Hãy sao chép khóa ngay: nó chỉ hiện một lần này. Máy chủ chỉ giữ dấu vân tay của nó.
keys-the-key = Khóa API
keys-how-to-use = Chương trình gửi nó trong một header:
keys-live = Khóa đang dùng
keys-none = Chưa có khóa nào.
keys-col-prefix = Bắt đầu bằng
keys-col-scopes = Phạm vi
keys-revoke = Thu hồi
keys-revoke-consequence = Các chương trình dùng “{ $name }” sẽ bị từ chối từ giờ.
keys-new = Tạo khóa
keys-name-example = Lớp phủ cho stream
keys-create = Tạo khóa
scope-read-hint = Xem không gian làm việc: phiên live, quy tắc, thiết bị, lệnh, nhật ký và luồng trực tiếp.
scope-events-hint = Gửi sự kiện vào một phiên live (để thử, hoặc từ một nguồn sự kiện khác).
scope-rules-hint = Tạo, sửa, bật và tắt quy tắc.
scope-livestreams-hint = Thêm, kết nối, ngắt kết nối và xóa phiên live.

## Cài đặt không gian làm việc
page-settings = Cài đặt
settings-rename = Đổi tên không gian làm việc
settings-save = Lưu
settings-transfer-link = Giao không gian làm việc cho thành viên khác ở trang thành viên.
settings-delete = Xóa không gian làm việc
settings-delete-intro = Không thể hoàn tác việc xóa. Ngay lập tức:
settings-delete-button = Xóa vĩnh viễn không gian làm việc
delete-stops-livestreams = { $count } phiên live bị ngắt kết nối;
delete-stops-devices = { $count } thiết bị bị cắt (token không còn dùng được);
delete-stops-rules = { $count } quy tắc bị xóa;
delete-stops-members = { $count } thành viên mất quyền truy cập;
delete-stops-keys = các khóa API ngừng hoạt động;
delete-stops-history = lịch sử lệnh và nhật ký bị xóa.

## Tài khoản
page-account = Tài khoản của bạn
account-profile = Hồ sơ
account-password = Mật khẩu
account-password-hint = Đổi mật khẩu sẽ đăng xuất mọi trình duyệt và chương trình khác đang đăng nhập bằng tài khoản của bạn; trình duyệt này vẫn đăng nhập.
account-current-password = Mật khẩu hiện tại
account-new-password = Mật khẩu mới (8 đến 72 byte)
account-change-password = Đổi mật khẩu
account-sign-ins = Nơi bạn đang đăng nhập
account-client = Trình duyệt hoặc chương trình
account-address = Địa chỉ
account-started = Đăng nhập lúc
account-this-browser = trình duyệt này
account-unknown-client = không rõ
account-sign-out-everywhere = Đăng xuất khỏi mọi nơi
account-everywhere-consequence = Mọi trình duyệt và chương trình đang đăng nhập bằng tài khoản của bạn sẽ bị đăng xuất ngay, kể cả trình duyệt này.
account-preferences = Tùy chọn
account-language = Ngôn ngữ
account-language-browser = Theo trình duyệt của tôi
account-confirm-stop = Hỏi trước khi bật công tắc dừng khẩn cấp
account-confirm-stop-hint = Mặc định tắt: một lần bấm phải dừng được phần cứng. Chỉ bật nếu bạn hay bấm nhầm.
account-shortcut = Phím tắt dừng khẩn cấp
account-shortcut-hint = Để trống: không có. Một phím kèm Ctrl, Alt hoặc Meta (Ctrl+Shift+S), hoặc một phím chức năng (F9). Nó chỉ bật công tắc dừng, không bao giờ nhả.
account-density = Luồng trực tiếp
density-comfortable = Thoáng
density-compact = Gọn
account-reduced-motion = Giảm chuyển động (không có hiệu ứng)
account-done-name = Đã lưu tên của bạn.
account-done-password = Đã đổi mật khẩu. Mọi phiên đăng nhập khác đã kết thúc.
account-done-preferences = Đã lưu tùy chọn của bạn.
account-done-signed-out = Phiên đăng nhập đó đã kết thúc.
next-page = Cũ hơn ›

## Quản trị nền tảng
page-admin = Quản trị nền tảng
admin-workspaces = Không gian làm việc
admin-search = Tên, mã hoặc email chủ sở hữu
admin-search-button = Tìm
admin-no-workspace = Không có không gian làm việc nào khớp.
admin-col-workspace = Không gian làm việc
admin-col-plan = Gói
admin-col-state = Trạng thái
admin-plan-of = Gói của { $name }
admin-usage = { $livestreams } phiên live · { $devices } thiết bị · { $rules } quy tắc · { $members } thành viên
admin-state-running = đang chạy
admin-state-stopped = đã dừng bằng công tắc khẩn cấp
admin-state-suspended = bị tạm ngưng: { $reason }
admin-reason = Lý do (bắt buộc)
admin-reason-for = Lý do tạm ngưng { $name }
admin-reason-required = hãy nói lý do: các thành viên của không gian làm việc sẽ đọc nó
admin-suspend = Tạm ngưng
admin-suspend-consequence = Các phiên live dừng, thiết bị bị ngắt kết nối và thành viên chỉ có thể xem cho đến khi bạn bỏ tạm ngưng.
admin-unsuspend = Bỏ tạm ngưng
admin-invites = Lời mời
admin-invites-hint = Khi đăng ký chỉ bằng lời mời, chỉ những email này mới tạo được tài khoản.
admin-invite = Mời
admin-withdraw = Rút lại

## Công tắc dừng khẩn cấp (trên mọi trang)
kill-label = Công tắc dừng khẩn cấp
kill-confirm = Dừng toàn bộ phần cứng của không gian làm việc này ngay?
kill-default-reason = Đã bấm dừng trong bảng điều khiển
kill-stop-again = ĐÃ DỪNG · dừng lần nữa
kill-stop-all = DỪNG TOÀN BỘ PHẦN CỨNG
kill-stopped = ĐÃ DỪNG
kill-stopped-by = bởi { $who } lúc
kill-nothing-sent = Không có lệnh nào được gửi tới phần cứng.
kill-running = Đang chạy
kill-running-meaning = các quy tắc đang bật điều khiển phần cứng.

## Đăng nhập, không gian làm việc, lỗi
page-sign-in = Đăng nhập
page-register = Tạo tài khoản
page-workspaces = Không gian làm việc
password = Mật khẩu
password-size = 8 đến 72 byte
login-no-account = Chưa có tài khoản?
login-create-one = Tạo một tài khoản
register-invite-only = Máy chủ này chỉ nhận người được mời: hãy dùng địa chỉ email đã được mời.
register-name = Tên của bạn
register-name-hint = hiển thị cho nhóm của bạn
register-button = Tạo tài khoản
register-have-one = Đã có tài khoản?
error-request-id = Mã yêu cầu:
error-back = Về trang đầu
workspaces-first = Một không gian làm việc chứa một chương trình: các phiên live, thiết bị, quy tắc và nhóm. Hãy tạo cái đầu tiên.
workspaces-plan = gói { $plan }
workspaces-suspended = bị tạm ngưng
workspaces-new = Không gian làm việc mới
workspaces-create = Tạo không gian làm việc

## Usage
page-usage = Mức sử dụng và gói
usage-limits-note = Khi chạm giới hạn, chỉ những thứ mới bị từ chối (mã 402 trong API): những gì đã có vẫn hoạt động. Quản trị viên nền tảng đặt gói.

## Usage bars
usage-plan = Gói:
usage-limit-reached = đã chạm giới hạn

## Control room
page-control = Phòng điều khiển
test-title = Thử
test-livestream = Phiên live
test-all-livestreams = (mọi phiên live)
test-event = Sự kiện
test-comment-text = Nội dung bình luận
test-gift-name = Tên quà
test-gift-count = Số lượng quà
test-likes = Lượt thích
test-viewers = Người xem
test-dry-run = Chạy thử (không có gì chuyển động)
test-send = Gửi sự kiện thử
test-send-why = Sự kiện thử được gửi sẽ đi qua các quy tắc và có thể điều khiển phần cứng.

## Dock
page-dock = Bảng gọn
dock-keep-screen-on = Giữ màn hình luôn sáng

## Loại sự kiện
event-comment = Bình luận
event-gift = Quà tặng
event-like = Lượt thích
event-follow = Theo dõi
event-share = Chia sẻ
event-join = Vào phòng
event-viewer-count = Số người xem

## Live feed
feed-title = Luồng trực tiếp
feed-filters = Bộ lọc luồng
feed-comments = Bình luận
feed-gifts = Quà tặng
feed-likes = Lượt thích
feed-social = Theo dõi, chia sẻ, vào phòng
feed-commands = Lệnh
feed-only-problems = Chỉ sự cố
feed-pause = Tạm dừng
feed-waiting = Đang chờ sự kiện…
feed-label = Sự kiện và kết quả lệnh, mới nhất trước
why-title = Vì sao nó (không) chạy?
why-note = Mọi quy tắc của không gian làm việc, theo quyết định của bộ máy quy tắc khi sự kiện đến.
close = Đóng

## Livestreams panel
ls-none = Chưa có phiên live nào.
add-one = Thêm một cái
ls-simulator-works = (trình mô phỏng chạy được không cần TikTok).
added-by-managers = Chủ sở hữu hoặc quản trị viên sẽ thêm.
simulator = trình mô phỏng
viewers = người xem
ls-disconnect = Ngắt kết nối
ls-connect = Kết nối

## Devices panel
dev-none = Chưa có thiết bị nào.
dev-last-command = Lệnh gần nhất:

## Rules panel
rules-none = Chưa có quy tắc nào.
rules-write-one = Viết một quy tắc
rules-written-by-managers = Chủ sở hữu hoặc quản trị viên sẽ viết.
rule-on = bật
rule-off = tắt
rule-turn-off = Tắt
rule-turn-on = Bật

## Getting started
checklist-title = Bắt đầu
checklist-livestream = Kết nối một phiên live
checklist-or-simulator = (hoặc trình mô phỏng)
page-add-device = Thêm thiết bị
checklist-online = và đưa nó trực tuyến
checklist-rule = Viết một quy tắc
checklist-command = Gửi một sự kiện thử và xem một lệnh hoàn tất

## Các phần của phòng điều khiển
checklist-done = { $done } trên 4
agent = agent
dev-firmware = firmware { $version }
dev-commands = lệnh { $commands }
dev-at-most = tối đa { $ms } ms
rule-enabled-label = { $name } đang bật

## Release page
page-release = Nhả công tắc dừng khẩn cấp
release-not-engaged = Công tắc dừng khẩn cấp đang không bật.
back-to-control = Quay lại phòng điều khiển

## Test result
test-would-fire = sẽ chạy

## Livestreams page
page-livestreams = Phiên live
ls-add = Thêm phiên live
see-usage = Xem mức sử dụng
ls-tiktok-account = Tài khoản TikTok
ls-target-hint = (@tên, tên, hoặc liên kết của phiên LIVE)
ls-source = Nguồn
ls-simulator-choice = Trình mô phỏng (chỉ sự kiện thử, không cần TikTok)
optional = (không bắt buộc)

## Add a device
dev-intro = Mỗi thiết bị là một bo mạch: Arduino qua USB (thông qua <code>livectl agent</code> trên máy tính cắm nó) hoặc ESP32 qua Wi-Fi (MQTT). Nó chỉ nhận các lệnh bạn liệt kê, không bao giờ lâu hơn mức tối đa.
dev-how-connects = Cách kết nối
dev-usb = Arduino qua USB (livectl agent)
dev-wifi = ESP32 qua Wi-Fi (MQTT)
dev-commands-label = Các lệnh nó nhận
dev-commands-hint = (cách nhau bằng dấu phẩy hoặc khoảng trắng, ví dụ LED_ON, RELAY_ON)
dev-longest = Lệnh dài nhất, tính bằng ms
dev-rate = Số lệnh mỗi phút, tối đa
dev-create = Tạo thiết bị và hiện token

## Device page
dev-connects = Kết nối
dev-longest-short = Lệnh dài nhất
dev-firmware-label = Firmware
dev-not-reported = chưa báo cáo
dev-certificate = Chứng chỉ
dev-certificate-intro = Một chứng chỉ và khóa máy khách mới cho ESP32, kèm <code>config.h</code> sẵn sàng. Khóa chỉ hiện một lần.
dev-new-certificate = Lấy chứng chỉ mới
dev-token = Token
dev-rotate = Đổi token
dev-revoke = Thu hồi token
dev-revoke-intro = Thu hồi sẽ dừng token mà không cấp token mới: thiết bị ngoại tuyến cho đến khi bạn đổi token.
dev-modes-title = Khi thiết bị đang bận
dev-modes-intro = Lệnh mới làm gì khi thiết bị vẫn đang chạy lệnh trước. Các quy tắc điều khiển cùng một thiết bị tự xếp lượt.
dev-mode-label = Chế độ khi bận
dev-mode-queued = Xếp hàng: chờ đến lượt
dev-mode-single = Một lệnh: bỏ qua khi đang chạy
dev-mode-restart = Khởi động lại: lệnh mới chạy ngay
dev-mode-parallel = Song song: chạy cùng lúc
dev-mode-unknown = hãy chọn một trong các chế độ đã liệt kê
dev-max-queue = Số lệnh được chờ (xếp hàng)
dev-max-queue-help = 1 đến 16; vượt quá thì lệnh bị bỏ với trạng thái bận.
dev-fair-share = Phần mỗi phút của một người xem (%)
dev-fair-share-help = 1 đến 100. 100 cho phép một người giữ thiết bị suốt; 25 để lại ba phần tư mỗi phút cho người khác.
dev-modes-save = Lưu
dev-modes-saved = Đã lưu: lệnh tiếp theo sẽ theo cài đặt này.
game-vote-left = còn { $s } giây
game-vote-won = “{ $word }” thắng
game-vote-idle = bình luận một từ để bình chọn
game-next = tiếp theo: { $viewers }
game-turn = lượt của { $viewer } · { $s } giây
game-no-turn = chưa ai có lượt: một món quà mua một lượt
game-wheel-last = lần quay trước: { $command }
game-wheel-idle = một món quà quay vòng quay
overlay-cooling = đang nghỉ · { $s } giây
overlay-ready = sẵn sàng
overlay-busy = đang bận
overlay-busy-waiting = đang bận · { $count } lệnh chờ
page-overlay = Lớp phủ cho người xem
overlay-intro = Một trang trong suốt cho buổi live: cho người xem biết mỗi món quà hay từ khóa làm gì, các trò chơi (mục tiêu, bình chọn, hàng chờ), thiết bị có đang bận không, và các hành động gần nhất cùng người gây ra. Không cần đăng nhập: địa chỉ chính là chìa khóa.
overlay-why-not = Chủ sở hữu và quản trị viên tạo và thu hồi địa chỉ lớp phủ. Hãy hỏi họ địa chỉ.
overlay-created = Đã tạo lớp phủ “{ $name }”
overlay-shown-once = Hãy sao chép địa chỉ ngay: nó chỉ hiện lần này. Ai có nó đều xem được lớp phủ (không bao giờ thay đổi được gì).
overlay-address = Địa chỉ cho OBS
overlay-open = Mở trong thẻ mới
overlay-obs-title = Thêm vào OBS
overlay-obs-1 = Trong OBS, thêm một nguồn: Browser.
overlay-obs-2 = Dán địa chỉ lớp phủ vào URL; rộng 600, cao 800 hợp với hầu hết bố cục.
overlay-obs-3 = Để trống CSS tùy chỉnh: nền trang đã trong suốt.
overlay-addresses = Địa chỉ lớp phủ
overlay-none = Chưa có địa chỉ lớp phủ nào.
overlay-revoke = Thu hồi
overlay-revoke-consequence = Thu hồi “{ $name }”? Lớp phủ dùng nó sẽ trống trong vòng một giây, và địa chỉ không bao giờ dùng được nữa.
overlay-revoked = đã thu hồi { $at }
overlay-new = Địa chỉ lớp phủ mới
overlay-name-example = ví dụ: cảnh chính OBS
overlay-make = Tạo địa chỉ
presets-overlay-link = Cho người xem thấy trò chơi: lớp phủ
presets-goal-then = Khi đạt mục tiêu
presets-goal-reset = Bắt đầu lại với cùng mục tiêu
presets-goal-grow = Tăng mục tiêu tiếp theo
presets-grow-pct = Tăng thêm (%)
presets-vote-title = Bình chọn
presets-vote-intro = Người xem bình luận một trong các từ; phiếu đầu tiên mở một khoảng thời gian, khi đóng lại, từ nhiều phiếu nhất chạy lệnh của nó (mỗi người một phiếu, phiếu cuối được tính).
presets-window = Thời gian bình chọn (giây)
presets-word = Từ
presets-queue-title = Máy gắp thú (hàng chờ lượt chơi)
presets-queue-intro = Mỗi món quà mua cho người tặng một lượt. Lượt được chia công bằng (ai chơi ít lượt nhất đi trước); trong một lượt, chỉ từ khóa của người đó điều khiển thiết bị.
presets-ticket-gift = Món quà mua một lượt
presets-ticket-min = …hoặc quà bất kỳ trị giá ít nhất (kim cương)
presets-turn = Một lượt kéo dài (giây)
presets-control = Từ điều khiển
presets-wheel-title = Vòng quay ngẫu nhiên
presets-wheel-intro = Một món quà quay vòng: một lệnh được chọn theo trọng số (trọng số 2 ra gấp đôi trọng số 1).
presets-spin-gift = Món quà để quay
presets-weight = Trọng số
dev-delete-title = Xóa
dev-delete-intro = Xóa sẽ ngắt kết nối và loại bỏ nó; các quy tắc điều khiển nó cần được sửa.
dev-delete = Xóa thiết bị
n-ms = { $ms } ms
dev-rotate-confirm = Đổi token của { $name }? Token cũ ngừng ngay và thứ đang dùng nó bị ngắt kết nối trong vòng một giây; nó chỉ kết nối lại bằng token mới.
dev-rotate-intro = Đổi token sẽ cấp token mới và dừng token cũ ngay: thứ đang kết nối bằng nó bị ngắt trong vòng một giây.
dev-revoke-confirm = Thu hồi token của { $name }? Nó bị ngắt kết nối trong vòng một giây và ngoại tuyến cho đến khi bạn đổi token mới.
dev-delete-confirm = Xóa { $name }? Nó bị ngắt kết nối và loại bỏ; các quy tắc điều khiển nó sẽ ngừng chạy cho nó và cần được sửa.
dev-waiting = Đang chờ thiết bị kết nối…
dev-connected = Đã kết nối

## Device token
tok-copy-key-now = Hãy sao chép khóa riêng ngay: nó chỉ hiện một lần này
tok-cert-rest =  (máy chủ không giữ nó). Các chứng chỉ trước vẫn hoạt động cho đến khi token của thiết bị được đổi hoặc thu hồi.
tok-copy-now = Hãy sao chép token ngay: nó chỉ hiện một lần này.
tok-anyone = Ai có nó đều có thể nhận lệnh của thiết bị này.
tok-old-stopped = Token cũ đã ngừng hoạt động; agent của nó đã bị ngắt kết nối.
tok-agent-token = Token của agent
tok-flash = Nạp firmware cho ESP32
tok-copy-config = Sao chép config.h
tok-run-agent = Chạy agent
tok-copy-command = Sao chép lệnh
tok-device-page = Trang thiết bị
device-page-lower = trang thiết bị

## Device token (2)
tok-paste-config = Dán phần này vào <code>firmware/esp32/livectl_esp32/config.h</code> (điền Wi-Fi của bạn), rồi nạp sketch. Khóa riêng cũng chỉ hiện một lần này.
tok-no-certificate = Chưa có chứng chỉ (broker MQTT có thể đang tắt trên máy chủ này): hãy lấy một cái ở
tok-on-the-computer = Trên máy tính đang cắm bo mạch (tìm cổng bằng <code>livectl agent list-ports</code>):
tok-several-boards = Hoặc, với nhiều bo mạch, thêm một binding vào <code>agent.toml</code>:

## Rule builder
page-new-rule = Quy tắc mới
rf-check-fields = Hãy kiểm tra các trường được đánh dấu bên dưới.
rf-needs-device = Một quy tắc điều khiển một thiết bị:
rf-add-device-first = thêm thiết bị
rf-first = trước.
rf-all-livestreams = Mọi phiên live của không gian làm việc này
rf-when = Khi
rf-counted-in = đếm theo
rf-unit-events = sự kiện
rf-unit-likes = lượt thích
rf-unit-diamonds = kim cương
rf-then = Thì
rf-device = Thiết bị
rf-command = Lệnh
rf-command-hint = (chỉ những gì thiết bị nhận)
rf-duration = Thời lượng, tính bằng ms
rf-duration-cap = (tối đa bằng mức tối đa của thiết bị)
rf-limits = Giới hạn
rf-try-legend = Thử (không có gì chuyển động, không lưu gì)
rf-try-hint = Một sự kiện mẫu thuộc loại đã chọn, được kiểm tra với quy tắc chưa lưu này và mọi quy tắc đã lưu.
rf-try = Thử
rf-save = Lưu quy tắc

## Rules page
page-rules = Quy tắc

## Try result
rf-draft-json = Bản nháp này dưới dạng JSON (cho API)

## Các trường của trình tạo quy tắc
rf-contains = Bình luận chứa
rf-any-case = không phân biệt hoa thường
rf-equals = Bình luận đúng bằng
rf-starts-with = Bình luận bắt đầu bằng
rf-any-of = Bất kỳ từ nào trong số này
rf-commas-or-spaces = dấu phẩy hoặc khoảng trắng
rf-regex = Biểu thức chính quy
rf-rust-syntax = cú pháp Rust
rf-eg-rose = ví dụ Rose
rf-gift-id = Mã quà
rf-min-diamonds = Ít nhất bấy nhiêu kim cương
rf-min-count = Ít nhất bấy nhiêu (quà trong một chuỗi, hoặc lượt thích trong một đợt)
rf-viewers-reach = Số người xem đạt
rf-fires-once = chạy một lần, sẵn sàng lại khi xuống dưới
rf-every = Chỉ mỗi lần thứ n
rf-every-hint = để trống để chạy mọi lần
rf-user = Chỉ từ người xem này
rf-handle = @tên
rf-cooldown = Thời gian chờ sau khi chạy, tính bằng ms
rf-per-user-cooldown = Thời gian chờ cho mỗi người xem, tính bằng ms
rf-priority = Độ ưu tiên
rf-priority-hint = cao hơn chạy trước
rf-stream = Buổi live và giá
rf-pause = Khi kết nối TikTok đang nối lại
rf-pause-yes = Tạm dừng quy tắc này (nên chọn)
rf-pause-no = Vẫn chạy
rf-arm-live = Chỉ khi buổi live đang phát (dừng khi kết thúc)
rf-arm-hours = Chỉ trong khung giờ này
rf-arm-hours-hint = HH:MM-HH:MM, ví dụ 18:00-23:30; để trống: mọi lúc
rf-arm-tz = Múi giờ của khung giờ
rf-arm-tz-hint = ví dụ Asia/Ho_Chi_Minh; để trống: UTC
rf-price-hint = Giá tăng dần: sau mỗi lần chạy, quà phải có giá trị cao hơn (theo bước), rồi giá giảm dần về lại trong thời gian giảm.
rf-price-step = Tăng sau mỗi lần chạy (%)
rf-price-decay = Giảm về lại trong (giây)
event-super-fan = Siêu fan
event-super-fan-box = Hộp quà siêu fan
event-stream-status = Trạng thái phiên live

## Commands page
page-commands = Lệnh
cmd-at-most-once = Mỗi lệnh chạy nhiều nhất một lần: ở đây không có nút "chạy lại", vì một xung động cơ lặp lại có thể gây hại. Để điều khiển phần cứng lần nữa, hãy gửi một sự kiện thử từ phòng điều khiển hoặc để một quy tắc chạy.
f-filter-history = Lọc lịch sử
f-show = Xem

## Command history
cmd-history = Lịch sử
f-filtered = (đã lọc)
cmd-none-match = Không có lệnh nào khớp các bộ lọc này.
cmd-none = Chưa có lệnh nào. Chúng xuất hiện ở đây khi quy tắc chạy hoặc khi gửi sự kiện thử.
cmd-table = Bảng lịch sử lệnh
f-when = Khi nào
cmd-outcome = Kết quả
f-rule = Quy tắc
cmd-event-to-issued = Sự kiện → phát lệnh
cmd-issued-to-ack = Phát lệnh → xác nhận
cmd-pages = Trang
f-newest = Mới nhất
cmd-live-hint = Mới nhất trước; lệnh mới tự xuất hiện ở đây.
f-older = Cũ hơn

## Audit page
page-audit = Nhật ký kiểm tra
audit-intro = Ai đã làm gì, và khi nào: mọi thay đổi của không gian làm việc này, mọi lần bật và nhả công tắc dừng khẩn cấp, và những gì livectl tự làm.
audit-filter = Lọc nhật ký
audit-csv = Tải CSV
audit-entries = Mục
audit-none-match = Không có mục nào khớp các bộ lọc này.
audit-none = Chưa ghi nhận gì.
audit-table = Bảng nhật ký kiểm tra
f-who = Ai
f-what = Cái gì
audit-on = Đối tượng
audit-details = Chi tiết
f-status = Trạng thái
cmd-over-the-last = Trong { $count } lệnh gần nhất
cmd-issued-to-ack-long = phát lệnh → xác nhận
cmd-event = sự kiện

## Từ ngữ của lịch sử
outcome-sent = đã gửi, đang chờ thiết bị
outcome-done = xong
outcome-rejected = bị từ chối
outcome-failed = thất bại
outcome-expired = hết hạn
outcome-busy = chưa gửi: thiết bị đang bận
outcome-undeliverable = chưa gửi
outcome-blocked = bị chặn: công tắc dừng khẩn cấp đang bật
outcome-rate-limited = chưa gửi: vượt giới hạn tần suất
outcome-rejected-by = bị thiết bị hoặc agent của nó từ chối
cmd-by-hand = thủ công
cmd-no-samples = chưa có mẫu
f-every-device = mọi thiết bị
f-every-status = mọi trạng thái
f-every-rule = mọi quy tắc
f-everything = mọi thứ
f-anyone = bất kỳ ai
status-sent = đã gửi
status-done = xong
status-rejected = bị từ chối
status-failed = thất bại
status-expired = hết hạn
status-busy = bận
status-undeliverable = chưa gửi
status-blocked = bị chặn
status-rate-limited = vượt giới hạn tần suất
period-hour = giờ qua
period-day = 24 giờ qua
period-week = 7 ngày qua
period-all = mọi lúc
kind-safety = an toàn: bật hoặc nhả công tắc dừng khẩn cấp
kind-commands = lệnh
kind-devices = thiết bị
kind-rules = quy tắc
kind-livestreams = phiên live
kind-members = thành viên
kind-api-keys = khóa API
kind-workspace = không gian làm việc
kind-test-events = sự kiện thử
who-system = livectl (tự động)
who-api-key-named = khóa API “{ $name }”
who-api-key = khóa API { $id }
who-former-member = { $id } (không còn là thành viên)
who-any-api-key = bất kỳ khóa API nào
text-the-device-is-offline = thiết bị đang ngoại tuyến
text-not-in-the-allow-list = không nằm trong danh sách cho phép

## Trạng thái thiết bị và phiên live
state-never-connected-esp32 = chưa kết nối lần nào: hãy nạp chứng chỉ và token cho ESP32
state-never-connected-agent = chưa kết nối lần nào: hãy chạy `livectl agent` với token của nó
state-online = trực tuyến
state-serial-closed = agent trực tuyến, bo mạch bị rút hoặc không phản hồi
state-serial-closed-detail = agent trực tuyến, bo mạch bị rút hoặc không phản hồi ({ $detail })
state-offline-since = ngoại tuyến từ { $at }
state-offline = ngoại tuyến
state-revoked = token đã bị thu hồi: hãy đổi token để kết nối lại
ls-idle = chưa kết nối
ls-connecting = đang kết nối…
ls-live = đang live
ls-reconnecting = đang kết nối lại…
ls-offline = không live
ls-ended = phiên LIVE đã kết thúc
ls-error = lỗi
tiktok-user-not-found = TikTok không có tài khoản @{ $user }. Hãy kiểm tra chính tả.
tiktok-user-offline = TikTok cho biết @{ $user } hiện không live. Hãy kết nối lại khi phiên LIVE đã bắt đầu.
tiktok-age-restricted = Phiên LIVE này giới hạn độ tuổi: trình kết nối cần một phiên TikTok đã đăng nhập (tiktok.session_id) để đọc nó.
tiktok-blocked = TikTok đã từ chối kết nối. Hãy đợi vài phút, hoặc kết nối từ mạng khác.
tiktok-sign-rate-limited = Máy chủ ký đang giới hạn yêu cầu của máy chủ này; livectl tự thử lại.
tiktok-sign-unauthorized = Máy chủ ký đã từ chối khóa API của máy chủ này (tiktok.sign_api_key): hãy nhờ nhà cung cấp kiểm tra.
tiktok-network = Không thể kết nối tới TikTok; livectl tự thử lại.

## Thông báo đăng nhập
login-expired = Phiên của bạn đã kết thúc. Hãy đăng nhập lại để tiếp tục.
login-signed-out = Bạn đã đăng xuất.
login-reused = Vì an toàn của bạn, mọi phiên của lần đăng nhập đó đã bị kết thúc (một token gia hạn bị dùng hai lần). Hãy đăng nhập lại.
login-too-many = Quá nhiều lần thử. Hãy thử lại sau { $seconds } giây.
login-wrong = Sai email hoặc mật khẩu.
register-closed = Máy chủ này đã đóng đăng ký: hãy nhờ quản trị viên cấp tài khoản.

## Từ chối
deny = { $roles } không thể { $what }
roles-owner = chủ sở hữu
roles-admin = quản trị viên
roles-operator = người vận hành
roles-viewer = người xem
deny-view = xem không gian làm việc này
deny-toggle-rule = bật hoặc tắt quy tắc
deny-engage = bật công tắc dừng khẩn cấp
deny-release = nhả công tắc dừng khẩn cấp
deny-manage-rules = tạo, sửa, xóa hoặc thử quy tắc
deny-manage-livestreams = quản lý phiên live
deny-inject-events = gửi sự kiện thử
deny-manage-devices = quản lý thiết bị và token của agent
deny-manage-members = quản lý thành viên
deny-manage-api-keys = quản lý khóa API
deny-manage-settings = đổi cài đặt không gian làm việc
deny-delete-workspace = xóa không gian làm việc
deny-transfer = chuyển quyền sở hữu
err-403 = Không được phép
err-404 = Không tìm thấy
err-409 = Xung đột
err-422 = Hãy kiểm tra biểu mẫu
err-423 = Đã dừng bởi công tắc khẩn cấp
err-429 = Chậm lại một chút
err-500 = Đã có lỗi xảy ra
err-other = Không thực hiện được
err-404-text = Không có gì ở đây, hoặc nó thuộc về một không gian làm việc mà bạn không phải thành viên.
err-500-text = Máy chủ không trả lời được. Hãy gửi kèm mã yêu cầu bên dưới khi báo lỗi.
release-only-owner = Chỉ chủ sở hữu không gian làm việc mới có thể nhả công tắc dừng khẩn cấp.
release-only-named-owner = Chỉ chủ sở hữu ({ $owner }) mới có thể nhả công tắc dừng khẩn cấp.

## Gói và giới hạn
ls-allowance = Gói của bạn ({ $plan }) cho phép { $limit } phiên live: đã thêm { $used }.
ls-no-limit = Gói của bạn ({ $plan }) không giới hạn số phiên live.
plan-limit = Gói của bạn ({ $plan }) cho phép { $limit } { $what }. Hãy xóa bớt một cái, hoặc nhờ nhà cung cấp nâng gói.
limit-livestreams = phiên live
limit-devices = thiết bị
limit-rules = quy tắc
ls-will-follow = Sẽ theo dõi @{ $handle }
ls-not-an-account = Không phải tài khoản TikTok: { $reason }
test-sent = Đã gửi sự kiện thử { $id } qua các quy tắc: các lệnh của nó xuất hiện trong luồng.
test-no-rules = Chưa có quy tắc nào: sẽ không có gì xảy ra.
test-none-fire = Không quy tắc nào chạy. Không có gì chuyển động (chạy thử).
test-n-fire = { $count } quy tắc sẽ chạy. Không có gì chuyển động (chạy thử).
name-reason = Tên { $reason }.
usage-commands-minute = Lệnh trong phút vừa qua
usage-of = { $used } trên { $limit }
usage-no-limit = { $used } (gói này không giới hạn)

## Do script của trang viết
js-refused = Máy chủ đã từ chối ({"{"}status{"}"}).
js-unreachable = Không kết nối được máy chủ. Không có gì thay đổi.
js-session-ended = Phiên của bạn đã kết thúc. Hãy đăng nhập lại để tiếp tục điều khiển.
js-copied = Đã sao chép.
js-selected = Đã chọn: nhấn Ctrl+C để sao chép.
js-at-most = (tối đa {"{"}max{"}"} ms cho thiết bị này)
js-stopping = Đang dừng…
js-screen-on = Màn hình luôn sáng
js-keep-screen-on = Giữ màn hình luôn sáng
js-wake-refused = Trình duyệt này không cho giữ màn hình sáng.
js-stopped = ĐÃ DỪNG
js-stop-all = DỪNG TOÀN BỘ PHẦN CỨNG
js-disabled-stopped = Bị tắt khi công tắc dừng khẩn cấp đang bật: hãy nhả nó trước.
js-send-test-why = Sự kiện thử được gửi sẽ đi qua các quy tắc và có thể điều khiển phần cứng.
js-waiting-engine = Đang chờ bộ máy quy tắc…
js-no-rules = Không gian làm việc này chưa có quy tắc nào.
js-sent-gift = đã tặng {"{"}gift{"}"} × {"{"}count{"}"} ({"{"}diamonds{"}"} 💎)
js-a-gift = một món quà
js-liked = đã thích × {"{"}count{"}"}
js-viewers = {"{"}count{"}"} người xem
js-stream = phiên live {"{"}status{"}"}
js-event-follow = đã theo dõi
js-event-share = đã chia sẻ phiên LIVE
js-event-join = đã vào phòng
js-event-super-fan = đã trở thành siêu fan
js-event-super-fan-box = đã mở hộp quà siêu fan
js-test = thử
js-why = Vì sao?
js-why-label = Vì sao {"{"}what{"}"} chạy hoặc không chạy?
js-status-sent = đã gửi
js-status-done = xong
js-status-rejected = bị từ chối
js-status-failed = thất bại
js-status-expired = hết hạn
js-status-busy = bận
js-status-undeliverable = không gửi được
js-status-blocked = bị chặn
js-status-rate-limited = vượt giới hạn tần suất
js-held = {"{"}count{"}"} mục mới (đang tạm dừng)
js-resume = Tiếp tục
js-pause = Tạm dừng
js-command-problem = Lệnh {"{"}status{"}"}: {"{"}detail{"}"}
js-engaged-announce = Đã bật công tắc dừng khẩn cấp: mọi phần cứng đã dừng.
js-released-announce = Đã nhả công tắc dừng khẩn cấp.
js-engaged = Đã bật công tắc dừng khẩn cấp
js-released = Đã nhả công tắc dừng khẩn cấp
js-lagged = Đã bỏ qua {"{"}count{"}"} cập nhật (trang này bị chậm); đã đọc lại trạng thái.
js-live = trực tiếp
js-access-ended = hết quyền truy cập
js-access-ended-toast = Quyền truy cập của bạn vào không gian làm việc này đã kết thúc ({"{"}reason{"}"}). Hãy tải lại trang.
js-state-as-of = trạng thái lúc {"{"}time{"}"}
js-reconnecting = đang kết nối lại
js-last-confirmed = Xác nhận lần cuối lúc {"{"}time{"}"}; đang kết nối lại…
cmd-event-to-issued-long = sự kiện → phát lệnh

## Trang thiết bị
page-devices = Thiết bị
page-device-token = Token thiết bị
page-device = Thiết bị
tok-new-certificate-for = Chứng chỉ mới cho { $name }
tok-new-token-for = Token mới cho { $name }
tok-registered = Đã đăng ký { $name }

## Vì sao một lệnh được phát
page-why = Vì sao từng quy tắc chạy hoặc không chạy
why-intro = Theo quyết định của bộ máy quy tắc lúc { $at }, cho sự kiện
why-not-kept = Không có quyết định nào được lưu cho sự kiện này (chỉ những sự kiện đã phát lệnh mới được lưu).
why-deleted-rule = một quy tắc đã xóa ({ $id })
why-back = Quay lại danh sách lệnh
why-link = vì sao?

## Các câu cố định của máy chủ hiển thị trên trang
text-must-be-1-to-100-characters = phải có từ 1 đến 100 ký tự
text-must-not-contain-control-characters = không được chứa ký tự điều khiển
text-must-not-contain-invisible-or-text-direction-characters = không được chứa ký tự vô hình hoặc ký tự đổi chiều văn bản
text-must-be-an-email-address = phải là một địa chỉ email
text-use-ctrl-alt-or-meta-with-a-letter-or-digit-ctrl-shift-s-or = hãy dùng Ctrl, Alt hoặc Meta với một chữ cái hoặc chữ số (Ctrl+Shift+S), hoặc một phím chức năng (F9)
text-is-not-your-current-password = không phải mật khẩu hiện tại của bạn
text-must-not-contain-a-nul-character = không được chứa ký tự NUL
text-must-be-at-least-8-bytes = phải dài ít nhất 8 byte
text-must-be-at-most-72-bytes-bcrypt-ignores-anything-longer = phải dài tối đa 72 byte (bcrypt bỏ qua phần dài hơn)
text-must-not-be-only-spaces = không được chỉ có khoảng trắng
text-you-already-own-this-workspace = bạn đã sở hữu không gian làm việc này
text-list-1-to-64-commands = hãy liệt kê từ 1 đến 64 lệnh
text-a-link-must-look-like-https-www-tiktok-com-user-live = liên kết phải có dạng https://www.tiktok.com/@user/live
text-a-tiktok-handle-is-2-to-24-letters-digits-or-as-user-user-or = tên TikTok gồm 2 đến 24 chữ cái, chữ số, '_' hoặc '.' (dạng @user, user hoặc liên kết LIVE)
text-no-account-with-this-email = không có tài khoản nào với email này
text-already-a-member-of-this-workspace = đã là thành viên của không gian làm việc này
text-a-workspace-needs-an-owner-transfer-ownership-first = một không gian làm việc cần có chủ sở hữu: hãy chuyển quyền sở hữu trước
text-a-workspace-needs-an-owner-transfer-ownership-or-delete-the = một không gian làm việc cần có chủ sở hữu: hãy chuyển quyền sở hữu hoặc xóa không gian làm việc
text-only-an-owner-can-grant-or-remove-the-owner-role = chỉ chủ sở hữu mới có thể trao hoặc gỡ vai trò chủ sở hữu
text-this-email-is-already-invited = email này đã được mời
text-an-account-with-this-email-already-exists = đã có tài khoản với email này
text-name-at-least-one-scope = hãy chọn ít nhất một phạm vi
text-a-workspace-with-this-name-already-exists = đã có không gian làm việc với tên này
text-the-kill-switch-is-engaged = công tắc dừng khẩn cấp đang bật
text-this-workspace-is-suspended = không gian làm việc này đang bị tạm ngưng
text-platform-administrators-only = chỉ dành cho quản trị viên nền tảng
text-registration-is-by-invitation-only-and-this-email-is-not-inv = chỉ đăng ký bằng lời mời và email này chưa được mời
text-add-a-livestream-first-the-simulator-will-do = hãy thêm một phiên live trước (trình mô phỏng cũng được)
text-must-be-one-of-en-vi = phải là một trong: en, vi
text-must-be-owner-admin-operator-or-viewer = phải là owner, admin, operator hoặc viewer
text-must-be-a-whole-number = phải là một số nguyên
text-the-device-was-busy = thiết bị đang bận
text-the-device-is-not-connected = thiết bị chưa kết nối
text-expired-before-delivery = hết hạn trước khi gửi tới

## Vì sao một quy tắc chạy hoặc không chạy
reason-disabled = quy tắc đang tắt
reason-other-event = sự kiện là { $event }, quy tắc cần { $wants }
reason-other-livestream = quy tắc dành cho phiên live khác
reason-user = người dùng là "{ $user }", quy tắc cần "{ $wants }"
reason-gift-name = quà là "{ $gift }", không phải "{ $wants }"
reason-gift-id = mã quà là { $gift }, không phải { $wants }
reason-min-diamonds = số kim cương tối thiểu: { $diamonds } < { $min }
reason-min-repeat = số lượng tối thiểu: chuỗi quà { $count } < { $min }
reason-min-likes = số lượng tối thiểu: { $count } lượt thích < { $min }
reason-equals = đúng bằng: bình luận không phải "{ $wants }"
reason-contains = chứa: bình luận không chứa "{ $wants }"
reason-starts-with = bắt đầu bằng: bình luận không bắt đầu bằng "{ $wants }"
reason-any-of = bất kỳ từ nào: không từ nào có trong bình luận
reason-regex = biểu thức chính quy: bình luận không khớp
reason-viewers-below = số người xem tối thiểu: { $viewers } người xem, dưới { $min }
reason-already-fired = số người xem tối thiểu: đã chạy ở mức { $min }; chạy lại sau khi số người xem xuống dưới { $min }
reason-every = mỗi lần thứ n: { $so_far } trên { $every } { $unit } cho đến giờ
reason-cooldown = thời gian chờ: còn { $ms } ms
reason-viewer-cooldown = thời gian chờ mỗi người xem: người xem này đã kích hoạt, còn { $ms } ms
reason-too-many-viewers = thời gian chờ mỗi người xem: hơn { $max } người xem đang chờ cùng lúc; không chạy
reason-state-unreachable = trạng thái quy tắc dùng chung (Redis) không trả lời: không chạy, để an toàn
reason-feed-trouble = tạm dừng: kết nối TikTok đang nối lại (pause_on_feed_trouble)
reason-not-armed = chưa bật: buổi live đang ở trạng thái { $feed }; quy tắc chỉ chạy khi đang phát
reason-outside-hours = chưa bật: ngoài khung giờ { $hours } ({ $tz })
reason-price = price_scaling: giá hiện là { $price } kim cương (đã tăng sau lần chạy); quà này trị giá { $diamonds }
reason-goal = mục tiêu: đã được { $so_far } trên { $target }
reason-vote = đã tính phiếu cho "{ $word }"; bình chọn đóng sau { $ms } ms
reason-ticket = vé: đã mua một lượt; { $waiting } người đang chờ
reason-not-your-turn = hàng chờ: đang là lượt của { $viewer }
reason-no-turn = hàng chờ: chưa ai có lượt (một vé mua một lượt)
reason-wheel-other = vòng quay: lần quay chọn { $command }
reason-game-no-viewer = trò chơi cần biết người xem, mà TikTok không cho biết
reason-game-shared = đã tính cho trò chơi (trạng thái được các máy chủ dùng chung)
reason-price-shared = price_scaling: được so với giá chung của các máy chủ
reason-game-mismatch = trạng thái trò chơi không khớp với quy tắc này; không chạy
reason-fired = đã chạy: { $command } trong { $ms } ms
reason-blocked = mọi điều kiện đều đúng, nhưng công tắc dừng khẩn cấp đang bật: lệnh đã bị chặn
reason-would-fire = mọi điều kiện đều đúng; nó sẽ chạy
reason-would-be-blocked = mọi điều kiện đều đúng; nó sẽ chạy, nhưng công tắc dừng khẩn cấp đang bật: lệnh sẽ bị chặn

## Giá trị bị từ chối
v-not-allowed-command = "{ $command }" không nằm trong các lệnh thiết bị cho phép ({ $allowed })
v-duration-max = phải từ 0 đến mức tối đa { $max } ms của thiết bị
v-regex-rules = một không gian làm việc có tối đa { $max } quy tắc dùng biểu thức chính quy; hãy dùng contains, any_of hoặc starts_with
v-applies-to = chỉ áp dụng cho sự kiện { $allowed }, không phải { $event }
v-at-most-chars = tối đa { $max } ký tự
v-regex-compile = không biên dịch được: { $error }
v-command-name = "{ $command }": 1 đến 32 chữ cái, chữ số hoặc '_'
v-range = phải từ { $min } đến { $max }
text-must-not-be-negative = không được là số âm
text-give-duration-ms-or-duration-not-both = chỉ đưa duration_ms hoặc duration, không phải cả hai
limit-members = thành viên
limit-workspaces = không gian làm việc

page-pair = Ghép nối agent
pair-intro = <code>livectl agent pair</code> (hoặc trình cài đặt một dòng) hiện một mã trên máy tính đang cắm bo mạch. Nhập mã vào đây, chọn thiết bị rồi chấp thuận: agent tự nhận token của nó, được niêm phong để chỉ nó đọc được.
pair-no-workspace = Bạn không quản lý thiết bị trong không gian làm việc nào: hãy nhờ chủ sở hữu hoặc quản trị viên chấp thuận mã.
pair-choose-workspace = Máy tính này nên tham gia không gian làm việc nào?
pair-asking = Máy tính đang yêu cầu
pair-hostname = Máy tính
pair-platform = Hệ thống
pair-address = Từ địa chỉ
pair-expires = Mã hết hạn lúc
pair-check-code = Chỉ chấp thuận nếu đây là máy tính trước mặt bạn và màn hình của nó hiện đúng mã này.
pair-code = Mã ghép nối
pair-code-hint = (8 chữ cái và chữ số, như agent hiển thị)
pair-which-device = Đây là thiết bị nào?
pair-new-device = Một thiết bị mới
pair-existing-device = Một thiết bị đã có (agent của nó trên máy khác sẽ bị đăng xuất)
pair-no-agent-devices = Chưa có thiết bị USB (agent) nào trong không gian làm việc này.
pair-new-name = Tên của thiết bị mới
pair-existing-label = Thiết bị đã có
pair-existing-hint = (token hiện tại của nó ngừng hoạt động)
pair-approve = Chấp thuận
pair-deny = Từ chối
pair-approved = Đã chấp thuận: agent trên { $hostname } sẽ nhận token của { $device } trong vài giây và kết nối.
pair-denied = Đã từ chối: agent trên { $hostname } được báo, và mã không còn dùng được.
pair-see-device = Xem thiết bị
dev-pair-instead = Đang cài Arduino trên một máy tính? Chạy trình cài đặt hoặc <code>livectl agent pair</code> ở đó rồi chấp thuận mã của nó: không cần sao chép gì.
dev-pair-link = Chấp thuận mã ghép nối
dev-agent-label = Agent
dev-updates-label = Cập nhật
rf-scale-hint = Tùy chọn: một lệnh kéo dài hơn khi quà hoặc loạt thả tim lớn hơn (10 hoa hồng → 10 giây), thay cho thời lượng cố định.
rf-scale-per-unit = Mili giây cho mỗi đơn vị
rf-scale-unit = Đơn vị
rf-scale-repeat = mỗi món quà trong chuỗi
rf-scale-diamonds = mỗi kim cương
rf-scale-likes = mỗi lượt thả tim
rf-scale-max = Dài nhất, tính bằng ms

page-presets = Trò chơi dựng sẵn
presets-intro = Trò chơi có sẵn gồm các quy tắc thông thường: tạo trong vài cú nhấp, rồi sửa các quy tắc như mọi quy tắc khác.
presets-games = Trò chơi trong không gian làm việc này
presets-none = Chưa có trò chơi nào.
presets-rules = { $count } quy tắc
presets-kind-gift_action = quà → hành động
presets-kind-goal = mục tiêu cộng đồng
presets-kind-vote = bình chọn
presets-kind-queue = hàng chờ
presets-kind-wheel = vòng quay
presets-delete = Gỡ bỏ
presets-delete-why = Gỡ trò chơi cùng các quy tắc của nó: chúng ngừng kích hoạt ngay.
presets-why-not = Chỉ chủ sở hữu và quản trị viên mới tạo hoặc gỡ trò chơi.
presets-no-device = Trò chơi điều khiển một thiết bị: hãy thêm thiết bị trước.
presets-gift-title = Quà → hành động
presets-gift-intro = Mỗi món quà chạy lệnh của nó trên thiết bị, trong thời lượng của nó (ms).
presets-device = Thiết bị
presets-gift = Tên quà
presets-command = Lệnh
presets-make = Tạo trò chơi
presets-goal-title = Mục tiêu cộng đồng
presets-goal-intro = Lượt thích, kim cương hoặc bình luận của phòng làm đầy mục tiêu; khi đạt, thiết bị chạy lệnh và mục tiêu bắt đầu lại.
presets-goal-unit = Thứ làm đầy mục tiêu
presets-likes = lượt thích
presets-diamonds = kim cương
presets-comments = bình luận
presets-target = Mục tiêu
rules-presets-link = Bắt đầu từ một trò chơi dựng sẵn
