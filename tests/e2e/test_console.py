"""The newcomer's path: `python -m bot` without a token is a console chat driven by stdin."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from models import ChannelAccount, Invite, OrgNode, ReportingUnit
from services import demo
from testkit.chat import run_console

SCRIPT = """\
/as officer
/start
/as new
/start
DEMQ2345
#sticker
1
/help
/lang
2
/start
/group /start
/as nobody
/as worker
/tamtu
{enterprise}
1
1
Bếp ăn ca tối không đủ suất.
1
/as officer
/hopthu
#notices
/hopthu
/quit
"""


async def test_console_seeds_the_demo_and_runs_the_real_conversations(
    tmp_path: Path, database_url: str, engine: AsyncEngine
) -> None:
    done = run_console(tmp_path, database_url, SCRIPT.format(enterprise="DN-DT-01"))
    out = done.stdout
    assert done.returncode == 0, done.stderr
    # Missing secret generated into .env with a notice.
    assert "APP_SECRET" in done.stderr and (tmp_path / ".env").read_text().startswith("APP_SECRET=")
    # The demo person's menu, from the real handlers.
    assert "Xin chào Nguyễn Thị Lan" in out and "Cán bộ của CĐCS" in out
    # Registration of a new person with a demo invite: buttons are numbered and chosen by number.
    assert "Mã này cấp cho bạn vai trò" in out
    assert "  1. ✅ Xác nhận" in out and "  2. ✖ Hủy" in out
    assert "Vui lòng chọn Xác nhận hoặc Hủy" in out  # the sticker while confirming
    assert "Đăng ký thành công" in out
    # /lang then "2" chose English; the menu then speaks English.
    assert "Language set: English." in out and "Hello Người Mới" in out
    assert "Please message me privately" in out or "nhắn riêng" in out
    assert "Không có người dùng mẫu “nobody”" in out
    # A worker's concern, then the demo officer of that enterprise reads it.
    assert "Thử gửi tâm tư: /as worker, /tamtu, mã doanh nghiệp DN-DT-01" in out
    assert "Mã biên nhận bí mật:" in out
    # Not in the inbox before the notice batch; after it, the officer is told and sees it.
    assert "Không có tâm tư nào đang chờ" in out and "Có tâm tư của người lao động đang chờ" in out
    assert out.count("Bếp ăn ca tối không đủ suất.") == 3  # typed, previewed, in the inbox
    assert out.rstrip().endswith("Tạm biệt.")

    async with engine.connect() as connection:
        enterprises = await connection.scalar(
            select(func.count()).select_from(OrgNode).where(OrgNode.kind == "enterprise")
        )
        units = await connection.scalar(select(func.count()).select_from(ReportingUnit))
        demo_ids = [p.external_id for p in (*demo.DEMO_PEOPLE, *demo.DEMO_STRANGERS)]
        registered = await connection.scalar(
            select(func.count())
            .select_from(ChannelAccount)
            .where(ChannelAccount.channel == "console", ChannelAccount.external_id.not_in(demo_ids))
        )
        used = await connection.scalar(
            select(func.count()).select_from(Invite).where(Invite.used_at.is_not(None))
        )
    assert enterprises is not None and 15 <= enterprises <= 30
    assert units is not None and units > enterprises
    assert registered == 1 and used == 1

    # A second run on the same database does not seed again; "/as new" is a new person again.
    again = run_console(tmp_path, database_url, "/start\n/as new\n/start\n")
    assert again.returncode == 0, again.stderr
    assert "Đã tạo tỉnh mẫu" not in again.stdout and "Xin chào Nguyễn Thị Lan" in again.stdout
    assert "Hello Người Mới" not in again.stdout and "nhập mã mời" in again.stdout
