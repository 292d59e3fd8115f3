"""The steering committee's digest of its subtree for a month, a quarter or a year.

What it holds, and why it is built the way it is (docs/digests.md has the user's view):

- **Set-based.** A national deployment has tens of thousands of units; the digest is a handful of
  GROUP BY queries over reports and report values joined to units and to the org tree filtered by
  the scope's materialised path prefix, never one query per unit or per area. Areas are found
  from each unit's path in Python (one string split per unit), which is portable across SQLite
  and PostgreSQL where the SQL string functions are not.
- **Who is expected to report**: every active unit of the subtree whose kind has an indicator set,
  for every month of the period that has opened by ``today`` (a month not yet open cannot be
  missing) and is not before the unit's first reporting month (a unit added today does not lower
  the rate of months past). Reporting rate = reports received / reports expected; on-time rate =
  reports received on time / reports expected, so that a missing report also counts against
  punctuality.
- **Figures** are what units reported, whoever they are now: reports of units since deactivated
  still count in totals. Indicators are keyed by (unit kind, code), because the same code means
  different things in different sets (``new_members`` of a youth branch vs a women's branch), and
  labelled from the current configuration; a code retired from the configuration is left out.
- **Locked months are not re-added at every request.** Their flow sums, headline stocks and
  share targets are kept per scope (``month_cache``) and used only while the stamps of the
  months they read, and of the tree, are the ones they were computed under.
- **Concerns** are counted per enterprise first, and any count of 1–4 is hidden before anything is
  added up (``SuppressedCount``); no text of a concern is ever read here. A case sent today
  counts only once a notice batch has released it, as officers see it (``_concerns``).

The package re-exports its public names, so callers write ``digests.build_digest(...)`` and
``from services.digests import DigestPeriod`` whichever module holds them:

- ``errors``: the domain errors; ``periods``: ``DigestPeriod``; ``views``: the frozen views of
  a digest and of the spreadsheet, and ``SuppressedCount``;
- ``build``: ``build_digest``, put together from ``flows`` (flow sums over any span),
  ``headline`` (the headline stocks and the union density), ``contacts`` (who to call about a
  missing report), ``progress`` (the year's targets) and ``concern_counts`` (suppressed counts
  of concerns);
- ``missing``: ``missing_units``, the units still missing a report with whom to call (the
  digest's list, and the office's ``/chuabaocao``);
- ``table``: ``unit_table``, the spreadsheet's units × indicators;
- ``trend``: the months before the period, month by month (the dashboard's charts);
- ``month_cache``: the figures of locked months kept between requests, under stamps the
  database's triggers renew at every change (flows, stocks and share targets read through it);
- ``_shared``: internal, the scope, its areas and the units' reporting statuses that the digest
  and the spreadsheet share.
"""

from __future__ import annotations

from services.digests._shared import SHARE_WINDOW_MONTHS
from services.digests.build import build_digest
from services.digests.errors import ScopeNotFound
from services.digests.headline import HEADLINE_STOCKS, PARTY_MEMBERS, UNION_MEMBERS, WORKERS
from services.digests.missing import Missing, missing_units
from services.digests.month_cache import prune_kept
from services.digests.periods import DigestPeriod, PeriodKind
from services.digests.table import unit_table
from services.digests.trend import MAIN_FLOWS
from services.digests.views import (
    AreaRate,
    ConcernLine,
    Contact,
    Digest,
    FlowTotal,
    Headline,
    IndicatorColumn,
    MissingUnit,
    Rate,
    Scope,
    StockTotal,
    TargetProgress,
    Trend,
    TrendSeries,
    UnitRow,
    UnitTable,
)
from services.suppression import SUPPRESS_BELOW, SuppressedCount

__all__ = [
    "HEADLINE_STOCKS",
    "MAIN_FLOWS",
    "PARTY_MEMBERS",
    "SHARE_WINDOW_MONTHS",
    "SUPPRESS_BELOW",
    "UNION_MEMBERS",
    "WORKERS",
    "AreaRate",
    "ConcernLine",
    "Contact",
    "Digest",
    "DigestPeriod",
    "FlowTotal",
    "Headline",
    "IndicatorColumn",
    "Missing",
    "MissingUnit",
    "PeriodKind",
    "Rate",
    "Scope",
    "ScopeNotFound",
    "StockTotal",
    "SuppressedCount",
    "TargetProgress",
    "Trend",
    "TrendSeries",
    "UnitRow",
    "UnitTable",
    "build_digest",
    "missing_units",
    "prune_kept",
    "unit_table",
]
