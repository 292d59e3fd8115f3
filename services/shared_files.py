"""Files shared by link (models/files.py): put one, get it back by its token until it expires."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.files import SharedFile


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Shared:
    name: str
    media_type: str
    content: bytes


async def put(
    session: AsyncSession,
    content: bytes,
    name: str,
    media_type: str,
    *,
    now: datetime,
    keep: timedelta,
) -> str:
    """Store the file; the path to serve it at (``/files/<token>/<name>``). Expired files go."""
    await session.execute(delete(SharedFile).where(SharedFile.expires_at <= now))
    token = secrets.token_urlsafe(24)
    safe_name = name.replace("/", "_")[:120] or "file"
    session.add(
        SharedFile(
            token_hash=_hash(token),
            name=safe_name,
            media_type=media_type,
            content=content,
            created_at=now,
            expires_at=now + keep,
        )
    )
    await session.commit()
    return f"/files/{token}/{quote(safe_name)}"


async def get(session: AsyncSession, token: str, *, now: datetime) -> Shared | None:
    row = await session.scalar(
        select(SharedFile).where(SharedFile.token_hash == _hash(token), SharedFile.expires_at > now)
    )
    return None if row is None else Shared(row.name, row.media_type, row.content)
