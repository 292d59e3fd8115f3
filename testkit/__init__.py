"""Test support shared by tests/, faults/ and benchmarks/: Bot API and Zalo stand-ins, the chat
drivers, scratch databases and the backend loop, org seeders, the scripts' command line, and the
fuzz and polling harnesses.

Only tests/, faults/ and benchmarks/ import it; application packages never do
(tests/unit/test_dependency_rule.py).

Two levels of chat driver, on purpose:

* chat.py ``Chat`` — the real Application in this process on an in-memory Bot API: each update
  is awaited and its answers come back (``send``/``press`` as text; ``send_step``/``press_step``
  through the update processor, many users at once, with times). Deterministic, on a clock the
  test moves: the tests, the throughput benchmark and the database outage script use it.
  zalo_chat.py's ``ZaloChat`` is the same level over Zalo's webhook (``send`` returns the answers).
* polling.py ``PolledChat`` — a real ``python -m bot`` in another process, polling the Bot API
  stand-in over HTTP: an update is pushed and the answer read later, when it comes. Only this
  level can kill the bot, storm its HTTP, or measure what a user waits at the other end of a
  network; it cannot return "the answer to this update", since a killed bot may answer late,
  twice or never, so its users are state machines reading what arrived (the fault scripts
  sigkill and bot_api_storm, and the latency benchmark).

What they share is the update shape (``infra.channel_updates.UpdateFactory``) and the seeders;
one interface over both would hide the very thing the second one is for.
"""
