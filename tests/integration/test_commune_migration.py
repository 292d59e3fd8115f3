"""Since 1 July 2025 there is no district level: the node kind "district" becomes "commune"
(xã, phường), on both databases, and an existing district node is kept as a commune."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import IntegrityError

from models import NodeKind
from models.migrate import downgrade, upgrade
from testkit.db import run_sql as _run

BEFORE = "0009"


def test_there_is_no_district_kind_any_more() -> None:
    assert "district" not in {kind.value for kind in NodeKind}
    assert NodeKind.COMMUNE.value == "commune"


def test_a_district_node_becomes_a_commune_and_back(fresh_url: str) -> None:
    upgrade(fresh_url, BEFORE)
    asyncio.run(
        _run(
            fresh_url,
            "INSERT INTO org_nodes (code, kind, name, path, active, created_at, updated_at) "
            "VALUES ('H-LG', 'district', 'Huyện Lạng Giang', '/1/', true, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        )
    )
    upgrade(fresh_url)
    assert asyncio.run(_run(fresh_url, "SELECT kind FROM org_nodes WHERE code = 'H-LG'")) == [
        ("commune",)
    ]
    # The database itself refuses the old kind now.
    with pytest.raises(IntegrityError):
        asyncio.run(
            _run(
                fresh_url,
                "INSERT INTO org_nodes (code, kind, name, path, active, created_at, updated_at) "
                "VALUES ('H-X', 'district', 'Huyện X', '/2/', true, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            )
        )
    downgrade(fresh_url, BEFORE)
    assert asyncio.run(_run(fresh_url, "SELECT kind FROM org_nodes WHERE code = 'H-LG'")) == [
        ("district",)
    ]
