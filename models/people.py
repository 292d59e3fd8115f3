"""People, their channel accounts, roles, invite codes and the code-attempt ledger."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.org import _enum


class Role(enum.StrEnum):
    OFFICER = "officer"  # of one reporting unit
    COMMITTEE = "committee"  # over an org subtree
    ADMIN = "admin"  # the standing office


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(8), default="vi")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    # Where reminders and digests go when the person has accounts on several channels (/kenh).
    # None: the channel of their first account (services/access.py pick_account).
    preferred_channel: Mapped[str | None] = mapped_column(String(16))

    accounts: Mapped[list[ChannelAccount]] = relationship(back_populates="person", lazy="raise")
    roles: Mapped[list[RoleAssignment]] = relationship(back_populates="person", lazy="raise")


class ChannelAccount(Base):
    """One person's identity on one channel. Ids stay strings: Zalo's are not numbers."""

    __tablename__ = "channel_accounts"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str | None] = mapped_column(String(64))
    # False once the channel said the user blocked the bot; reminders then go to an admin instead.
    reachable: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(back_populates="accounts", lazy="raise")


class RoleAssignment(Base):
    __tablename__ = "role_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    reporting_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("reporting_units.id"), index=True
    )
    org_node_id: Mapped[int | None] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("invites.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship(back_populates="roles", lazy="raise")


class Invite(Base):
    """A single-use invite. Only a keyed hash of the code is kept: a leaked table grants nothing."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    reporting_unit_id: Mapped[int | None] = mapped_column(ForeignKey("reporting_units.id"))
    org_node_id: Mapped[int | None] = mapped_column(ForeignKey("org_nodes.id"))
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))  # "cli:<os user>" or "person:<id>"
    used_at: Mapped[datetime | None]
    used_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    revoked_at: Mapped[datetime | None]


class LinkCode(Base):
    """A one-time code that attaches another channel's account to an existing person (/lienket).

    Like an invite, only a keyed hash is kept; it is bound to the person and to the channel it
    was asked for on (it must be used on another one), and lives minutes, not days.
    """

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    # The account that asked for it: told on its own channel when the link is made.
    account_id: Mapped[int] = mapped_column(ForeignKey("channel_accounts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
    used_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_accounts.id", ondelete="SET NULL")
    )


class CodeAttempt(Base):
    """One wrong invite or link code typed on a day, for the daily lock-out.

    The subject is a keyed hash of channel and user id under a key of the Vietnam date, hashed
    again with the attempt's number (services/daily_limits.py): the ledger names nobody, and
    two wrong codes of one person are rows nothing links (possibly a worker who wandered into
    /start). The day only, never the time: it would say when someone was at their phone.
    """

    __tablename__ = "code_attempts"
    # No rowid on SQLite: rows are stored in the order of their random hashes, not of arrival.
    __table_args__ = ({"sqlite_with_rowid": False},)

    subject_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
