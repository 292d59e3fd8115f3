"""Anonymous polls of workers (issue 17): the contract is docs/polls.md.

One module per use case: ``definition`` (polls and who may set them), ``subscriptions`` (poll
lists holding sealed addresses only), ``answers`` (keyed ballots, answers without their ballot),
``results`` (suppressed counts), ``fanout`` (exactly-once sending of polls and results);
``keys`` holds the cryptography on top of services/anonymity.py.
"""

from services.polls.answers import answer, my_choice, release_answers
from services.polls.definition import (
    MAX_OPTIONS,
    MAX_QUESTIONS,
    PollDraft,
    PollView,
    Question,
    Text,
    audience_by_code,
    create_poll,
    enterprise_name,
    enterprises_of,
    get_poll,
    list_polls,
    may_poll,
    may_poll_somewhere,
)
from services.polls.errors import (
    BadDates,
    BadPoll,
    NotAllowedToPoll,
    NotSubscribed,
    PollError,
    PollNotOpen,
)
from services.polls.fanout import (
    PollDue,
    ResultDue,
    delivery_failed,
    take_deliveries,
    take_results,
)
from services.polls.keys import Choice
from services.polls.results import (
    AreaResult,
    Cell,
    EnterpriseResult,
    PollInPeriod,
    PollResults,
    closed_between,
    poll_listed,
    poll_results,
    polls_listed,
    polls_overlapping,
    respondents_of,
)
from services.polls.subscriptions import (
    drop_subscription,
    is_subscribed,
    subscribe,
    subscription_of,
    unsubscribe,
)

__all__ = [
    "MAX_OPTIONS",
    "MAX_QUESTIONS",
    "AreaResult",
    "BadDates",
    "BadPoll",
    "Cell",
    "Choice",
    "EnterpriseResult",
    "NotAllowedToPoll",
    "NotSubscribed",
    "PollDraft",
    "PollDue",
    "PollError",
    "PollInPeriod",
    "PollNotOpen",
    "PollResults",
    "PollView",
    "Question",
    "ResultDue",
    "Text",
    "answer",
    "audience_by_code",
    "closed_between",
    "create_poll",
    "delivery_failed",
    "drop_subscription",
    "enterprise_name",
    "enterprises_of",
    "get_poll",
    "is_subscribed",
    "list_polls",
    "may_poll",
    "may_poll_somewhere",
    "my_choice",
    "poll_listed",
    "poll_results",
    "polls_listed",
    "polls_overlapping",
    "release_answers",
    "respondents_of",
    "subscribe",
    "subscription_of",
    "take_deliveries",
    "take_results",
    "unsubscribe",
]
