"""Registration through the real Application: deep link, typed code, every bad input."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.channel_updates import ChannelUser
from models import ChannelAccount, CodeAttempt, Invite, Person, Role, RoleAssignment, utcnow
from models.db import UnitOfWork
from services import access
from services.invites import create_invite, display_code
from testkit.chat import Chat
from testkit.env import TEST_SECRET
from testkit.org import Tree, make_tree

SECRET = TEST_SECRET.encode()


async def officer_invite(session: AsyncSession, tree: Tree, unit_code: str | None = None) -> str:
    created = await create_invite(
        session,
        SECRET,
        role=Role.OFFICER,
        actor="test",
        valid_days=7,
        unit_code=unit_code or tree.union.code,
    )
    return created.code


async def roles_of(session: AsyncSession, user: ChannelUser) -> list[RoleAssignment]:
    return list(
        (
            await session.scalars(
                select(RoleAssignment)
                .join(ChannelAccount, ChannelAccount.person_id == RoleAssignment.person_id)
                .where(
                    ChannelAccount.external_id == str(user.user_id),
                    RoleAssignment.revoked_at.is_(None),
                )
            )
        ).all()
    )


async def test_deep_link_registers_an_officer(
    chat: Chat, session: AsyncSession, lan: ChannelUser
) -> None:
    tree = await make_tree(session)
    code = await officer_invite(session, tree)

    offer = await chat.send(lan, f"/start {code}")
    assert "Mã này cấp cho bạn vai trò" in offer
    assert "CĐCS Công ty May Hà Phong" in offer
    assert [b["text"] for b in chat.last_with_buttons(lan).buttons] == ["✅ Xác nhận", "✖ Hủy"]

    done = await chat.press(lan, "Xác nhận")
    assert "Đăng ký thành công" in done
    assert "Cán bộ của CĐCS Công ty May Hà Phong" in done

    session.expire_all()
    account = await session.scalar(
        select(ChannelAccount).where(ChannelAccount.external_id == "5550001")
    )
    assert account is not None and account.channel == "telegram" and account.chat_id == "5550001"
    person = await session.get(Person, account.person_id)
    assert person is not None and person.display_name == "Lan Nguyễn"
    assert [r.reporting_unit_id for r in await roles_of(session, lan)] == [tree.union.id]
    invite = await session.scalar(select(Invite))
    assert invite is not None and invite.used_by_person_id == person.id

    # A registered user's /start shows the menu instead of asking for a code.
    menu = await chat.send(lan, "/start")
    assert "Xin chào Lan Nguyễn" in menu and "/help" in menu


async def test_start_then_typed_code_in_any_case_and_spacing(
    chat: Chat, session: AsyncSession, lan: ChannelUser
) -> None:
    tree = await make_tree(session)
    code = await officer_invite(session, tree)
    assert "nhập mã mời" in await chat.send(lan, "/start")
    typed = f" {display_code(code).lower()} "
    assert "Mã này cấp cho bạn vai trò" in await chat.send(lan, typed)
    assert "Đăng ký thành công" in await chat.press(lan, "Xác nhận")


async def test_wrong_expired_and_used_codes_each_get_their_answer(
    chat: Chat, session: AsyncSession, lan: ChannelUser, hung: ChannelUser
) -> None:
    tree = await make_tree(session)
    await chat.send(lan, "/start")
    assert "Mã này không đúng" in await chat.send(lan, "ABCD-EFGH")

    expired_code = await officer_invite(session, tree)
    invite = await session.scalar(select(Invite))
    assert invite is not None
    invite.expires_at = utcnow() - timedelta(minutes=1)
    await session.commit()
    assert "Mã này đã hết hạn" in await chat.send(lan, expired_code)

    used_code = await officer_invite(session, tree, tree.cell.code)
    await chat.send(hung, f"/start {used_code}")
    await chat.press(hung, "Xác nhận")
    assert "Mã này đã được sử dụng" in await chat.send(lan, used_code)
    assert await roles_of(session, lan) == []


async def test_five_wrong_codes_lock_the_user_out(
    chat: Chat, session: AsyncSession, lan: ChannelUser, hung: ChannelUser
) -> None:
    tree = await make_tree(session)
    good = await officer_invite(session, tree)
    await chat.send(lan, "/start")
    for attempt in range(4):
        assert "Mã này không đúng" in await chat.send(lan, f"WXYZ-234{attempt + 2}")
    fifth = await chat.send(lan, "WXYZ-2399")
    assert "nhập sai mã quá nhiều lần" in fifth
    # Even the right code is refused while locked, and is not used up.
    assert "nhập sai mã quá nhiều lần" in await chat.send(lan, good)
    invite = await session.scalar(select(Invite))
    assert invite is not None and invite.used_at is None
    # Another user is not affected by Lan's lock-out.
    await chat.send(hung, "/start")
    assert "Mã này cấp cho bạn vai trò" in await chat.send(hung, good)
    # The ledger names nobody.
    subjects = (await session.scalars(select(CodeAttempt.subject_hash))).all()
    assert len(subjects) == 5
    assert all(str(lan.user_id) not in s for s in subjects)


async def test_a_code_in_a_group_reveals_nothing_and_is_not_used(
    chat: Chat, session: AsyncSession, lan: ChannelUser
) -> None:
    tree = await make_tree(session)
    code = await officer_invite(session, tree)
    for text in (f"/start {code}", code, "/help"):
        answer = await chat.send(lan, text, chat_id=-1001234, chat_type="supergroup")
        assert "nhắn riêng" in answer
        assert "Hà Phong" not in answer and "Cán bộ" not in answer
    invite = await session.scalar(select(Invite))
    assert invite is not None and invite.used_at is None
    assert await session.scalar(select(func.count()).select_from(CodeAttempt)) == 0
    # Nothing was sent to the user's private chat either.
    assert chat.api.sent(lan.user_id) == []


async def test_non_text_and_very_long_text_where_a_code_is_expected(
    chat: Chat, session: AsyncSession, lan: ChannelUser
) -> None:
    tree = await make_tree(session)
    code = await officer_invite(session, tree)
    await chat.send(lan, "/start")
    for make in (
        chat.updates.sticker,
        chat.updates.photo,
        chat.updates.voice,
        chat.updates.location,
    ):
        calls = await chat.feed(make(lan))
        assert "Vui lòng gõ mã mời bằng chữ" in calls[-1].text
    for _ in range(6):  # more than the lock-out allows: long text is not counted as a guess
        assert "Đây không phải là mã mời" in await chat.send(lan, "xin chào " * 200)
    assert await session.scalar(select(func.count()).select_from(CodeAttempt)) == 0
    assert "Mã này cấp cho bạn vai trò" in await chat.send(lan, code)


async def test_a_revoked_person_is_told_and_a_new_invite_reinstates(
    chat: Chat, session: AsyncSession, uow: UnitOfWork, lan: ChannelUser
) -> None:
    tree = await make_tree(session)
    await chat.send(lan, f"/start {await officer_invite(session, tree)}")
    await chat.press(lan, "Xác nhận")
    person_id = await session.scalar(select(Person.id))
    assert person_id is not None
    async with uow() as other:
        await access.revoke_person(other, person_id, actor="test")

    answer = await chat.send(lan, "/start")
    assert "Quyền truy cập của bạn đã bị thu hồi" in answer
    assert "Cán bộ của" not in answer
    assert "Cán bộ của" not in await chat.send(lan, "/help")
    session.expire_all()
    assert await roles_of(session, lan) == []

    await chat.send(lan, f"/start {await officer_invite(session, tree, tree.cell.code)}")
    back = await chat.press(lan, "Xác nhận")
    assert "Đăng ký thành công" in back and "Chi bộ Công ty May Hà Phong" in back
    assert "CĐCS Công ty May Hà Phong" not in back  # the old role stays revoked
    assert await session.scalar(select(func.count()).select_from(Person)) == 1


async def test_double_tap_on_confirm_grants_once(
    chat: Chat, session: AsyncSession, lan: ChannelUser
) -> None:
    tree = await make_tree(session)
    await chat.send(lan, f"/start {await officer_invite(session, tree)}")
    keyboard = chat.last_with_buttons(lan)
    data = keyboard.buttons[0]["callback_data"]
    first = await chat.callback(lan, data)
    second = await chat.callback(lan, data)
    assert "Đăng ký thành công" in first
    assert "Đăng ký thành công" not in second and "hết hiệu lực" in second
    assert len(await roles_of(session, lan)) == 1


async def test_two_users_racing_for_one_code(
    chat: Chat, session: AsyncSession, lan: ChannelUser, hung: ChannelUser
) -> None:
    tree = await make_tree(session)
    code = await officer_invite(session, tree)
    await chat.send(lan, f"/start {code}")
    await chat.send(hung, f"/start {code}")
    assert "Đăng ký thành công" in await chat.press(lan, "Xác nhận")
    assert "Mã này đã được sử dụng" in await chat.press(hung, "Xác nhận")
    assert await roles_of(session, hung) == []


async def test_cancel_anywhere_and_stale_buttons(
    chat: Chat, session: AsyncSession, lan: ChannelUser
) -> None:
    tree = await make_tree(session)
    code = await officer_invite(session, tree)
    assert "Không có thao tác nào" in await chat.send(lan, "/cancel")
    await chat.send(lan, f"/start {code}")
    assert "Đã hủy" in await chat.send(lan, "/cancel")
    # The confirmation button of the cancelled offer no longer does anything.
    assert "hết hiệu lực" in await chat.press(lan, "Xác nhận")
    invite = await session.scalar(select(Invite))
    assert invite is not None and invite.used_at is None
    assert "hết hiệu lực" in await chat.callback(lan, "rpt:v1:whatever")


async def test_lang_switches_to_english_and_is_remembered(
    chat: Chat, session: AsyncSession, lan: ChannelUser
) -> None:
    tree = await make_tree(session)
    await chat.send(lan, f"/start {await officer_invite(session, tree)}")
    await chat.press(lan, "Xác nhận")
    assert "Chọn ngôn ngữ" in await chat.send(lan, "/lang")
    assert "Language set: English." in await chat.press(lan, "English")
    assert "Hello Lan Nguyễn" in await chat.send(lan, "/start")
    person = await session.scalar(select(Person))
    assert person is not None and person.language == "en"
    await chat.send(lan, "/lang")
    assert "Đã chọn ngôn ngữ: Tiếng Việt." in await chat.press(lan, "Tiếng Việt")


async def test_help_and_unknown_messages(chat: Chat, lan: ChannelUser) -> None:
    assert "Để đăng ký, gõ /start" in await chat.send(lan, "/help")
    assert "Gõ /help" in await chat.send(lan, "chào bot")
    calls = await chat.feed(chat.updates.sticker(lan))
    assert "Gõ /help" in calls[-1].text


async def test_command_menu_is_published_in_both_languages(chat: Chat) -> None:
    published = [c for c in chat.api.calls if c.method == "setMyCommands"]
    languages = sorted(str(c.params.get("language_code")) for c in published)
    assert languages == ["None", "en"]
    vi = next(c for c in published if "language_code" not in c.params)
    descriptions = [cmd["description"] for cmd in vi.params["commands"]]
    assert "Bạn có thể làm gì ở đây" in descriptions


async def test_an_enterprise_code_typed_at_start_points_to_tamtu_and_records_nothing(
    chat: Chat, session: AsyncSession, lan: ChannelUser
) -> None:
    await make_tree(session)
    await chat.send(lan, "/start")
    said = await chat.send(lan, "dn-01")
    assert "/tamtu" in said and "Mã này không đúng" not in said
    assert await session.scalar(select(func.count()).select_from(CodeAttempt)) == 0


async def test_channel_posts_get_no_answer_and_inline_buttons_only_a_short_one(
    chat: Chat, lan: ChannelUser
) -> None:
    """Found by faults/fuzz.py: the group answer went to channels too, and a button on an
    inline message (no chat) failed in every handler that looks the user up."""
    channel = {"id": -1009876, "type": "channel", "title": "Kênh công đoàn"}
    for kind in ("channel_post", "edited_channel_post"):
        post = {
            "message_id": 7,
            "date": 0,
            "chat": channel,
            "sender_chat": channel,
            "text": "/start",
        }
        if kind == "edited_channel_post":
            post["edit_date"] = 1
        assert await chat.feed({"update_id": 9, kind: post}) == []
    for data in ("hop:v1:st:1:closed", "lang:v1:en", "rpt:v1:open:1:2026-11"):
        update = chat.updates.callback(lan, data)
        del update["callback_query"]["message"]
        update["callback_query"]["inline_message_id"] = "inline-1"
        before = len(chat.api.calls)
        await chat.feed(update)
        calls = chat.api.calls[before:]
        assert [c.method for c in calls] == ["answerCallbackQuery"], data
        assert "hết hiệu lực" in calls[0].params["text"]


# --- issue 12: what people who press Start actually type -------------------------------------


async def test_words_after_start_are_not_codes_and_never_lock_anyone_out(
    chat: Chat, session: AsyncSession, lan: ChannelUser
) -> None:
    """Every Telegram user presses Start; a worker then writes words, not an invite code."""
    tree = await make_tree(session)
    code = await officer_invite(session, tree)
    await chat.send(lan, "/start")
    for text in ("xin chào", "lương", "alo", "Cho tôi hỏi về tiền tăng ca", "ok", "???", "12"):
        said = await chat.send(lan, text)
        assert "Đây không phải là mã mời" in said and "/tamtu" in said, said
        assert "Mã này không đúng" not in said and "quá nhiều lần" not in said
    assert await session.scalar(select(func.count()).select_from(CodeAttempt)) == 0
    assert "Mã này cấp cho bạn vai trò" in await chat.send(lan, code)


async def test_a_wrong_code_says_how_many_tries_are_left_before_the_lock_out(
    chat: Chat, session: AsyncSession, lan: ChannelUser
) -> None:
    await make_tree(session)
    await chat.send(lan, "/start")
    said = [await chat.send(lan, f"WXYZ-234{attempt + 2}") for attempt in range(4)]
    assert all("Mã này không đúng" in s for s in said)
    assert "lần thử" not in said[0] and "lần thử" not in said[1]
    assert "Bạn còn 2 lần thử hôm nay" in said[2] and "đến ngày mai" in said[2]
    assert "Bạn còn 1 lần thử" in said[3]
    assert "nhập sai mã quá nhiều lần" in await chat.send(lan, "WXYZ-2399")


async def test_a_wrong_code_in_english_counts_its_tries_properly(
    chat: Chat, session: AsyncSession, lan: ChannelUser
) -> None:
    await make_tree(session)
    await chat.send(lan, "/lang")
    await chat.press(lan, "English")
    await chat.send(lan, "/start")
    said = [await chat.send(lan, f"WXYZ-234{attempt + 2}") for attempt in range(4)]
    assert "You have 2 more tries" in said[2]
    assert "You have 1 more try today;" in said[3] and "only tomorrow" in said[3]


async def test_tamtu_kiemtra_and_cancel_end_the_wait_for_a_code(
    chat: Chat, session: AsyncSession, lan: ChannelUser
) -> None:
    """Registration must not keep waiting for a code behind the worker's own commands: a
    leftover wait took the worker's next words for wrong codes."""
    tree = await make_tree(session)
    for leave in ("/tamtu", "/kiemtra 1234 5678 9012", "/start c_DN-01", "/cancel"):
        await chat.send(lan, "/start")
        await chat.send(lan, leave)
        await chat.send(lan, "/cancel")  # leaves the worker's conversation, if one began
        said = await chat.send(lan, "alo")
        assert "mã mời" not in said and "Mã này không đúng" not in said, (leave, said)
    # The same once a code was offered: its confirmation button is over too.
    await chat.send(lan, f"/start {await officer_invite(session, tree)}")
    await chat.send(lan, "/tamtu")
    await chat.send(lan, "/cancel")
    assert "hết hiệu lực" in await chat.press(lan, "Xác nhận")
    invite = await session.scalar(select(Invite))
    assert invite is not None and invite.used_at is None
    assert await session.scalar(select(func.count()).select_from(CodeAttempt)) == 0


async def test_a_profile_name_that_hides_or_reverses_text_is_stored_clean(
    chat: Chat, session: AsyncSession
) -> None:
    """Issue #13: direction overrides and invisible characters in a Telegram name would make
    the name shown to the office read differently from what it is."""
    tree = await make_tree(session)
    code = await officer_invite(session, tree)
    spoofer = ChannelUser(5550077, "Lan\u202e\u200b", "Nguyễn\x07\u2066")
    await chat.send(spoofer, f"/start {code}")
    await chat.press(spoofer, "Xác nhận")
    person = await session.scalar(select(Person).order_by(Person.id.desc()))
    assert person is not None and person.display_name == "Lan Nguyễn"
