"""A case moved to another enterprise, or an answer moved onto another case, by someone writing
to the database: the officers and the worker read "cannot be read" in Vietnamese, the rest of
the inbox and the status still work."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from infra.channel_updates import ChannelUser
from models import Concern, ConcernReply
from tests.e2e.conftest import Chat
from tests.e2e.test_concerns import lan_id, raise_concern, release, tree, worker
from tests.factories import Tree, make_person

__all__ = ["lan_id", "tree", "worker"]  # fixtures shared with test_concerns


async def test_moved_texts_read_as_unreadable_and_nothing_breaks(
    chat: Chat,
    session: AsyncSession,
    tree: Tree,
    worker: ChannelUser,
    lan: ChannelUser,
    lan_id: int,
    hung: ChannelUser,
) -> None:
    await make_person(session, hung.user_id, "Trần Văn Hùng", units=(tree.other_union.id,))
    await raise_concern(chat, worker, "Tổ trưởng tổ 5 ép làm thêm giờ.")
    await release(chat)
    await chat.send(lan, "/hopthu")
    await chat.press(lan, "Trả lời")
    await chat.send(lan, "Công đoàn sẽ làm việc với tổ trưởng.")
    first = await session.scalar(select(Concern.id))
    other = ChannelUser(4440002, "Người", "Khác")
    receipt = await raise_concern(chat, other, "Phòng thay đồ không có khóa.")
    await release(chat)
    second = await session.scalar(select(Concern.id).where(Concern.id != first))

    # Someone with write access to the database: the answer under the other case, and the
    # first case handed to the other enterprise's union.
    await session.execute(
        update(ConcernReply).where(ConcernReply.concern_id == first).values(concern_id=second)
    )
    await session.execute(
        update(Concern).where(Concern.id == first).values(enterprise_id=tree.small_enterprise.id)
    )
    await session.commit()

    status = await chat.send(other, f"/kiemtra {receipt}")
    assert "Không đọc được câu trả lời này." in status
    assert "Công đoàn sẽ làm việc" not in status

    elsewhere = await chat.send(hung, "/hopthu")
    assert "Không đọc được nội dung này" in elsewhere and "Hãy báo quản trị viên" in elsewhere
    assert "Tổ trưởng tổ 5" not in elsewhere

    own = await chat.send(lan, "/hopthu")
    assert "Phòng thay đồ không có khóa." in own  # the other case still reads
    assert "Không đọc được nội dung này" in own  # its moved answer does not
    assert "Công đoàn sẽ làm việc" not in own
