"""The update fuzzer's engine: random updates into every conversation state of the real
Application, every reply checked. ``python -m faults fuzz`` (faults/fuzz.py) runs it at size;
tests/e2e/test_fuzz.py runs it in small. What it does and checks: faults/fuzz.py's docstring."""

from __future__ import annotations

import itertools
import json
import logging
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from hypothesis import HealthCheck, Phase, given
from hypothesis import seed as hypothesis_seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from telegram import Update
from telegram.ext import Application, ConversationHandler

from bot.app import build_application
from bot.channels.local_bot_api import ApiCall, LocalBotApi
from handlers.common.menu import COMMANDS
from handlers.concerns import jobs as concern_jobs
from handlers.concerns.conversation import Concern
from handlers.concerns.inbox import Inbox
from handlers.registration.conversation import Registration
from handlers.reports.conversation import Report
from infra.channel_updates import ChannelUser, UpdateFactory
from infra.i18n import tr
from infra.settings import Settings
from models import ChannelAccount, Person, ReportingUnit, Role, RoleAssignment, UnitKind
from models.db import UnitOfWork
from services import demo
from services.invites import create_invite

QUICK_SIZE = 1_500
FULL_SIZE = 10_000
DEFAULT_SEED = 6
BOT_USERNAME = "fuzz_bot"
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi, November open for reports
GROUP_CHAT = -1001234567890
CHANNEL_CHAT = -1009876543210
OFFICER3 = ChannelUser(9005, "Đỗ Thị", "Mai", language_code="vi")
MAX_TEXT = 4096
MAX_CAPTION = 1024
PARSE_MODES = {"HTML", "MarkdownV2", "Markdown"}
SENDING = {"sendMessage", "editMessageText", "sendPhoto", "sendDocument"}
EXPECTED_METHODS = SENDING | {
    "answerCallbackQuery",
    "editMessageReplyMarkup",
    "sendChatAction",
    "deleteMessage",
    "getMe",
    "setMyCommands",
    "deleteMyCommands",
    "getMyCommands",
}
RECEIPT = re.compile(r"\b\d{4} \d{4} \d{4}\b")


# --- what hypothesis draws -------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One abstract update; placeholders and button indexes are resolved against the live bot."""

    kind: str
    who: str  # "target" (the state's user), a demo person's key, or "stranger"
    text: str = ""  # text, command, caption, callback data or mutation payload
    mode: str = ""  # callbacks: replay | mutate | prefix | random; groups: group | supergroup
    index: int = 0  # which harvested button, which stranger, where to mutate


VIETNAMESE = [
    "Xin chào",
    "Tiền lương tháng 10 chưa được trả",
    "công nhân",
    "Đồng ý",
    "không",
    "có",
    "Có",
    "giữ",
    "Giữ số tháng trước",
    "bỏ qua",
    "quay lại",
    "Tiếp tục",
    "Gửi",
    "gửi báo cáo",
    "Hủy",
    "Tiếng Việt",
    "English",
    "ừ",
    "đã hiểu",
    "tăng ca",
    "Nhà vệ sinh xưởng 2 hỏng",
    "Tiền lương",
    "Trả lời",
    "Chuyển lên",
    "1",
    "2",
    "3",
    "9",
    "0",
    "Ủa?",
    "ĐOÀN VIÊN",
]
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🇻🇳", "❤️", "⏸", "✅", "◀", "🔥", "𝕏", "ﷺ", "漢字"]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u202e", "\u00ad", "\u0301", "\t"]
PLACEHOLDERS = ["{ENTERPRISE}", "{INVITE}", "{RECEIPT}", "{CASE}", "{UNIT}"]
NUMBER_FORMS = [
    "{n}",
    "{dots}",
    "{spaces}",
    "{commas}",
    "{n},5",
    "{n}.5",
    "{n}%",
    "{n} người",
    "+{n}",
    "-{n}",
    "0{n}",
    "{n}e3",
    "{full}",
    "{arabic}",
    " {n} ",
    "{n}/{n}",
    "{dots},25",
]
ODD_NUMBERS = ["NaN", "inf", "-0", "0,0", "1.50", "1,5", "1.000.000.000.000.000", "9" * 400, "½"]
COMMAND_NAMES = [c.command for c in COMMANDS] + [
    "start@" + BOT_USERNAME,
    "baocao@" + BOT_USERNAME,
    "START",
    "start@other_bot",
    "as",
    "admin",
    "settings",
    "kiemtra@" + BOT_USERNAME,
]
CALLBACK_PREFIXES = [
    "rpt:v1:unit:",
    "rpt:v1:period:",
    "rpt:v1:open:",
    "rpt:v1:takeover:",
    "rpt:v1:leave",
    "rpt:v1:submit:",
    "rpt:v1:edit:",
    "rpt:v1:item:",
    "rpt:v1:keepdraft:",
    "rpt:v1:discard:",
    "rpt:v1:stop:",
    "!rpt:v1:yes:",
    "!rpt:v1:keep:",
    "!rpt:v1:skip:",
    "!rpt:v1:back:",
    "!rpt:v1:jumpok:",
    "!rpt:v1:jumpredo:",
    "!rpt:v1:stop:",
    "reg:v1:yes",
    "reg:v1:no",
    "tt:v1:go",
    "tt:v1:cat:",
    "tt:v1:send",
    "tt:v1:sendpush",
    "tt:v1:rewrite",
    "tt:v1:cancel",
    "hop:v1:reply:",
    "hop:v1:st:",
    "hop:v1:esc:",
    "dg:v1:p:",
    "lang:v1:",
]
MUTATIONS = ["truncate", "number", "segment", "append", "drop", "version", "shortcut", "upper"]
NUMBER_TOKENS = [
    "-1",
    "0",
    "99999999999999999999",
    "2147483648",
    "1e3",
    "x",
    "",
    " 7",
    "٣",
    "2026-13",
    "None",
]
WHO = ["target"] * 7 + [
    "officer",
    "officer2",
    "officer3",
    "committee",
    "admin",
    "worker",
    "stranger",
]
KINDS = (
    ["text"] * 6
    + ["command"] * 4
    + ["callback"] * 6
    + ["callback_inline", "sticker", "photo", "voice", "video", "document", "location"]
    + ["contact", "audio", "animation", "video_note", "dice", "venue", "photo_caption"]
    + ["forwarded", "forwarded", "edited", "edited", "group", "group", "group_callback"]
    + ["channel_post", "edited_channel_post", "new_members", "my_chat_member"]
)


def _number(n: int, form: str) -> str:
    full = str(abs(n)).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    arabic = str(abs(n)).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    return form.format(
        n=abs(n),
        dots=f"{abs(n):,}".replace(",", "."),
        spaces=f"{abs(n):,}".replace(",", " "),
        commas=f"{abs(n):,}",
        full=full,
        arabic=arabic,
    )


def _long(chunk: str, extra: int) -> str:
    chunk = chunk or "a"
    return chunk * (MAX_TEXT // len(chunk) + 1) + "x" * extra


def texts() -> st.SearchStrategy[str]:
    """Anything a person might type, and much that nobody would."""
    unicode = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=80)
    words = st.lists(
        st.sampled_from(VIETNAMESE + EMOJI + INVISIBLE + PLACEHOLDERS), min_size=1, max_size=8
    ).map(" ".join)
    glued = st.lists(st.sampled_from(EMOJI + INVISIBLE + VIETNAMESE), min_size=1, max_size=6).map(
        "".join
    )
    numbers = st.builds(
        _number, st.integers(-(10**13), 10**13), st.sampled_from(NUMBER_FORMS)
    ) | st.sampled_from(ODD_NUMBERS)
    codes = (
        st.from_regex(r"[A-Z2-9]{4}[- ]?[A-Z2-9]{4}", fullmatch=True)
        | st.from_regex(r"\d{4} ?\d{4} ?\d{4}", fullmatch=True)
        | st.from_regex(r"(DN|dn|TT-|BC-)[-A-Z0-9]{1,8}", fullmatch=True)
        | st.sampled_from([*PLACEHOLDERS, *demo.DEMO_INVITE_CODES, "DEMQ-2345", "demr 2345"])
    )
    long = st.builds(_long, st.text(min_size=1, max_size=7), st.integers(0, 3000))
    blank = st.sampled_from([" ", "  \n ", "\u200b", "\u3000", "."])
    return unicode | words | glued | numbers | numbers | codes | long | blank


def commands() -> st.SearchStrategy[str]:
    payload = (
        st.just("")
        | st.sampled_from(
            [
                "c_{ENTERPRISE}",
                "c_{UNIT}",
                "{INVITE}",
                "c_",
                "c_DN-99",
                "c_" + "x" * 64,
                "{RECEIPT}",
            ]
        )
        | texts()
    )
    return st.builds(
        lambda name, sep, arg: f"/{name}{sep}{arg}" if arg else f"/{name}",
        st.sampled_from(COMMAND_NAMES),
        st.sampled_from([" ", "  ", "\n", " \u200b"]),
        payload,
    )


def callback_specs(who: str) -> st.SearchStrategy[Spec]:
    replay = st.builds(
        lambda i: Spec("callback", who, mode="replay", index=i), st.integers(0, 10_000)
    )
    mutate = st.builds(
        lambda i, how, token: Spec("callback", who, f"{how}|{token}", "mutate", i),
        st.integers(0, 10_000),
        st.sampled_from(MUTATIONS),
        st.sampled_from(NUMBER_TOKENS) | st.text(max_size=12),
    )
    prefixed = st.builds(
        lambda prefix, rest: Spec("callback", who, prefix + rest, "prefix"),
        st.sampled_from(CALLBACK_PREFIXES),
        st.sampled_from(
            [
                "",
                "1",
                "0:0",
                "1:2026-11",
                "-5:2026-11:x",
                "99999999999999999999:2026-11",
                "2147483648:2026-10",
                "1:2026-00",
                "en",
                "vi",
                "fr",
            ]
        )
        | st.text(max_size=20)
        | st.from_regex(r"\d{1,6}(:\d{1,4}){0,3}", fullmatch=True),
    )
    random = st.builds(
        lambda raw: Spec("callback", who, raw, "random"),
        st.binary(max_size=64).map(lambda b: b.decode("utf-8", "replace")) | st.text(max_size=64),
    )
    return replay | replay | mutate | mutate | prefixed | random


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    kind = draw(st.sampled_from(KINDS))
    who = draw(st.sampled_from(WHO))
    index = draw(st.integers(0, 10_000))
    if kind == "callback":
        return draw(callback_specs(who))
    if kind in {"text", "forwarded", "edited", "photo_caption", "channel_post"}:
        return Spec(kind, who, draw(texts()), index=index)
    if kind == "edited_channel_post":
        return Spec(kind, who, draw(texts()), index=index)
    if kind == "command":
        return Spec(kind, who, draw(commands()), index=index)
    if kind == "group":
        said = draw(commands() | texts())
        return Spec(kind, who, said, draw(st.sampled_from(["group", "supergroup"])), index)
    if kind in {"group_callback", "callback_inline"}:
        return Spec(kind, who, draw(st.sampled_from(CALLBACK_PREFIXES)) + "1", index=index)
    return Spec(kind, who, index=index)


def draw_bursts(size: int, seed: int, burst: tuple[int, int] = (6, 24)) -> list[list[Spec]]:
    """Bursts of specs adding up to exactly ``size``, the same ones for the same seed."""
    bursts: list[list[Spec]] = []
    total = 0
    attempt = 0
    while total < size:

        @hypothesis_settings(
            max_examples=max(10, (size - total) // ((burst[0] + burst[1]) // 2) + 5),
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @hypothesis_seed(seed * 1000 + attempt)
        @given(st.lists(specs(), min_size=burst[0], max_size=burst[1]))
        def collect(drawn: list[Spec]) -> None:
            bursts.append(drawn)

        collect()
        attempt += 1
        total = sum(len(b) for b in bursts)
    kept: list[list[Spec]] = []
    left = size
    for drawn in bursts:
        if left <= 0:
            break
        kept.append(drawn[:left])
        left -= len(kept[-1])
    return kept


# --- what the harness finds ------------------------------------------------------------------


@dataclass
class Findings:
    by_kind: Counter[str] = field(default_factory=Counter)
    by_state: Counter[str] = field(default_factory=Counter)
    reached: Counter[str] = field(default_factory=Counter)
    not_reached: Counter[str] = field(default_factory=Counter)
    navigation_updates: int = 0
    calls_checked: int = 0
    unhandled: Counter[str] = field(default_factory=Counter)
    invalid: Counter[str] = field(default_factory=Counter)
    invalid_examples: list[str] = field(default_factory=list)
    lost: Counter[str] = field(default_factory=Counter)
    lost_examples: list[str] = field(default_factory=list)
    duplicated: Counter[str] = field(default_factory=Counter)
    duplicated_examples: list[str] = field(default_factory=list)
    stuck: Counter[str] = field(default_factory=Counter)  # /cancel did not end a conversation
    seconds: float = 0.0

    @property
    def fired(self) -> int:
        return sum(self.by_kind.values())

    @property
    def failures(self) -> int:
        return sum(
            sum(c.values()) for c in (self.unhandled, self.invalid, self.lost, self.duplicated)
        )

    def note(self, counter: Counter[str], examples: list[str], key: str, example: str) -> None:
        counter[key] += 1
        if len(examples) < 12:
            examples.append(example[:300])

    def report(self, out: Callable[[str], None] = print) -> None:
        def line(counter: Counter[str]) -> str:
            return ", ".join(f"{k} {v}" for k, v in counter.most_common()) or "-"

        out(f"updates fired: {self.fired} in {self.seconds:.1f} s")
        out(f"  by kind: {line(self.by_kind)}")
        out(f"  by state: {line(self.by_state)}")
        out(f"  states reached (bursts): {line(self.reached)}")
        if self.not_reached:
            out(f"  states NOT reached (bursts fired anyway): {line(self.not_reached)}")
        out(f"  navigation updates (to reach the states, checked too): {self.navigation_updates}")
        out(f"Bot API calls checked: {self.calls_checked}")
        for name, counter, examples in (
            ("unhandled", self.unhandled, []),
            ("invalid replies", self.invalid, self.invalid_examples),
            ("lost", self.lost, self.lost_examples),
            ("duplicated", self.duplicated, self.duplicated_examples),
        ):
            out(f"{name}: {sum(counter.values())}" + (f" ({line(counter)})" if counter else ""))
            for example in examples:
                out(f"    e.g. {example}")
        if self.stuck:
            out(f"note: /cancel left a conversation open: {line(self.stuck)}")


class ErrorLog(logging.Handler):
    """Counts ERROR records: the error handler's "handler failed: <Type> at <where>" and any
    other (PTB's own, e.g. when the error handler itself fails)."""

    def __init__(self, findings: Findings) -> None:
        super().__init__(logging.ERROR)
        self.findings = findings
        self.last: str = ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "handler failed: %s at %s" and isinstance(record.args, tuple):
            key = f"{record.args[0]}@{record.args[1]}"
        elif record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            key = f"{type(error).__name__} logged by {record.name}"
        else:
            key = f"{record.name}: {record.getMessage()[:120]}"
        self.findings.unhandled[key] += 1
        self.last = key


# --- the harness -----------------------------------------------------------------------------


@dataclass
class Button:
    data: str
    message_id: int
    chat_id: int


@dataclass
class Harness:
    app: Application  # type: ignore[type-arg]
    api: LocalBotApi
    uow: UnitOfWork
    findings: Findings
    people: dict[str, ChannelUser]
    enterprise: str
    unit_code: str
    secret: bytes
    shared_unit: int  # the union both the demo officer and officer3 serve
    updates: UpdateFactory = field(default_factory=UpdateFactory)
    harvest: list[Button] = field(default_factory=list)
    receipts: list[str] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)
    invite: str = "DEMQ2345"
    fresh_ids: Iterator[int] = field(default_factory=lambda: itertools.count(8_000_001))
    group_answers: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.group_answers = frozenset(
            tr(
                lang,
                "Please message me privately: open a chat with @{bot} and type /start there.",
                bot=BOT_USERNAME,
            )
            for lang in ("vi", "en")
        )

    # Conversation states, straight from the ConversationHandlers (what the bot believes).
    def state(self, user: ChannelUser, name: str) -> object:
        for group in self.app.handlers.values():
            for handler in group:
                if isinstance(handler, ConversationHandler) and handler.name == name:
                    return handler._conversations.get((user.user_id, user.user_id))
        raise LookupError(name)

    def conversations(self, user: ChannelUser) -> dict[str, object]:
        found = {}
        for group in self.app.handlers.values():
            for handler in group:
                if isinstance(handler, ConversationHandler):
                    current = handler._conversations.get((user.user_id, user.user_id))
                    if current is not None:
                        found[str(handler.name)] = current
        return found

    def fresh_user(self) -> ChannelUser:
        return ChannelUser(next(self.fresh_ids), "Người", "Lạ", language_code="vi")

    # Feeding updates and checking what came back.
    async def feed(self, data: dict[str, Any], label: str) -> list[ApiCall]:
        before = len(self.api.calls)
        try:
            await self.app.process_update(Update.de_json(data, self.app.bot))
        except Exception as error:  # counted: this is what the fuzzer is for
            self.findings.unhandled[f"{type(error).__name__} escaped process_update"] += 1
        calls = self.api.calls[before:]
        self.check(data, calls, label)
        return calls

    def check(self, data: dict[str, Any], calls: list[ApiCall], label: str) -> None:
        f = self.findings
        for call in calls:
            f.calls_checked += 1
            for problem in call_problems(call):
                f.note(
                    f.invalid,
                    f.invalid_examples,
                    problem,
                    f"{problem} after {label}: {call.method} {_short(call.params)}",
                )
            chat = call.chat_id
            if chat == str(CHANNEL_CHAT):
                f.note(
                    f.invalid,
                    f.invalid_examples,
                    "sent to a channel",
                    f"after {label}: {call.method} {_short(call.params)}",
                )
            elif chat == str(GROUP_CHAT) and not (
                call.method == "sendMessage" and call.text in self.group_answers
            ):
                f.note(
                    f.invalid,
                    f.invalid_examples,
                    "sent to a group",
                    f"after {label}: {call.method} {_short(call.params)}",
                )
            for button in call.buttons:
                if "callback_data" in button and call.result and isinstance(call.result, dict):
                    message_id = call.params.get("message_id") or call.result.get("message_id")
                    if str(chat).lstrip("-").isdigit() and message_id:
                        self.harvest.append(
                            Button(button["callback_data"], int(message_id), int(chat))
                        )
            for found in RECEIPT.findall(call.text):
                self.receipts.append(found)
            self.cases.extend(re.findall(r"\bTT-[A-Z0-9-]+", call.text))
        del self.harvest[:-400]
        del self.receipts[:-20]
        del self.cases[:-20]
        self.expectations(data, calls, label)

    def expectations(self, data: dict[str, Any], calls: list[ApiCall], label: str) -> None:
        f = self.findings
        query = data.get("callback_query")
        if query is not None:
            answers = [
                c
                for c in calls
                if c.method == "answerCallbackQuery"
                and c.params.get("callback_query_id") == query["id"]
            ]
            if not answers:
                f.note(
                    f.lost,
                    f.lost_examples,
                    "callback query never answered",
                    f"{label}: data {query.get('data')!r}",
                )
            elif len(answers) > 1:
                f.note(
                    f.duplicated,
                    f.duplicated_examples,
                    "callback query answered twice",
                    f"{label}: data {query.get('data')!r}",
                )
        message = data.get("message") or data.get("edited_message")
        if message is not None and message["chat"]["type"] == "private":
            chat = str(message["chat"]["id"])
            said = [c for c in calls if c.method in SENDING and c.chat_id == chat]
            if not said:
                f.note(
                    f.lost,
                    f.lost_examples,
                    "private message not answered",
                    f"{label}: {_short(message)}",
                )
        texts_by_chat = Counter(
            (c.chat_id, c.text) for c in calls if c.method in SENDING and c.text
        )
        for (chat, said_text), times in texts_by_chat.items():
            if times > 1:
                f.note(
                    f.duplicated,
                    f.duplicated_examples,
                    "same text sent twice for one update",
                    f"{label}: to {chat}: {said_text[:80]!r}",
                )

    # Ordinary steps (to reach a state): the same checks, counted apart from the fuzz.
    async def send(self, user: ChannelUser, said: str) -> list[ApiCall]:
        self.findings.navigation_updates += 1
        return await self.feed(self.updates.message(user, said), "navigation")

    def last_button(self, user: ChannelUser, pattern: str) -> Button | None:
        """A button matching ``pattern`` on the last keyboard this user was shown."""
        wanted = re.compile(pattern)
        for call in reversed(self.api.calls):
            if call.chat_id == str(user.user_id) and call.buttons and call.method in SENDING:
                message_id = call.params.get("message_id") or call.result["message_id"]
                for button in call.buttons:
                    if wanted.search(str(button.get("callback_data", ""))):
                        return Button(button["callback_data"], int(message_id), user.user_id)
                return None
        return None

    async def press(self, user: ChannelUser, pattern: str) -> bool:
        button = self.last_button(user, pattern)
        if button is None:
            return False
        self.findings.navigation_updates += 1
        data = self.updates.callback(user, button.data, message_id=button.message_id)
        await self.feed(data, "navigation")
        return True

    async def leave_all(self, user: ChannelUser) -> None:
        """/cancel until no conversation holds the user (a report's draft is deleted)."""
        for _ in range(6):
            open_ = self.conversations(user)
            if not open_:
                return
            if open_.get("report") == Report.CANCELLING and await self.press(user, r":discard:"):
                continue
            await self.send(user, "/cancel")
        for name in self.conversations(user):
            self.findings.stuck[name] += 1

    async def fresh_invite(self) -> str:
        async with self.uow() as session:
            created = await create_invite(
                session,
                self.secret,
                role=Role.OFFICER,
                actor="fuzz",
                valid_days=30,
                unit_code=self.unit_code,
            )
        self.invite = created.code
        return created.code

    # Resolving an abstract spec into an update.
    def user_for(self, spec: Spec, target: ChannelUser) -> ChannelUser:
        if spec.who == "target":
            return target
        if spec.who == "stranger":
            return ChannelUser(7_000_000 + spec.index % 40, "Ai", "Đó")
        return self.people[spec.who]

    def fill(self, said: str) -> str:
        return (
            said.replace("{ENTERPRISE}", self.enterprise)
            .replace("{UNIT}", self.unit_code)
            .replace("{INVITE}", self.invite)
            .replace("{RECEIPT}", self.receipts[-1] if self.receipts else "1234 5678 9012")
            .replace("{CASE}", self.cases[-1] if self.cases else "TT-000001")
        )

    def callback_data(self, spec: Spec) -> tuple[str, int]:
        if spec.mode in ("replay", "mutate") and self.harvest:
            button = (
                self.harvest[-1 - spec.index % min(len(self.harvest), 60)]
                if spec.index % 3
                else self.harvest[spec.index % len(self.harvest)]
            )
            data = button.data if spec.mode == "replay" else mutate(button.data, spec)
            return _cut(data), button.message_id
        return _cut(spec.text), 1 + spec.index % 50

    def build(self, spec: Spec, target: ChannelUser) -> dict[str, Any]:
        user = self.user_for(spec, target)
        u = self.updates
        said = self.fill(spec.text)
        kind = spec.kind
        if kind in ("text", "command"):
            return u.message(user, said)
        if kind == "callback":
            data, message_id = self.callback_data(spec)
            built = u.callback(user, data, message_id=message_id)
            if not data:  # a game's button: no data, a game's short name instead
                del built["callback_query"]["data"]
                built["callback_query"]["game_short_name"] = "fuzz"
            return built
        if kind == "callback_inline":
            built = u.callback(user, said)
            query = built["callback_query"]
            del query["message"]
            query["inline_message_id"] = f"inline-{spec.index}"
            return built
        if kind == "group_callback":
            built = u.callback(user, said, chat_id=GROUP_CHAT)
            built["callback_query"]["message"]["chat"] = {
                "id": GROUP_CHAT,
                "type": "supergroup",
                "title": "Nhóm",
            }
            return built
        if kind == "group":
            return u.message(user, said, chat_id=GROUP_CHAT, chat_type=spec.mode)
        if kind == "new_members":
            return u.message(
                user, None, chat_id=GROUP_CHAT, chat_type="group", new_chat_members=[user.as_dict()]
            )
        if kind in ("channel_post", "edited_channel_post"):
            post: dict[str, Any] = {
                "message_id": 1 + spec.index,
                "date": int(time.time()),
                "chat": {"id": CHANNEL_CHAT, "type": "channel", "title": "Kênh"},
                "sender_chat": {"id": CHANNEL_CHAT, "type": "channel", "title": "Kênh"},
                "text": said,
            }
            if kind == "edited_channel_post":
                post["edit_date"] = post["date"]
            return {"update_id": next(u._update_ids), kind: post}
        if kind == "my_chat_member":
            member = {"user": BOT_USER_DICT, "status": "kicked", "until_date": 0}
            return {
                "update_id": next(u._update_ids),
                "my_chat_member": {
                    "chat": {"id": user.user_id, "type": "private", "first_name": user.first_name},
                    "from": user.as_dict(),
                    "date": int(time.time()),
                    "old_chat_member": {"user": BOT_USER_DICT, "status": "member"},
                    "new_chat_member": member,
                },
            }
        if kind == "forwarded":
            return u.forwarded(user, said)
        if kind == "edited":
            return u.edited(user, said)
        if kind == "sticker":
            return u.sticker(user)
        if kind == "photo":
            return u.photo(user)
        if kind == "voice":
            return u.voice(user)
        if kind == "location":
            return u.location(user)
        return u.message(user, None, **MEDIA[kind](said))

    async def fire(self, spec: Spec, target: ChannelUser, state: str) -> None:
        self.findings.by_kind[spec.kind] += 1
        self.findings.by_state[state] += 1
        await self.feed(self.build(spec, target), f"{spec.kind} in {state}")


BOT_USER_DICT = {"id": 1000000001, "is_bot": True, "first_name": "bot"}
_FILE = {"file_id": "f", "file_unique_id": "f"}
MEDIA: dict[str, Callable[[str], dict[str, Any]]] = {
    "video": lambda s: {"video": {**_FILE, "width": 1, "height": 1, "duration": 1}},
    "document": lambda s: {"document": {**_FILE, "file_name": "bao_cao.xlsx"}},
    "contact": lambda s: {"contact": {"phone_number": "+84900000000", "first_name": "Lan"}},
    "audio": lambda s: {"audio": {**_FILE, "duration": 3}},
    "animation": lambda s: {
        "animation": {**_FILE, "width": 1, "height": 1, "duration": 1},
        "document": {**_FILE},
    },
    "video_note": lambda s: {"video_note": {**_FILE, "length": 1, "duration": 1}},
    "dice": lambda s: {"dice": {"emoji": "🎲", "value": 3}},
    "venue": lambda s: {
        "venue": {
            "location": {"latitude": 21.2, "longitude": 106.1},
            "title": "KCN Quang Châu",
            "address": "Việt Yên",
        },
        "location": {"latitude": 21.2, "longitude": 106.1},
    },
    "photo_caption": lambda s: {
        "photo": [{**_FILE, "width": 9, "height": 9}],
        "caption": s[:MAX_CAPTION],
    },
}


def mutate(data: str, spec: Spec) -> str:
    how, _, token = spec.text.partition("|")
    parts = data.split(":")
    at = spec.index % max(len(parts), 1)
    if how == "truncate":
        return data[: spec.index % (len(data) + 1)]
    if how == "number":
        numeric = [i for i, p in enumerate(parts) if p.isdigit()] or [at]
        parts[numeric[spec.index % len(numeric)]] = token
    elif how == "segment":
        parts[at] = token
    elif how == "append":
        parts.append(token)
    elif how == "drop":
        del parts[at]
    elif how == "version":
        return data.replace("v1", token[:2] or "v2")
    elif how == "shortcut":
        return data[1:] if data.startswith("!") else "!" + data
    elif how == "upper":
        return data.upper()
    return ":".join(parts)


def _cut(data: str) -> str:
    """Telegram never delivers callback data over 64 bytes."""
    return data.encode()[:64].decode("utf-8", "ignore")


def _short(value: object) -> str:
    shown = json.dumps(value, ensure_ascii=False, default=str)
    return shown if len(shown) <= 160 else shown[:160] + "…"


def call_problems(call: ApiCall) -> list[str]:
    """What Telegram would refuse in this call (or what it should never be)."""
    p = call.params
    problems = []
    if call.method not in EXPECTED_METHODS:
        problems.append(f"unexpected method {call.method}")
    if call.method in SENDING | {"editMessageReplyMarkup", "sendChatAction"}:
        if call.method.startswith("edit") and p.get("inline_message_id"):
            pass
        elif not str(p.get("chat_id", "")).strip():
            problems.append(f"{call.method} without chat_id")
        if (
            call.method.startswith("edit")
            and not p.get("message_id")
            and not p.get("inline_message_id")
        ):
            problems.append(f"{call.method} without message_id")
    if call.method in ("sendMessage", "editMessageText"):
        said = p.get("text")
        if not isinstance(said, str) or not said.strip():
            problems.append(f"{call.method} with empty text")
        elif len(said) > MAX_TEXT:
            problems.append(f"{call.method} text over {MAX_TEXT} characters")
    if call.method in ("sendPhoto", "sendDocument"):
        part = "photo" if call.method == "sendPhoto" else "document"
        if part not in p and part not in call.files:
            problems.append(f"{call.method} without {part}")
        if len(str(p.get("caption") or "")) > MAX_CAPTION:
            problems.append(f"{call.method} caption over {MAX_CAPTION} characters")
    if call.method == "answerCallbackQuery":
        if not p.get("callback_query_id"):
            problems.append("answerCallbackQuery without id")
        if len(str(p.get("text") or "")) > 200:
            problems.append("answerCallbackQuery text over 200 characters")
    mode = p.get("parse_mode")
    if mode is not None and mode not in PARSE_MODES:
        problems.append(f"parse_mode {mode!r}")
    problems.extend(markup_problems(p.get("reply_markup")))
    return problems


def markup_problems(markup: object) -> list[str]:
    if markup is None:
        return []
    if isinstance(markup, str):
        try:
            markup = json.loads(markup)
        except ValueError:
            return ["reply_markup is not JSON"]
    if not isinstance(markup, dict):
        return ["reply_markup is not an object"]
    if "inline_keyboard" not in markup:
        return (
            []
            if markup.keys() & {"keyboard", "remove_keyboard", "force_reply"}
            else ["reply_markup of no known kind"]
        )
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(r, list) and r for r in rows):
        return ["inline keyboard with an empty or malformed row"]
    problems = []
    for button in (b for row in rows for b in row):
        if not str(button.get("text", "")).strip():
            problems.append("button without text")
        actions = button.keys() & {
            "callback_data",
            "url",
            "switch_inline_query",
            "web_app",
            "copy_text",
        }
        if len(actions) != 1:
            problems.append("button with no or several actions")
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= 64:
            problems.append("callback_data not 1-64 bytes")
    return problems


# --- the states and how to get there ---------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    who: str  # a demo key, or "fresh" (a new stranger each burst)
    conversation: str | None = None  # which ConversationHandler must hold the state
    state: object = None


STATES: list[Target] = [
    Target("idle: registered officer", "officer2"),
    Target("idle: unknown user", "fresh"),
    Target(
        "registration: waiting for the code", "fresh", "registration", Registration.AWAITING_CODE
    ),
    Target("registration: confirming", "fresh", "registration", Registration.CONFIRMING),
    Target("report: choosing the unit", "officer", "report", Report.CHOOSING_UNIT),
    Target("report: taking over a draft", "officer3", "report", Report.TAKING_OVER),
    Target("report: at a question", "officer", "report", Report.ANSWERING),
    Target("report: jump confirmation", "officer", "report", Report.CONFIRMING_JUMP),
    Target("report: jump reason", "officer", "report", Report.GIVING_JUMP_REASON),
    Target("report: review", "officer", "report", Report.REVIEWING),
    Target("report: picking an item", "officer", "report", Report.PICKING_ITEM),
    Target("report: amendment reason", "officer", "report", Report.GIVING_AMEND_REASON),
    Target("report: keep or delete the draft", "officer", "report", Report.CANCELLING),
    Target("concern: enterprise code", "fresh", "concern", Concern.TYPING_ENTERPRISE),
    Target("concern: the promise", "fresh", "concern", Concern.READING_PROMISE),
    Target("concern: category", "fresh", "concern", Concern.CHOOSING_CATEGORY),
    Target("concern: writing", "fresh", "concern", Concern.WRITING),
    Target("concern: preview and push choice", "fresh", "concern", Concern.PREVIEWING),
    Target("inbox: writing a reply", "officer", "inbox_reply", Inbox.WRITING_REPLY),
    Target("digest: choosing a month", "committee"),
    Target("language choice", "fresh"),
]

JUMPS = ["100000", "1", "5000", "0", "250", "20"]
ANSWERS = ["0", "1", "3", "10", "50", "200", "có"]
# Figures no answer above gives, a new one each time: an amendment that changes nothing is
# refused before its reason is asked, and an earlier burst may have sent the last one.
CHANGES = itertools.count(7001)


async def drive(h: Harness, target: Target, user: ChannelUser) -> bool:
    """Bring ``user`` into the target's state with ordinary updates; True when there."""
    if target.conversation == "registration":
        said = (
            "/start"
            if target.state == Registration.AWAITING_CODE
            else f"/start {await h.fresh_invite()}"
        )
        await h.send(user, said)
    elif target.conversation == "report":
        if target.state == Report.TAKING_OVER:
            await drive_report(h, h.people["officer"], Report.ANSWERING)
            await h.send(user, "/baocao")
        else:
            return await drive_report(h, user, target.state)
    elif target.conversation == "concern":
        await drive_concern(h, user, target.state)
    elif target.conversation == "inbox_reply":
        for _ in range(3):
            await h.send(user, "/hopthu")
            if await h.press(user, r"^hop:v1:reply:"):
                break
            await raise_concern(h)
    elif target.name.startswith("digest"):
        await h.send(user, "/tonghop")
        return h.last_button(user, r"^dg:v1:p:") is not None
    elif target.name.startswith("language"):
        await h.send(user, "/lang")
        return h.last_button(user, r"^lang:v1:") is not None
    else:
        return True
    return h.state(user, str(target.conversation)) == target.state


async def drive_report(h: Harness, user: ChannelUser, goal: object) -> bool:
    jumps = itertools.cycle(JUMPS)
    answers = itertools.cycle(ANSWERS)
    submitted = 0
    changed = False  # an amendment must change a figure, or it is refused before its reason
    for _ in range(90):
        state = h.state(user, "report")
        if state == goal:
            return True
        if state is None:
            await h.send(user, "/baocao")
            if h.state(user, "report") is None:
                return False
        elif state == Report.CHOOSING_UNIT:
            if goal == Report.CHOOSING_UNIT:
                return True
            await h.press(user, rf":unit:{h.shared_unit}\Z")  # the union officer3 serves too
        elif state == Report.CHOOSING_PERIOD:
            await h.press(user, r":period:")
        elif state == Report.TAKING_OVER:
            await h.press(user, r":takeover:")
        elif state == Report.CANCELLING:
            await h.press(user, r":keepdraft:")
        elif state == Report.AMEND_OR_DONE:  # the month is already sent: change it
            await h.press(user, r":amend:")
        elif state == Report.ANSWERING:
            if goal == Report.CANCELLING:
                await h.send(user, "/cancel")
            elif goal == Report.GIVING_AMEND_REASON and changed:
                await h.send(user, str(next(CHANGES)))
            elif goal in (Report.CONFIRMING_JUMP, Report.GIVING_JUMP_REASON):
                await h.send(user, next(jumps))
            elif goal == Report.PICKING_ITEM or not (
                await h.press(user, r"^!rpt:v1:(keep|skip|yes):")
            ):
                await h.send(user, next(answers))
        elif state == Report.CONFIRMING_JUMP:
            await h.press(user, r":jumpok:")
        elif state == Report.GIVING_JUMP_REASON:
            await h.send(user, "Tuyển thêm người lao động")
        elif state == Report.REVIEWING:
            if goal == Report.GIVING_AMEND_REASON:
                if submitted == 2:
                    return False
                if submitted == 1 and not changed:
                    changed = True
                    await h.press(user, r":edit:")
                    continue
                await h.press(user, r":submit:")
                submitted += 1  # the first sends the report; then an amendment asks the reason
            else:
                await h.press(user, r":edit:")
        elif state == Report.PICKING_ITEM:
            await h.press(user, r":item:")
        elif state == Report.GIVING_AMEND_REASON:
            await h.send(user, "Sửa số liệu cho đúng")
    return False


async def drive_concern(h: Harness, user: ChannelUser, goal: object) -> None:
    if goal == Concern.TYPING_ENTERPRISE:
        await h.send(user, "/tamtu")
        return
    await h.send(user, f"/start c_{h.enterprise}")
    for _ in range(4):
        state = h.state(user, "concern")
        if state == goal or state is None:
            return
        if state == Concern.READING_PROMISE:
            await h.press(user, r"^tt:v1:go$")
        elif state == Concern.CHOOSING_CATEGORY:
            await h.press(user, r"^tt:v1:cat:")
        elif state == Concern.WRITING:
            await h.send(user, "Nhà ăn ca đêm không đủ suất, mong công đoàn xem xét.")


async def raise_concern(h: Harness) -> None:
    """A worker's concern at the demo officer's enterprise, announced so the inbox shows it."""
    worker = h.fresh_user()
    await drive_concern(h, worker, Concern.PREVIEWING)
    await h.press(worker, r"^tt:v1:send$")
    await h.leave_all(worker)
    context = SimpleNamespace(bot_data=h.app.bot_data, bot=h.app.bot)
    before = len(h.api.calls)
    await concern_jobs.announce_new_concerns(context)  # type: ignore[arg-type]
    h.check({}, h.api.calls[before:], "notice batch")


# --- putting it together ---------------------------------------------------------------------


async def prepare(uow: UnitOfWork, settings: Settings, app: Application) -> tuple[str, str, int]:  # type: ignore[type-arg]
    """The demo province on the Telegram channel, plus a second officer of the first union."""
    async with uow() as session:
        seeded = await demo.seed(
            session, settings.secret, app.bot_data.reporting, app.bot_data.clock()
        )
        await session.execute(
            update(ChannelAccount)
            .where(ChannelAccount.channel == demo.DEMO_CHANNEL)
            .values(channel=app.bot_data.channel)
        )
        officer = await session.scalar(
            select(ChannelAccount.person_id).where(ChannelAccount.external_id == "9001")
        )
        union = await session.scalar(
            select(ReportingUnit)
            .join(RoleAssignment, RoleAssignment.reporting_unit_id == ReportingUnit.id)
            .where(RoleAssignment.person_id == officer, ReportingUnit.kind == UnitKind.TRADE_UNION)
        )
        assert union is not None
        person = Person(display_name="Đỗ Thị Mai", language="vi")
        session.add(person)
        await session.flush()
        session.add(
            ChannelAccount(
                person_id=person.id,
                channel=app.bot_data.channel,
                external_id=str(OFFICER3.user_id),
                chat_id=str(OFFICER3.user_id),
            )
        )
        session.add(
            RoleAssignment(person_id=person.id, role=Role.OFFICER, reporting_unit_id=union.id)
        )
        spare = await session.scalar(
            select(ReportingUnit.code)
            .where(ReportingUnit.kind == UnitKind.TRADE_UNION, ReportingUnit.id != union.id)
            .order_by(ReportingUnit.code.desc())
        )
        await session.commit()
    assert spare is not None
    return seeded.officer_enterprise, spare, union.id


@asynccontextmanager
async def harness(
    settings: Settings,
    uow: UnitOfWork,
    findings: Findings,
    clock: Callable[[], datetime] = lambda: NOW,
) -> AsyncIterator[Harness]:
    """The real Application on the in-process Bot API over the seeded database; ERROR records
    are counted into ``findings`` meanwhile."""
    api = LocalBotApi(username=BOT_USERNAME)
    app = build_application(
        settings, uow, channel="telegram", request=api, rate_limit=False, clock=clock
    )
    errors = ErrorLog(findings)
    root = logging.getLogger()
    root.addHandler(errors)
    quiet = {name: logging.getLogger(name).level for name in ("httpx", "apscheduler", "telegram")}
    for name in quiet:
        logging.getLogger(name).setLevel(logging.WARNING)
    await app.initialize()
    await app.start()
    await app.bot_data.leadership.try_acquire()  # the notice batch runs by hand, on the leader
    try:
        enterprise, unit_code, shared_unit = await prepare(uow, settings, app)
        people = {
            p.key: ChannelUser(int(p.external_id), p.first_name, p.last_name, language_code="vi")
            for p in (*demo.DEMO_PEOPLE, *demo.DEMO_STRANGERS)
        }
        people["officer3"] = OFFICER3
        yield Harness(
            app, api, uow, findings, people, enterprise, unit_code, settings.secret, shared_unit
        )
    finally:
        root.removeHandler(errors)
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)
        await app.bot_data.leadership.release()
        await app.stop()
        await app.shutdown()


async def run(
    settings: Settings,
    uow: UnitOfWork,
    *,
    size: int,
    seed: int = DEFAULT_SEED,
    burst: tuple[int, int] = (6, 24),
    clock: Callable[[], datetime] = lambda: NOW,
    out: Callable[[str], None] = print,
) -> Findings:
    """Seed the demo province into the (empty, migrated) database and fuzz ``size`` updates."""
    started = time.monotonic()
    bursts = draw_bursts(size, seed, burst)
    out(
        f"drawn: {sum(map(len, bursts))} updates in {len(bursts)} bursts (seed {seed}) "
        f"in {time.monotonic() - started:.1f} s"
    )
    findings = Findings()
    async with harness(settings, uow, findings, clock) as h:
        await raise_concern(h)
        fired_at = time.monotonic()
        for number, drawn in enumerate(bursts):
            target = STATES[number % len(STATES)]
            user = h.fresh_user() if target.who == "fresh" else h.people[target.who]
            await h.leave_all(user)
            if target.state == Report.TAKING_OVER:
                await h.leave_all(h.people["officer"])
            if await drive(h, target, user):
                findings.reached[target.name] += 1
            else:
                findings.not_reached[target.name] += 1
            for spec in drawn:
                await h.fire(spec, user, target.name)
        findings.seconds = time.monotonic() - fired_at
    return findings
