"""Configuration edited in the office console: each edit is a new row, the newest of a kind in
force. The YAML files in ``config/`` stay the default of a fresh install; a row here takes
precedence over its file from the moment it is saved and after every restart."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class OfficeConfigVersion(Base):
    """One saved edit of a configuration file's content (``kind``: "indicators", "targets").
    Rows are never changed or deleted: the history is the list of them. Reports keep pointing
    at their own ``IndicatorSetVersion``; a new row here only changes what later reports use."""

    __tablename__ = "office_config_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[str] = mapped_column(String(64))  # the content's own "version:" label
    content: Mapped[str] = mapped_column(Text)  # the YAML as saved (validated before)
    created_by: Mapped[str] = mapped_column(String(64))  # "person:<id>" of the administrator
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
