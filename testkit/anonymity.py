"""What an anonymity proof searches a dump and the logs for: everything that could name a worker."""

from __future__ import annotations

from infra.channel_updates import ChannelUser


def needles(worker: ChannelUser) -> list[str]:
    assert worker.username is not None and worker.language_code is not None
    return [
        str(worker.user_id),
        worker.username,
        worker.first_name,
        worker.last_name,
        worker.language_code,
    ]
