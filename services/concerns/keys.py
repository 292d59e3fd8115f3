"""Key rotation (the admin CLI calls these): re-encrypting every text under the current text key,
bound to its row and owner, and resealing the push targets to a new key pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Concern, ConcernReply
from services.anonymity import (
    ConcernKeys,
    UndecryptableText,
    open_chat_id,
    reencrypt_text,
    seal_chat_id,
)
from services.concerns._shared import _case_owner, _context, _reply_context


@dataclass(frozen=True)
class TextRotation:
    reencrypted: int  # rows now under CONCERN_TEXT_KEY, in the bound format
    # Rows no configured key opens where they are ("concern:<id>", "reply:<id>"): moved or
    # altered in the database, or their key was removed too early. Left as they are.
    unreadable: tuple[str, ...]


async def rotate_text_keys(
    session: AsyncSession, keys: ConcernKeys, *, batch: int = 200
) -> TextRotation:
    """Re-encrypt with CONCERN_TEXT_KEY, bound to row and owner, every concern and reply text
    that is under an old key or in the format from before the binding. Commits after each
    batch, so it can be interrupted and re-run. When it reports nothing unreadable, the old
    keys can be removed from CONCERN_TEXT_KEYS_OLD."""
    changed = 0
    unreadable: list[str] = []
    # (model, owner column, text column, row context, owner context)
    tables: tuple[tuple[Any, Any, Any, Any, Any], ...] = (
        (Concern, Concern.enterprise_id, Concern.text_encrypted, _context, _case_owner),
        (
            ConcernReply,
            ConcernReply.concern_id,
            ConcernReply.body_encrypted,
            _reply_context,
            _context,
        ),
    )
    for model, owner_column, column, context_of, owner_of in tables:
        last = ""
        while True:
            rows = (
                await session.execute(
                    select(model.id, owner_column, column)
                    .where(model.id > last)
                    .order_by(model.id)
                    .limit(batch)
                )
            ).all()
            if not rows:
                break
            for row_id, owner_id, blob in rows:
                context = context_of(row_id)
                try:
                    fresh = reencrypt_text(keys, blob, context, owner=owner_of(owner_id))
                except UndecryptableText:
                    unreadable.append(context)
                    continue
                if fresh is not None:
                    await session.execute(
                        update(model).where(model.id == row_id).values({column.key: fresh})
                    )
                    changed += 1
            last = rows[-1][0]
            await session.commit()
    return TextRotation(reencrypted=changed, unreadable=tuple(unreadable))


async def reseal_push_targets(
    session: AsyncSession, keys: ConcernKeys, old_private_key: X25519PrivateKey
) -> int:
    """After a new CONCERN_PUSH_* pair: open each seal with the old private key and seal it to
    the new public key; the number of rows changed. Seals already under the new pair are kept.
    Commits."""
    old = ConcernKeys(
        text_key=keys.text_key,
        old_text_keys=(),
        receipt_pepper=keys.receipt_pepper,
        rate_secret=keys.rate_secret,
        push_public=old_private_key.public_key(),
        push_private=old_private_key,
    )
    changed = 0
    rows = (
        await session.execute(
            select(Concern.id, Concern.push_sealed).where(Concern.push_sealed.is_not(None))
        )
    ).all()
    for concern_id, sealed in rows:
        try:
            open_chat_id(keys, sealed, _context(concern_id))
            continue
        except UndecryptableText:
            pass
        chat_id = open_chat_id(old, sealed, _context(concern_id))
        await session.execute(
            update(Concern)
            .where(Concern.id == concern_id)
            .values(push_sealed=seal_chat_id(keys, chat_id, _context(concern_id)))
        )
        changed += 1
    await session.commit()
    return changed
