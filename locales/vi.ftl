## Bảng điều khiển livectl bằng tiếng Việt.

n-members = { $count } thành viên
