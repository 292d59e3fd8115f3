"""The retention job is part of the running bot, not only a function the tests call."""

from __future__ import annotations

from datetime import timedelta

from testkit.chat import Chat


async def test_the_retention_job_runs_every_hour(chat: Chat) -> None:
    assert chat.app.job_queue is not None
    (job,) = chat.app.job_queue.get_jobs_by_name("retention")
    assert job.job.trigger.interval == timedelta(hours=1)
