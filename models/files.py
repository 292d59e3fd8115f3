"""Files the bot shares by link: Zalo sends pictures by URL only and has no documents, so a
digest's chart and Excel are kept here for a few days and served at /files/<token>/<name>."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class SharedFile(Base):
    __tablename__ = "shared_files"

    # SHA-256 of the random token in the link: a database dump alone does not give the links.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
