"""UserData reads and writes the keys user_data always had: a dict written by the old string
keys reads the same through it, and the other way round; without a user nothing is kept."""

from __future__ import annotations

from typing import Any

from handlers.common.user_data import UserData


def test_the_stored_shape_is_the_one_before() -> None:
    data: dict[Any, Any] = {}
    user = UserData(data)
    user.language = "en"
    user.concern_draft().update(enterprise_id=3, enterprise="May Quế Võ")
    user.confirming_link(7, "vi")
    user.replying_to("ab12")
    assert data == {
        "lang": "en",
        "concern": {"enterprise_id": 3, "enterprise": "May Quế Võ"},
        "pending_link": (7, "vi"),
        "replying_to": "ab12",
    }
    assert user.writing_concern()
    user.confirming_invite(5)  # one code at a time: the link is forgotten
    assert data["pending_invite"] == 5 and "pending_link" not in data
    assert user.take_pending_invite() == 5 and user.take_pending_invite() is None
    assert user.take_replying_to() == "ab12" and "replying_to" not in data
    user.forget_concern()
    assert not user.writing_concern() and data == {"lang": "en"}


def test_what_older_code_wrote_reads_back() -> None:
    user = UserData({"lang": "vi", "pending_link": (9, "en"), "concern": {"enterprise_id": 1}})
    assert user.language == "vi"
    assert user.writing_concern()
    assert user.take_pending_link() == (9, "en")


def test_without_a_user_nothing_is_kept() -> None:
    user = UserData(None)
    user.language = "en"
    user.confirming_invite(5)
    user.replying_to("ab12")
    user.forget_pending()
    assert user.language is None and user.take_pending_invite() is None
    assert user.take_replying_to() is None and not user.writing_concern()
