"""Every button's callback data: built, matched and read here, and nowhere else.

One class per kind of button: its builders, the patterns its CallbackQueryHandlers match, and
its parser. The data is only a hint from the client (a service re-checks every press from the
database), and it outlives the bot: a button sent months ago is still in the user's chat and may
be pressed after any upgrade. So the wire format never changes; a new format gets a new version
("v2") beside the old one. tests/unit/test_buttons.py pins every format.

Patterns match the whole data where a handler reads fields out of it: data in no shape the bot
sends (an id too long for the database, a month 13) is then an expired button
(handlers/common/commands.py ``stale_button``), never an error.
"""

from __future__ import annotations

import re
from typing import Final

from infra.channel_updates import SHORTCUT_MARK
from services.digests import DigestPeriod
from services.periods import Period

# A database id of at most 9 digits (a longer one is no button the bot sent, and overflows the
# database's integer); a month key; a concern's random id (hex).
NUMBER: Final = r"[0-9]{1,9}"
MONTH: Final = r"[0-9]{4}-(0[1-9]|1[0-2])"
CASE_ID: Final = r"[0-9a-f]{1,64}"


class Report:
    """The monthly report (handlers/reports): ``rpt:v1:<action>:<fields>``. Buttons beside a
    question or a "big change" prompt carry SHORTCUT_MARK first (``!rpt:v1:…``): a text channel
    lets the officer type the answer there instead of a number (infra/channel_updates.py)."""

    PREFIX: Final = "rpt:v1"
    SHORT: Final = SHORTCUT_MARK + PREFIX
    QUESTION_ACTIONS: Final = frozenset({"yes", "no", "keep", "mine", "same", "skip", "back"})
    JUMP_ACTIONS: Final = frozenset({"jumpok", "jumpredo"})

    # Builders, one per button the bot sends.
    @staticmethod
    def unit(unit_id: int) -> str:
        return f"{Report.PREFIX}:unit:{unit_id}"

    @staticmethod
    def period(unit_id: int, period: Period) -> str:
        return f"{Report.PREFIX}:period:{unit_id}:{period.key}"

    @staticmethod
    def open(unit_id: int, period: Period | str) -> str:
        """ "Report now" under a reminder or an unlock notice: opens that unit's month."""
        key = period.key if isinstance(period, Period) else period
        return f"{Report.PREFIX}:open:{unit_id}:{key}"

    @staticmethod
    def takeover(unit_id: int, period: Period) -> str:
        return f"{Report.PREFIX}:takeover:{unit_id}:{period.key}"

    @staticmethod
    def amend(unit_id: int, period: Period) -> str:
        return f"{Report.PREFIX}:amend:{unit_id}:{period.key}"

    @staticmethod
    def leave() -> str:
        return f"{Report.PREFIX}:leave"

    @staticmethod
    def submit(draft_id: int, unit_id: int, period: Period) -> str:
        return f"{Report.PREFIX}:submit:{draft_id}:{unit_id}:{period.key}"

    @staticmethod
    def edit(draft_id: int) -> str:
        return f"{Report.PREFIX}:edit:{draft_id}"

    @staticmethod
    def item(draft_id: int, index: int) -> str:
        return f"{Report.PREFIX}:item:{draft_id}:{index}"

    @staticmethod
    def keep_draft(draft_id: int) -> str:
        return f"{Report.PREFIX}:keepdraft:{draft_id}"

    @staticmethod
    def discard(draft_id: int) -> str:
        return f"{Report.PREFIX}:discard:{draft_id}"

    @staticmethod
    def stop(draft_id: int, *, beside_question: bool = False) -> str:
        """⏸ Pause: beside a question it is a shortcut like the question's other buttons."""
        prefix = Report.SHORT if beside_question else Report.PREFIX
        return f"{prefix}:stop:{draft_id}"

    @staticmethod
    def shortcut(action: str, draft_id: int, step: int) -> str:
        """Beside a question (yes, no, keep, mine, same, skip, back) or a "big change" prompt
        (jumpok, jumpredo), at this step of this draft."""
        assert action in Report.QUESTION_ACTIONS | Report.JUMP_ACTIONS, action
        return f"{Report.SHORT}:{action}:{draft_id}:{step}"

    @staticmethod
    def parse(data: str) -> list[str]:
        """'!rpt:v1:keep:12:3' → ['keep', '12', '3'] (a hint only: the service re-checks it)."""
        return data.removeprefix(SHORTCUT_MARK).removeprefix(Report.PREFIX + ":").split(":")

    # Patterns, whole data.
    _P: Final = PREFIX
    _S: Final = SHORT.replace("!", r"\!")
    UNIT: Final = rf"^{_P}:unit:{NUMBER}\Z"
    PERIOD: Final = rf"^{_P}:period:{NUMBER}:{MONTH}\Z"
    TAKEOVER: Final = rf"^{_P}:takeover:{NUMBER}:{MONTH}\Z"
    AMEND: Final = rf"^{_P}:amend:{NUMBER}:{MONTH}\Z"
    LEAVE: Final = rf"^{_P}:leave\Z"
    SHORTCUT: Final = rf"^{_S}:(yes|no|keep|mine|same|skip|back):{NUMBER}:{NUMBER}\Z"
    JUMP: Final = rf"^{_S}:jump(ok|redo):{NUMBER}:{NUMBER}\Z"
    REVIEW: Final = rf"^{_P}:(submit:{NUMBER}:{NUMBER}:{MONTH}|edit:{NUMBER})\Z"
    ITEM: Final = rf"^{_P}:item:{NUMBER}:{NUMBER}\Z"
    KEEP_OR_DISCARD: Final = rf"^{_P}:(keepdraft|discard):{NUMBER}\Z"
    # Pause is a fallback in every state: its prefix is enough (the draft is looked up anyway).
    STOP: Final = f"^({_S}|{_P}):stop:"
    # Every button the conversation sends, whole: one the conversation is not waiting for (a
    # reminder's "open" button, a press after a restart lost the state) is resumed.
    ANY: Final = re.compile(
        "^("
        + "|".join(
            (
                rf"{_P}:unit:{NUMBER}",
                rf"{_P}:(period|open|takeover|amend):{NUMBER}:{MONTH}",
                rf"{_P}:leave",
                rf"{_S}:(yes|no|keep|mine|same|skip|back|jumpok|jumpredo):{NUMBER}:{NUMBER}",
                rf"{_P}:submit:{NUMBER}:{NUMBER}:{MONTH}",
                rf"{_P}:(edit|keepdraft|discard):{NUMBER}",
                rf"{_P}:item:{NUMBER}:{NUMBER}",
                rf"({_S}|{_P}):stop:{NUMBER}",
            )
        )
        + r")\Z"
    )


class Concern:
    """The worker's concern (handlers/concerns/conversation.py): ``tt:v1:<action>``."""

    PREFIX: Final = "tt:v1"
    GO: Final = f"{PREFIX}:go"  # the promise screen read
    CANCEL: Final = f"{PREFIX}:cancel"
    SEND: Final = f"{PREFIX}:send"
    SEND_PUSH: Final = f"{PREFIX}:sendpush"  # send, and push the answers to this chat
    REWRITE: Final = f"{PREFIX}:rewrite"

    @staticmethod
    def category(code: str) -> str:
        return f"{Concern.PREFIX}:cat:{code}"

    @staticmethod
    def parse(data: str) -> str:
        """The last field: a category's code, or the preview's action (send, sendpush…)."""
        return data.rsplit(":", 1)[-1]

    GO_PATTERN: Final = f"^{GO}$"
    CANCEL_PATTERN: Final = f"^{CANCEL}$"
    CATEGORY_PATTERN: Final = f"^{PREFIX}:cat:"
    PREVIEW_PATTERN: Final = f"^{PREFIX}:(send|sendpush|rewrite)$"


class Inbox:
    """The officers' inbox of concerns (handlers/concerns/inbox.py): ``hop:v1:<action>:<case>``.
    The data names the case only; the service checks the officer serves it."""

    PREFIX: Final = "hop:v1"
    CASE: Final = f"{PREFIX}:case:"  # text channels: open one case of the list
    LIST: Final = f"{PREFIX}:list"  # text channels: back to the list

    @staticmethod
    def case(concern_id: str) -> str:
        return f"{Inbox.CASE}{concern_id}"

    @staticmethod
    def reply(concern_id: str) -> str:
        return f"{Inbox.PREFIX}:reply:{concern_id}"

    @staticmethod
    def status(concern_id: str, status: str) -> str:
        return f"{Inbox.PREFIX}:st:{concern_id}:{status}"

    @staticmethod
    def escalate(concern_id: str) -> str:
        return f"{Inbox.PREFIX}:esc:{concern_id}"

    @staticmethod
    def escalate_yes(concern_id: str) -> str:
        return f"{Inbox.PREFIX}:escok:{concern_id}"

    @staticmethod
    def escalate_no(concern_id: str) -> str:
        return f"{Inbox.PREFIX}:escno:{concern_id}"

    @staticmethod
    def case_of(data: str) -> str:
        """The case a list entry opens."""
        return data.removeprefix(Inbox.CASE)

    @staticmethod
    def concern_of(data: str) -> str:
        """The case of an answer or pass-on button (its last field)."""
        return data.rsplit(":", 1)[-1]

    @staticmethod
    def status_of(data: str) -> tuple[str, str]:
        """(case, status) of a status button; ("", "") for anything else."""
        parts = data.split(":")
        return (parts[3], parts[4]) if len(parts) == 5 else ("", "")

    CASE_PATTERN: Final = rf"^{CASE}{CASE_ID}\Z"
    LIST_PATTERN: Final = rf"^{LIST}\Z"
    REPLY_PATTERN: Final = rf"^{PREFIX}:reply:{CASE_ID}\Z"
    STATUS_PATTERN: Final = rf"^{PREFIX}:st:{CASE_ID}:[a-z_]{{1,20}}\Z"
    ESCALATE_PATTERN: Final = rf"^{PREFIX}:esc:{CASE_ID}\Z"
    ESCALATE_YES_PATTERN: Final = rf"^{PREFIX}:escok:{CASE_ID}\Z"
    ESCALATE_NO_PATTERN: Final = rf"^{PREFIX}:escno:{CASE_ID}\Z"


class Digest:
    """A digest of one node and period (handlers/digests/view.py): ``dg:v1:p:<node>:<period>``.
    The node id is only a hint: the member's right to see it is checked on every press."""

    PREFIX: Final = "dg:v1"

    @staticmethod
    def show(node_id: int, period: DigestPeriod) -> str:
        return f"{Digest.PREFIX}:p:{node_id}:{period.key}"

    @staticmethod
    def parse(data: str) -> tuple[int, DigestPeriod]:
        """(node id, period); IndexError or ValueError for data in no shape the bot sends."""
        parts = data.split(":")
        return int(parts[3]), DigestPeriod.parse(parts[4])

    PATTERN: Final = f"^{PREFIX}:p:-?[0-9]{{1,9}}:"


class Language:
    """/lang's choice (handlers/common/commands.py): ``lang:v1:<vi|en>``."""

    PREFIX: Final = "lang:v1:"

    @staticmethod
    def choose(language: str) -> str:
        return Language.PREFIX + language

    @staticmethod
    def parse(data: str) -> str:
        return data.removeprefix(Language.PREFIX)

    PATTERN: Final = f"^{PREFIX}"


class Channel:
    """/kenh's choice of the app for reminders (handlers/registration/linking.py):
    ``chn:v1:<channel>``."""

    PREFIX: Final = "chn:v1:"

    @staticmethod
    def choose(channel: str) -> str:
        return Channel.PREFIX + channel

    @staticmethod
    def parse(data: str) -> str:
        return data.removeprefix(Channel.PREFIX)

    PATTERN: Final = f"^{PREFIX}"


class Registration:
    """Confirm or cancel an invite or a link code (handlers/registration/conversation.py)."""

    CONFIRM: Final = "reg:v1:yes"
    DECLINE: Final = "reg:v1:no"
    CONFIRM_PATTERN: Final = f"^{CONFIRM}$"
    DECLINE_PATTERN: Final = f"^{DECLINE}$"


class Office:
    """Administering from the chat (handlers/office/): ``ofc:v1:<action>:<fields>``. Ids are
    hints: services/office/powers.py checks, from the database, that the person may reach the
    unit or level and may do the action, on every press.

    - ``role:<o|c|a>``: /moi's choice of role (officer, committee member, administrator);
    - ``nav:<mode>:<node>:<page>``: one level of the tree (node 0: the top), while choosing a
      unit for an officer invite (``o``), a level for a committee invite (``c``) or a unit to
      reopen a month for (``u``);
    - ``pick:<mode>:<id>``: the unit (``o``, ``u``) or level (``c``) chosen;
    - ``unlock:<unit>:<month>``: reopen that month of that unit.
    """

    PREFIX: Final = "ofc:v1"
    ROLES: Final = ("o", "c", "a")
    MODES: Final = ("o", "c", "u")

    @staticmethod
    def role(role: str) -> str:
        assert role in Office.ROLES, role
        return f"{Office.PREFIX}:role:{role}"

    @staticmethod
    def nav(mode: str, node_id: int, page: int = 0) -> str:
        assert mode in Office.MODES, mode
        return f"{Office.PREFIX}:nav:{mode}:{node_id}:{page}"

    @staticmethod
    def pick(mode: str, target_id: int) -> str:
        assert mode in Office.MODES, mode
        return f"{Office.PREFIX}:pick:{mode}:{target_id}"

    @staticmethod
    def unlock(unit_id: int, period: Period) -> str:
        return f"{Office.PREFIX}:unlock:{unit_id}:{period.key}"

    @staticmethod
    def parse(data: str) -> list[str]:
        """'ofc:v1:nav:o:12:0' → ['nav', 'o', '12', '0'] (a hint only: the service re-checks)."""
        return data.removeprefix(Office.PREFIX + ":").split(":")

    ROLE: Final = rf"^{PREFIX}:role:[oca]\Z"
    NAV: Final = rf"^{PREFIX}:nav:[ocu]:{NUMBER}:[0-9]{{1,4}}\Z"
    PICK: Final = rf"^{PREFIX}:pick:[ocu]:{NUMBER}\Z"
    UNLOCK: Final = rf"^{PREFIX}:unlock:{NUMBER}:{MONTH}\Z"


class PollButtons:
    """Workers' polls (handlers/polls): ``ks:v1:<action>:<fields>``. An answer names the poll,
    the poll list it came through (a random id), the question and the option; the service
    checks that the list is the pressing chat's own before it counts anything."""

    PREFIX: Final = "ks:v1"
    SUBSCRIPTION: Final = r"[0-9a-f]{32}"

    @staticmethod
    def join(enterprise_id: int) -> str:
        """Under the concern promise screen and /khaosat: the screen of what polls keep."""
        return f"{PollButtons.PREFIX}:join:{enterprise_id}"

    @staticmethod
    def confirm(enterprise_id: int) -> str:
        return f"{PollButtons.PREFIX}:yes:{enterprise_id}"

    @staticmethod
    def answer(poll_id: int, subscription_id: str, question: int, option: int) -> str:
        return f"{PollButtons.PREFIX}:a:{poll_id}:{subscription_id}:{question}:{option}"

    @staticmethod
    def leave(subscription_id: str) -> str:
        return f"{PollButtons.PREFIX}:leave:{subscription_id}"

    @staticmethod
    def parse(data: str) -> list[str]:
        """The fields after the prefix: ``["a", poll, subscription, question, option]``…"""
        return data.removeprefix(PollButtons.PREFIX + ":").split(":")

    JOIN_PATTERN: Final = rf"^{PREFIX}:join:{NUMBER}\Z"
    CONFIRM_PATTERN: Final = rf"^{PREFIX}:yes:{NUMBER}\Z"
    ANSWER_PATTERN: Final = rf"^{PREFIX}:a:{NUMBER}:{SUBSCRIPTION}:[0-9]:[0-9]\Z"
    LEAVE_PATTERN: Final = rf"^{PREFIX}:leave:{SUBSCRIPTION}\Z"


class PollSetup:
    """An officer setting a poll (handlers/polls/create.py): ``ksm:v1:<action>``."""

    PREFIX: Final = "ksm:v1"
    MORE: Final = f"{PREFIX}:more"  # another question
    DONE: Final = f"{PREFIX}:done"  # no more questions
    EARLY_YES: Final = f"{PREFIX}:early:1"  # results visible before the close
    EARLY_NO: Final = f"{PREFIX}:early:0"
    CREATE: Final = f"{PREFIX}:create"
    CANCEL: Final = f"{PREFIX}:cancel"

    QUESTIONS_PATTERN: Final = rf"^{PREFIX}:(more|done)\Z"
    EARLY_PATTERN: Final = rf"^{PREFIX}:early:[01]\Z"
    CREATE_PATTERN: Final = rf"^{CREATE}\Z"
    CANCEL_PATTERN: Final = rf"^{CANCEL}\Z"


class Review:
    """Review by the level above (handlers/review): ``rvw:v1:<action>:<report id>``."""

    PREFIX: Final = "rvw:v1"
    ACTIONS: Final = ("ok", "back", "reopen")

    @staticmethod
    def approve(report_id: int) -> str:
        return f"{Review.PREFIX}:ok:{report_id}"

    @staticmethod
    def send_back(report_id: int) -> str:
        return f"{Review.PREFIX}:back:{report_id}"

    @staticmethod
    def reopen(report_id: int) -> str:
        return f"{Review.PREFIX}:reopen:{report_id}"

    DECIDE_PATTERN: Final = rf"^{PREFIX}:(ok|reopen):{NUMBER}\Z"
    BACK_PATTERN: Final = rf"^{PREFIX}:back:{NUMBER}\Z"

    @staticmethod
    def parse(data: str) -> tuple[str, int]:
        """(action, report id); ValueError for data in no shape the bot sends."""
        _prefix, _version, action, report_id = data.split(":")
        if action not in Review.ACTIONS:
            raise ValueError(data)
        return action, int(report_id)
