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
members-change-role = Đổi
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
