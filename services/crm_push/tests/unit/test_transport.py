"""ProviderHttp: failure kinds, Retry-After parsing, what the push log keeps."""

import email.utils
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pytest

from crm_push.providers.transport import (
    LOGGED_BODY_CHARS,
    QUOTA_CODE,
    FailureKind,
    NoAuth,
    ProviderError,
    ProviderHttp,
    StaticAuth,
    retry_after_seconds,
)

Handler = Callable[[httpx.Request], httpx.Response]


def transport(handler: Handler, **options: Any) -> ProviderHttp:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    auth = options.pop("auth", StaticAuth({"Authorization": "Bearer sekret-token"}))
    return ProviderHttp(client=client, base_url="https://crm.example/", auth=auth, **options)


def answering(status: int, body: Any = None, headers: Mapping[str, str] | None = None) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers)

    return handler


async def failure(http: ProviderHttp, method: str = "GET") -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await http.request("thing.read", method, "/things", json={} if method != "GET" else None)
    return caught.value


class TestRetryAfter:
    def test_seconds(self) -> None:
        assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "3"})) == 3.0

    def test_an_http_date(self) -> None:
        now = 1_800_000_000.0
        header = email.utils.formatdate(now + 7, usegmt=True)

        waited = retry_after_seconds(httpx.Response(429, headers={"Retry-After": header}), now)

        assert waited == 7.0

    def test_a_date_in_the_past_is_no_wait(self) -> None:
        header = email.utils.formatdate(1_000_000_000, usegmt=True)

        assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": header})) == 0.0

    def test_closes_ratelimit_reset(self) -> None:
        headers = {"RateLimit": "limit=60, remaining=0, reset=4.5"}

        assert retry_after_seconds(httpx.Response(429, headers=headers)) == 4.5

    def test_retry_after_wins_over_ratelimit(self) -> None:
        headers = {"Retry-After": "2", "RateLimit": "limit=60, remaining=0, reset=9"}

        assert retry_after_seconds(httpx.Response(429, headers=headers)) == 2.0

    @pytest.mark.parametrize(
        "headers",
        [
            {},
            {"Retry-After": "soon"},
            {"RateLimit": "limit=60, remaining=0"},
            {"RateLimit": "reset=later"},
        ],
    )
    def test_nothing_usable_is_none(self, headers: dict[str, str]) -> None:
        assert retry_after_seconds(httpx.Response(429, headers=headers)) is None


class TestKinds:
    @pytest.mark.parametrize(
        ("status", "kind"),
        [
            (429, FailureKind.RATE_LIMITED),
            (500, FailureKind.UNAVAILABLE),
            (502, FailureKind.UNAVAILABLE),
            (503, FailureKind.UNAVAILABLE),
            (408, FailureKind.UNAVAILABLE),
            (401, FailureKind.UNAUTHORIZED),
            (403, FailureKind.UNAUTHORIZED),
            (400, FailureKind.REJECTED),
            (404, FailureKind.REJECTED),
            (409, FailureKind.REJECTED),
            (422, FailureKind.REJECTED),
        ],
    )
    async def test_status_to_kind(self, status: int, kind: FailureKind) -> None:
        error = await failure(transport(answering(status, {"message": "no", "code": "x"})))

        assert (error.kind, error.status, error.code) == (kind, status, "x")
        assert error.retryable == (kind in (FailureKind.RATE_LIMITED, FailureKind.UNAVAILABLE))

    async def test_a_429_carries_retry_after(self) -> None:
        http = transport(answering(429, {"message": "slow down"}, {"Retry-After": "5"}))

        error = await failure(http)

        assert (error.kind, error.retry_after) == (FailureKind.RATE_LIMITED, 5.0)

    async def test_a_quota_code_is_exhausted(self) -> None:
        def reader(response: httpx.Response, body: Any) -> tuple[str | None, str]:
            return QUOTA_CODE, "daily limit"

        http = transport(answering(429, {}, {"Retry-After": "5"}), error_reader=reader)

        error = await failure(http)

        assert error.kind is FailureKind.QUOTA_EXHAUSTED
        assert not error.retryable

    async def test_a_conflict_the_provider_calls_retryable_is_retried(self) -> None:
        http = transport(answering(409, {"code": "conflict_error", "message": "try again"}))

        error = await failure(http)

        assert (error.kind, error.retryable) == (FailureKind.UNAVAILABLE, True)

    async def test_a_5xx_on_a_write_is_uncertain_on_a_read_not(self) -> None:
        http = transport(answering(502, {"message": "bad gateway"}))

        assert (await failure(http, "POST")).uncertain
        assert not (await failure(http, "GET")).uncertain
        assert not (await failure(transport(answering(400, {})), "POST")).uncertain

    async def test_a_timeout_is_unavailable_and_uncertain_for_writes(self) -> None:
        def slow(request: httpx.Request) -> httpx.Response:
            raise httpx.ReadTimeout("timed out", request=request)

        http = transport(slow)

        write, read = await failure(http, "PATCH"), await failure(http, "GET")

        assert (write.kind, write.code, write.uncertain) == (
            FailureKind.UNAVAILABLE,
            "timeout",
            True,
        )
        assert (read.code, read.uncertain) == ("timeout", False)
        assert http.calls[0].error_code == "timeout"
        assert http.calls[0].status is None

    async def test_a_refused_connection_is_unavailable(self) -> None:
        def refused(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("connection refused", request=request)

        error = await failure(transport(refused))

        assert (error.kind, error.code) == (FailureKind.UNAVAILABLE, "connection_error")

    async def test_a_401_is_retried_once_when_the_credentials_say_so(self) -> None:
        class Refreshing:
            def __init__(self) -> None:
                self.token = "old"

            async def headers(self) -> Mapping[str, str]:
                return {"Authorization": f"Bearer {self.token}"}

            async def after_unauthorized(self) -> bool:
                self.token = "new"
                return True

        def handler(request: httpx.Request) -> httpx.Response:
            ok = request.headers["authorization"] == "Bearer new"
            return httpx.Response(200 if ok else 401, json={"ok": ok})

        http = transport(handler, auth=Refreshing())

        assert await http.request("thing.read", "GET", "/things") == {"ok": True}
        assert [c.status for c in http.calls] == [401, 200]

    async def test_a_second_401_is_unauthorized(self) -> None:
        class AlwaysHopeful(NoAuth):
            async def after_unauthorized(self) -> bool:
                return True

        http = transport(answering(401, {"message": "expired"}), auth=AlwaysHopeful())

        error = await failure(http)

        assert error.kind is FailureKind.UNAUTHORIZED
        assert len(http.calls) == 2

    async def test_an_empty_or_text_answer_decodes(self) -> None:
        empty = transport(lambda request: httpx.Response(204))
        text = transport(lambda request: httpx.Response(200, text="plain"))

        assert await empty.request("thing.delete", "DELETE", "/things/1") is None
        assert await text.request("thing.read", "GET", "/things") == "plain"

    async def test_no_auth_sends_no_credentials(self) -> None:
        seen: list[httpx.Headers] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request.headers)
            return httpx.Response(200, json={})

        await transport(handler, auth=NoAuth()).request("token", "POST", "/token", data={"a": "b"})

        assert "authorization" not in seen[0]


class TestLog:
    async def test_secret_fields_are_redacted_in_both_bodies(self) -> None:
        answer = {"access_token": "at-1", "items": [{"api_key": "k-1", "name": "ok"}]}
        http = transport(answering(200, answer))

        await http.request(
            "thing.create",
            "POST",
            "/things",
            json={"client_secret": "s-1", "nested": {"password": "p-1"}, "name": "Jane"},
        )

        [call] = http.calls
        assert call.request_body == {
            "client_secret": "[redacted]",
            "nested": {"password": "[redacted]"},
            "name": "Jane",
        }
        assert call.response_body == {
            "access_token": "[redacted]",
            "items": [{"api_key": "[redacted]", "name": "ok"}],
        }
        assert "sekret-token" not in repr(call)

    async def test_logged_request_replaces_a_form_body(self) -> None:
        http = transport(answering(200, {}))

        await http.request(
            "oauth.token", "POST", "/token", data={"code": "c-1"}, logged_request={"code": "[x]"}
        )

        assert http.calls[0].request_body == {"code": "[x]"}

    async def test_logged_path_hides_a_token_in_the_path(self) -> None:
        http = transport(answering(404, {"message": "gone"}))

        with pytest.raises(ProviderError) as caught:
            await http.request("token.read", "GET", "/tokens/t-123", logged_path="/tokens/[x]")

        assert http.calls[0].path == "/tokens/[x]"
        assert "t-123" not in caught.value.message

    async def test_a_big_body_is_cut(self) -> None:
        big = {"notes": "x" * (LOGGED_BODY_CHARS * 2)}
        http = transport(answering(200, big))

        await http.request("thing.create", "POST", "/things", json=big)

        [call] = http.calls
        for body in (call.request_body, call.response_body):
            assert body["truncated"] is True
            assert len(body["text"]) == LOGGED_BODY_CHARS
            assert body["text"].startswith('{"notes":"xxx')

    async def test_a_small_body_is_kept_as_is(self) -> None:
        http = transport(answering(201, {"id": "7"}))

        await http.request("thing.create", "POST", "/things", json={"name": "n"})

        [call] = http.calls
        assert (call.request_body, call.response_body, call.status) == (
            {"name": "n"},
            {"id": "7"},
            201,
        )

    async def test_an_error_is_recorded_with_code_and_message(self) -> None:
        http = transport(answering(400, {"code": "validation_error", "message": "bad field"}))

        await failure(http, "POST")

        [call] = http.calls
        assert (call.status, call.error_code, call.error_message) == (
            400,
            "validation_error",
            "bad field",
        )

    async def test_take_calls_hands_over_and_starts_again(self) -> None:
        http = transport(answering(200, {}))
        await http.request("a", "GET", "/a")

        taken = http.take_calls()
        await http.request("b", "GET", "/b")

        assert [c.operation for c in taken] == ["a"]
        assert [c.operation for c in http.calls] == ["b"]
        assert taken[0].path == "/a"
