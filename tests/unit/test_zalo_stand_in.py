"""The Zalo Bot Platform stand-in speaks the documented payloads (docs/zalo-api-notes.md)."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from testkit.zalo import (
    BOT,
    Fault,
    ZaloStandIn,
    image_update,
    sticker_update,
    text_update,
    unsupported_update,
)

USER = "6ede9afa66b88fe6d6a9"
SECRET = "s3cret-token-for-tests"
HEX20 = re.compile(r"^[0-9a-f]{20}$")
PNG = b"\x89PNG\r\n\x1a\nstand-in"


@dataclass
class Receiver:
    """A tiny local HTTP server: the bot's webhook (POST /hook, checks the secret) and an image
    host (GET /cat.png)."""

    secret: str = SECRET
    status: int = 200
    hits: list[tuple[dict[str, str], Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/cat.png":
                self._send(200, PNG, "image/png")
            else:
                self._send(404, b"not found", "text/plain")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length))
            state.hits.append((dict(self.headers.items()), body))
            if self.headers.get("X-Bot-Api-Secret-Token") != state.secret:
                self._send(401, b"bad secret", "text/plain")
            else:
                self._send(state.status, b'{"message":"Success"}', "application/json")

        def _send(self, status: int, data: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return None

    state.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    serve = state.server.serve_forever
    threading.Thread(target=serve, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield state
    state.server.shutdown()
    state.server.server_close()


@pytest.fixture
def zalo() -> Iterator[ZaloStandIn]:
    with ZaloStandIn() as stand_in:
        yield stand_in


def call(zalo: ZaloStandIn, method: str, body: Any = None) -> tuple[int, dict[str, Any]]:
    with httpx.Client(trust_env=False, timeout=10) as client:
        response = client.post(f"{zalo.api_url}/{method}", json=body or {})
    return response.status_code, response.json()


def urllib_call(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


# -- envelopes -----------------------------------------------------------------------------------


def test_get_me_and_envelopes(zalo: ZaloStandIn) -> None:
    assert call(zalo, "getMe") == (200, {"ok": True, "result": BOT})
    assert BOT["id"] == "1459232241454765289"

    assert urllib_call(f"{zalo.url}/bot123:wrong/getMe", {}) == (
        401,
        {"ok": False, "error_code": 401, "description": "Invalid token"},
    )
    assert call(zalo, "sendDocument", {"chat_id": USER}) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    assert call(zalo, "getme")[0] == 404  # method names are case-sensitive
    assert [name for name, _ in zalo.calls] == ["getMe", "sendDocument", "getme"]


def test_get_me_over_get_without_body(zalo: ZaloStandIn) -> None:
    with httpx.Client(trust_env=False) as client:
        response = client.get(f"{zalo.api_url}/getMe")
    assert response.json() == {"ok": True, "result": BOT}


# -- getUpdates ----------------------------------------------------------------------------------


def test_get_updates_times_out_with_408_in_http_200(zalo: ZaloStandIn) -> None:
    started = time.monotonic()
    status, body = call(zalo, "getUpdates", {"timeout": "30"})
    assert time.monotonic() - started < 3  # capped at about a second
    assert (status, body) == (
        200,
        {"ok": False, "error_code": 408, "description": "Request timeout"},
    )


def test_get_updates_returns_one_object_per_call(zalo: ZaloStandIn) -> None:
    first, second = text_update(USER, "một"), text_update(USER, "hai")
    zalo.push(first)
    zalo.push(second)
    assert call(zalo, "getUpdates", {"timeout": "30"}) == (200, {"ok": True, "result": first})
    assert zalo.pending_updates() == 1
    # A number works too.
    assert call(zalo, "getUpdates", {"timeout": 30}) == (200, {"ok": True, "result": second})
    assert call(zalo, "getUpdates", {"timeout": 0})[1]["error_code"] == 408


def test_get_updates_wakes_on_push(zalo: ZaloStandIn) -> None:
    update = text_update(USER, "xin chào")
    threading.Timer(0.2, zalo.push, args=(update,)).start()
    assert call(zalo, "getUpdates", {"timeout": "30"})[1] == {"ok": True, "result": update}


def test_poll_timeout_status_can_be_408(zalo: ZaloStandIn) -> None:
    zalo.poll_timeout_status = 408
    status, body = call(zalo, "getUpdates", {"timeout": "0"})
    assert status == 408 and body["description"] == "Request timeout"


# -- sendMessage ---------------------------------------------------------------------------------


def test_send_message_only_to_chats_that_wrote(zalo: ZaloStandIn) -> None:
    status, body = call(zalo, "sendMessage", {"chat_id": USER, "text": "hi"})
    assert status == 400 and body["ok"] is False and body["error_code"] == 400
    assert zalo.messages(USER) == []

    zalo.push(text_update(USER, "chào bot"))
    status, body = call(zalo, "sendMessage", {"chat_id": USER, "text": "Chào Lan"})
    assert status == 200 and body["ok"] is True
    assert HEX20.match(body["result"]["message_id"])
    assert abs(body["result"]["date"] - time.time() * 1000) < 60_000  # milliseconds
    assert zalo.messages(USER) == ["Chào Lan"]

    status, body = call(zalo, "sendMessage", {"text": "x"})
    assert (status, body["description"]) == (400, "Bad request: The chat_id must not be empty")


def test_send_message_text_is_1_to_2000_characters(zalo: ZaloStandIn) -> None:
    zalo.add_chat(USER)
    # Characters, not bytes or UTF-16 units: 2000 emoji are 8000 bytes and 4000 UTF-16 units.
    for text in ("ư" * 2000, "😀" * 2000):
        assert call(zalo, "sendMessage", {"chat_id": USER, "text": text})[0] == 200
    assert call(zalo, "sendMessage", {"chat_id": USER, "text": "a" * 2001}) == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad request: text too long"},
    )
    assert call(zalo, "sendMessage", {"chat_id": USER, "text": ""})[0] == 400
    assert len(zalo.messages(USER)) == 2


def test_send_message_parse_mode(zalo: ZaloStandIn) -> None:
    zalo.add_chat(USER)
    body = {"chat_id": USER, "text": "*đậm*", "parse_mode": "markdown"}
    assert call(zalo, "sendMessage", body)[0] == 200
    assert call(zalo, "sendMessage", {**body, "parse_mode": "MarkdownV2"})[0] == 400


# -- other sends ---------------------------------------------------------------------------------


def test_chat_action_and_sticker(zalo: ZaloStandIn) -> None:
    zalo.push(sticker_update(USER))
    assert call(zalo, "sendChatAction", {"chat_id": USER, "action": "typing"}) == (
        200,
        {"ok": True},
    )
    assert call(zalo, "sendChatAction", {"chat_id": USER, "action": "upload_photo"})[0] == 400
    status, body = call(zalo, "sendSticker", {"chat_id": USER, "sticker": "0e078a2fb66a5f34067b"})
    assert status == 200 and HEX20.match(body["result"]["message_id"])
    assert zalo.chat_actions == [(USER, "typing")]
    assert zalo.stickers == [(USER, "0e078a2fb66a5f34067b")]


def test_send_photo_fetches_the_url(zalo: ZaloStandIn, receiver: Receiver) -> None:
    zalo.push(image_update(USER, "https://example.invalid/x.jpg", caption="ảnh"))
    url = f"{receiver.url}/cat.png"
    status, body = call(zalo, "sendPhoto", {"chat_id": USER, "photo": url, "caption": "Mèo"})
    assert status == 200 and HEX20.match(body["result"]["message_id"])
    assert zalo.photos == [(USER, url, "Mèo", PNG)]

    status, body = call(zalo, "sendPhoto", {"chat_id": USER, "photo": f"{receiver.url}/nope"})
    assert (status, body["description"]) == (400, "Bad request: photo url unreachable")
    outside = {"chat_id": USER, "photo": "https://example.com/cat.png"}
    assert call(zalo, "sendPhoto", outside)[0] == 400
    long_caption = {"chat_id": USER, "photo": url, "caption": "a" * 2001}
    assert call(zalo, "sendPhoto", long_caption)[0] == 400
    assert len(zalo.photos) == 1


# -- webhook -------------------------------------------------------------------------------------


def test_set_webhook_validates(zalo: ZaloStandIn, receiver: Receiver) -> None:
    hook = f"{receiver.url}/hook"
    assert call(zalo, "setWebhook", {"url": hook})[0] == 400
    assert call(zalo, "setWebhook", {"secret_token": SECRET})[0] == 400
    assert call(zalo, "setWebhook", {"url": hook, "secret_token": "short"})[0] == 400
    assert call(zalo, "setWebhook", {"url": hook, "secret_token": "x" * 257})[0] == 400
    assert zalo.webhook_url is None
    assert call(zalo, "getWebhookInfo")[1]["result"] == {"url": "", "updated_at": 0}
    zalo.webhook_info_404_when_never_set = True
    assert call(zalo, "getWebhookInfo")[0] == 404


def test_webhook_delivery(zalo: ZaloStandIn, receiver: Receiver) -> None:
    hook = f"{receiver.url}/hook"
    status, body = call(zalo, "setWebhook", {"url": hook, "secret_token": SECRET})
    assert status == 200 and body["result"]["url"] == hook
    assert isinstance(body["result"]["updated_at"], int)
    assert call(zalo, "getWebhookInfo")[1]["result"]["url"] == hook
    assert call(zalo, "getUpdates", {"timeout": "30"})[0] == 409

    bare, wrapped = text_update(USER, "một"), text_update(USER, "hai")
    zalo.push(bare)
    zalo.push(wrapped, wrapped=True)
    assert zalo.wait_for_deliveries(2, timeout=10) == [(bare, 200), (wrapped, 200)]
    assert zalo.pending_updates() == 0
    (headers, first), (_, second) = receiver.hits
    assert headers["X-Bot-Api-Secret-Token"] == SECRET
    assert headers["Content-Type"] == "application/json"
    assert first == bare
    assert second == {"ok": True, "result": wrapped}
    # The chat wrote through the webhook, so the bot may answer it.
    assert call(zalo, "sendMessage", {"chat_id": USER, "text": "ok"})[0] == 200

    assert zalo.post_webhook(text_update(USER, "giả"), secret="wrong-secret") == 401
    assert zalo.post_webhook(text_update(USER, "thật")) == 200
    receiver.status = 500
    zalo.push(text_update(USER, "ba"))
    assert zalo.wait_for_deliveries(3, timeout=10)[-1][1] == 500

    status, body = call(zalo, "deleteWebhook")
    assert status == 200 and body["result"]["url"] == ""
    assert call(zalo, "getWebhookInfo")[1]["result"]["url"] == ""
    update = text_update(USER, "polling again")
    zalo.push(update)
    assert call(zalo, "getUpdates", {"timeout": "30"})[1] == {"ok": True, "result": update}


# -- faults --------------------------------------------------------------------------------------


def test_fail_next(zalo: ZaloStandIn) -> None:
    zalo.add_chat(USER)
    zalo.fail_next("sendMessage", "429", times=2)
    zalo.fail_next("getMe", "500")
    quota = (429, {"ok": False, "error_code": 429, "description": "Quota exceeded"})
    assert call(zalo, "sendMessage", {"chat_id": USER, "text": "a"}) == quota
    assert call(zalo, "sendMessage", {"chat_id": USER, "text": "a"}) == quota
    assert call(zalo, "sendMessage", {"chat_id": USER, "text": "a"})[0] == 200
    assert call(zalo, "getMe")[0] == 500
    assert call(zalo, "getMe")[0] == 200
    assert zalo.messages(USER) == ["a"]
    assert zalo.injected == {"429": 2, "500": 1}
    assert len(zalo.wait_for("sendMessage", 3, timeout=1)) == 3

    zalo.fail_next("getMe", "429html")
    with httpx.Client(trust_env=False) as client:
        response = client.post(f"{zalo.api_url}/getMe", json={})
    assert response.status_code == 429 and "nginx" in response.text


def test_hang(zalo: ZaloStandIn) -> None:
    zalo.add_chat(USER)
    zalo.fail_next("sendMessage", "hang", seconds=5)
    with pytest.raises(httpx.ReadTimeout), httpx.Client(trust_env=False, timeout=0.3) as client:
        client.post(f"{zalo.api_url}/sendMessage", json={"chat_id": USER, "text": "lost"})
    assert zalo.messages(USER) == []

    zalo.fail_next("sendMessage", "hang", seconds=0.3, deliver=True)
    started = time.monotonic()
    status, _ = call(zalo, "sendMessage", {"chat_id": USER, "text": "late"})
    assert status == 200 and time.monotonic() - started >= 0.3
    assert zalo.messages(USER) == ["late"]


def test_fault_policy(zalo: ZaloStandIn) -> None:
    zalo.fault = lambda method, params: Fault("502") if method == "getMe" else None
    assert call(zalo, "getMe")[0] == 502
    assert call(zalo, "getWebhookInfo")[0] == 200


def test_wait_for_and_clear(zalo: ZaloStandIn) -> None:
    threading.Timer(0.1, call, args=(zalo, "getMe")).start()
    assert zalo.wait_for("getMe", timeout=5) == [{}]
    with pytest.raises(TimeoutError):
        zalo.wait_for("getMe", count=2, timeout=0.2)
    zalo.add_chat(USER)
    call(zalo, "sendMessage", {"chat_id": USER, "text": "a"})
    zalo.clear()
    assert zalo.calls == [] and zalo.messages(USER) == []
    assert USER in zalo.known_chats  # state stays


# -- update builders -----------------------------------------------------------------------------


def test_updates_are_shaped_like_zalo() -> None:
    update = text_update(USER, "Xin chào", name="Ted")
    assert update["event_name"] == "message.text.received"
    message = update["message"]
    assert message["from"] == {"id": USER, "display_name": "Ted", "is_bot": False}
    assert message["chat"] == {"id": USER, "chat_type": "PRIVATE"}
    assert message["text"] == "Xin chào"
    assert HEX20.match(message["message_id"])
    assert abs(message["date"] - time.time() * 1000) < 60_000
    assert list(message) == ["from", "chat", "text", "message_id", "date"]
    assert text_update(USER, "x", message_id="2d758cb5e222177a4e35")["message"]["message_id"] == (
        "2d758cb5e222177a4e35"
    )

    image = image_update(USER, "https://x/y.jpg", caption="c")
    assert image["event_name"] == "message.image.received"
    assert (image["message"]["photo_url"], image["message"]["caption"]) == ("https://x/y.jpg", "c")
    assert "caption" not in image_update(USER, "https://x/y.jpg")["message"]

    sticker = sticker_update(USER, sticker="abc", url="https://x/s.png")["message"]
    assert (sticker["sticker"], sticker["url"]) == ("abc", "https://x/s.png")

    unsupported = unsupported_update(USER)
    assert unsupported["event_name"] == "message.unsupported.received"
    assert set(unsupported["message"]) == {"from", "chat", "message_id", "date"}

    group = text_update(USER, "@bot hi", chat_type="GROUP", chat_id="0123456789abcdef0123")
    assert group["message"]["chat"] == {"id": "0123456789abcdef0123", "chat_type": "GROUP"}
    with pytest.raises(ValueError):
        text_update(USER, "x", chat_type="GROUP")
