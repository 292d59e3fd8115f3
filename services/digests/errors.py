"""The digest's domain errors (English msgids; Vietnamese in infra/locale/vi/)."""

from __future__ import annotations

from services.errors import NotFound


class ScopeNotFound(NotFound):
    message = "This part of the organisation does not exist (any more)."
