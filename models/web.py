"""Ways into the web pages (web/): one-time links sent in the chat, and the short sessions
they (or Telegram's Mini App data) open.

Only a SHA-256 of each random token is stored: a database dump alone opens no page. A row names
the person and nothing about how or from where they came; it is deleted a day after it expired.
Workers never get one (the pages are for officers), so nothing here can point to a worker.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class WebLink(Base):
    """A link that opens one page once, for one person, for a few minutes (WEB_LINK_MINUTES)."""

    __tablename__ = "web_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    # The page it opens: a path on this server, fixed when the link is made (never taken from
    # the request, so a link cannot be turned into a redirect elsewhere).
    target: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser: the cookie holds the token, this row its hash and the person."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    via: Mapped[str] = mapped_column(String(16))  # "link" or "telegram": how it was opened
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Moved forward when the session is used (at most once a minute): idle sessions end.
    expires_at: Mapped[datetime] = mapped_column(index=True)
