"""Updates handled but not yet confirmed to Telegram (long polling only).

Telegram forgets an update once a getUpdates call asks for a higher offset, and the offset can
only move past updates that are all done. With chats handled side by side, a quick update is
often done while an earlier, slower one of another chat is still in hand: it cannot be confirmed
yet. Its id is kept here until it can, so a process killed meanwhile skips it when Telegram
delivers it again instead of handling it twice (a typed answer applied to the next question).

Only Telegram's running update number and the channel: no chat, no user, no time.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class HandledUpdate(Base):
    __tablename__ = "handled_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
