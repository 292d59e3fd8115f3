"""Typed ORM models, the engine/session factory and Alembic migrations."""

from models.audit import AuditEntry
from models.base import Base, utcnow
from models.org import NodeKind, OrgNode, Ownership, ReportingUnit, UnitKind
from models.people import ChannelAccount, CodeAttempt, Invite, Person, Role, RoleAssignment

__all__ = [
    "AuditEntry",
    "Base",
    "ChannelAccount",
    "CodeAttempt",
    "Invite",
    "NodeKind",
    "OrgNode",
    "Ownership",
    "Person",
    "ReportingUnit",
    "Role",
    "RoleAssignment",
    "UnitKind",
    "utcnow",
]
