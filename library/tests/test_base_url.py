"""One base-URL rule for library and CLI, and plain http beyond loopback only by opt-in.

Nothing here connects anywhere: the clients are built, not used, and the CLI's client
factory is replaced by one that records what it was given.
"""

from __future__ import annotations

import secrets
import socket
from typing import TYPE_CHECKING, Any

import pytest

from kucoin_futures import (
    PRODUCTION_BASE_URL,
    ConfigurationError,
    Credentials,
    futures_client,
    set_margin_mode,
)
from kucoin_futures._client import is_loopback_host
from kucoin_futures.cli import main

if TYPE_CHECKING:
    from kucoin_futures_mock import RunningMock


def credentials() -> Credentials:
    return Credentials("k", secrets.token_urlsafe(), secrets.token_urlsafe())


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("KUCOIN_FUTURES_BASE_URL", "KUCOIN_FUTURES_ALLOW_HTTP"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# ---- the library -----------------------------------------------------------------------


def test_production_only_when_nothing_was_given(environ: pytest.MonkeyPatch) -> None:
    assert futures_client(credentials())._base_url == PRODUCTION_BASE_URL


def test_the_environment_is_used_when_no_argument_is_given(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("KUCOIN_FUTURES_BASE_URL", "http://127.0.0.1:8080")
    assert futures_client(credentials())._base_url == "http://127.0.0.1:8080"


def test_the_argument_wins_over_the_environment(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("KUCOIN_FUTURES_BASE_URL", "http://127.0.0.1:8080")
    client = futures_client(credentials(), base_url="https://futures.example")
    assert client._base_url == "https://futures.example"


@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_an_empty_argument_is_an_error_not_production(
    environ: pytest.MonkeyPatch, value: str
) -> None:
    environ.setenv("KUCOIN_FUTURES_BASE_URL", "http://127.0.0.1:8080")
    with pytest.raises(ConfigurationError, match=r"^base_url is empty"):
        futures_client(credentials(), base_url=value)


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_variable_is_an_error_naming_it(environ: pytest.MonkeyPatch, value: str) -> None:
    environ.setenv("KUCOIN_FUTURES_BASE_URL", value)
    with pytest.raises(ConfigurationError, match=r"^environment variable KUCOIN_FUTURES_BASE_URL"):
        futures_client(credentials())


def test_a_url_with_spaces_around_it_is_an_error(environ: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="spaces around"):
        futures_client(credentials(), base_url=" https://futures.example")


@pytest.mark.parametrize(
    "url", ["http://mock:8080", "http://api-futures.kucoin.com", "http://10.0.0.5:8080"]
)
def test_plain_http_beyond_loopback_is_refused_naming_the_opt_in(
    environ: pytest.MonkeyPatch, url: str
) -> None:
    with pytest.raises(ConfigurationError, match="allow_http=True or KUCOIN_FUTURES_ALLOW_HTTP=1"):
        futures_client(credentials(), base_url=url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:1", "http://127.255.0.9:1", "http://localhost:1", "http://[::1]:1"]
)
def test_all_of_loopback_needs_no_opt_in(environ: pytest.MonkeyPatch, url: str) -> None:
    assert futures_client(credentials(), base_url=url)._base_url == url


def test_the_opt_in_by_argument(environ: pytest.MonkeyPatch) -> None:
    client = futures_client(credentials(), base_url="http://mock:8080", allow_http=True)
    assert client._base_url == "http://mock:8080"


@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
def test_the_opt_in_by_environment(environ: pytest.MonkeyPatch, value: str) -> None:
    environ.setenv("KUCOIN_FUTURES_ALLOW_HTTP", value)
    environ.setenv("KUCOIN_FUTURES_BASE_URL", "http://mock:8080")
    assert futures_client(credentials())._base_url == "http://mock:8080"


def test_the_argument_false_overrides_the_environment(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("KUCOIN_FUTURES_ALLOW_HTTP", "1")
    with pytest.raises(ConfigurationError, match="in clear"):
        futures_client(credentials(), base_url="http://mock:8080", allow_http=False)


@pytest.mark.parametrize("value", ["0", "no", ""])
def test_a_no_in_the_environment_keeps_the_refusal(environ: pytest.MonkeyPatch, value: str) -> None:
    environ.setenv("KUCOIN_FUTURES_ALLOW_HTTP", value)
    with pytest.raises(ConfigurationError, match="in clear"):
        futures_client(credentials(), base_url="http://mock:8080")


def test_an_unclear_opt_in_is_an_error(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("KUCOIN_FUTURES_ALLOW_HTTP", "maybe")
    with pytest.raises(
        ConfigurationError, match="KUCOIN_FUTURES_ALLOW_HTTP must be 1, true, yes or on"
    ):
        futures_client(credentials(), base_url="https://futures.example")


# ---- the CLI: the same rule, read from its environment ----------------------------------

CREDENTIALS_ENV = {"KUCOIN_API_KEY": "k", "KUCOIN_API_SECRET": "s", "KUCOIN_API_PASSPHRASE": "p"}


class Sent(BaseException):  # not an Exception: the CLI turns those into exit 3
    """Raised by the recording factory: the CLI got as far as building a client."""


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    from kucoin_futures import _client

    recorded: dict[str, Any] = {}

    def recording(*_args: Any, **kwargs: Any) -> Any:
        recorded.update(kwargs)
        raise Sent

    monkeypatch.setattr(_client, "futures_client", recording)
    return recorded


def cli(argv: list[str], env: dict[str, str]) -> int:
    try:
        return main(["get", "XBTUSDTM", *argv], environ={**CREDENTIALS_ENV, **env})
    except Sent:
        return -1


@pytest.mark.parametrize(
    ("argv", "env", "url"),
    [
        ([], {}, PRODUCTION_BASE_URL),
        ([], {"KUCOIN_FUTURES_BASE_URL": "http://127.0.0.1:9"}, "http://127.0.0.1:9"),
        (
            ["--base-url", "https://a.example"],
            {"KUCOIN_FUTURES_BASE_URL": "http://127.0.0.1:9"},
            "https://a.example",
        ),
    ],
    ids=["nothing", "environment", "argument"],
)
def test_the_cli_takes_the_url_by_the_same_rule(
    built: dict[str, Any], argv: list[str], env: dict[str, str], url: str
) -> None:
    assert cli(argv, env) == -1
    assert built["base_url"] == url


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--base-url", ""], {}, "--base-url is empty"),
        (
            ["--base-url", " "],
            {"KUCOIN_FUTURES_BASE_URL": "http://127.0.0.1:9"},
            "--base-url is empty",
        ),
        (
            [],
            {"KUCOIN_FUTURES_BASE_URL": ""},
            "environment variable KUCOIN_FUTURES_BASE_URL is empty",
        ),
        ([], {"KUCOIN_FUTURES_ALLOW_HTTP": "perhaps"}, "KUCOIN_FUTURES_ALLOW_HTTP must be 1"),
    ],
)
def test_an_empty_url_in_the_cli_exits_2_naming_where_it_came_from(
    built: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    env: dict[str, str],
    message: str,
) -> None:
    assert cli(argv, env) == 2
    assert not built  # no client was even built
    assert message in capsys.readouterr().err


def test_the_cli_refuses_plain_http_beyond_loopback_naming_the_opt_in(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli(["--base-url", "http://mock:8080"], {}) == 2
    assert "KUCOIN_FUTURES_ALLOW_HTTP=1" in capsys.readouterr().err


def test_the_cli_passes_the_opt_in_from_its_environment(built: dict[str, Any]) -> None:
    assert cli(["--base-url", "http://mock:8080"], {"KUCOIN_FUTURES_ALLOW_HTTP": "1"}) == -1
    assert built["allow_http"] is True
    assert built["base_url"] == "http://mock:8080"


# ---- end to end, by a name that is not `localhost` but stays on this machine -----------


def loopback_host_name() -> str | None:
    """This machine's host name, if every address it resolves to is loopback."""
    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)}
    except OSError:
        return None
    on_loopback = addresses and all(is_loopback_host(str(address)) for address in addresses)
    return name if name and not is_loopback_host(name) and on_loopback else None


HOST_NAME = loopback_host_name()


@pytest.mark.skipif(
    HOST_NAME is None,
    reason="this machine's host name does not resolve to loopback only: no name other "
    "than localhost is sure to keep the traffic on this machine",
)
def test_the_opt_in_reaches_a_mock_by_a_name_and_only_with_it(
    environ: pytest.MonkeyPatch, kucoin_mock: RunningMock
) -> None:
    assert HOST_NAME is not None
    url = kucoin_mock.base_url.replace("127.0.0.1", HOST_NAME, 1)
    with pytest.raises(ConfigurationError, match="KUCOIN_FUTURES_ALLOW_HTTP=1"):
        futures_client(kucoin_mock.credentials, base_url=url)
    with futures_client(kucoin_mock.credentials, base_url=url, allow_http=True) as client:
        outcome = set_margin_mode(client, "ISOLATED", ["ETHUSDTM"])
    assert outcome.switched == {"ETHUSDTM": "ISOLATED"}
    assert kucoin_mock.mock.recent_requests[-1].headers["host"].startswith(HOST_NAME)


@pytest.mark.parametrize("value", ["false", "no", 1, "1"])
def test_allow_http_must_be_a_bool(environ: pytest.MonkeyPatch, value: object) -> None:
    with pytest.raises(ConfigurationError, match="allow_http must be True or False"):
        futures_client(credentials(), base_url="http://mock:8080", allow_http=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [123, b"http://127.0.0.1:1"])
def test_a_base_url_that_is_not_a_string_is_named_so(
    environ: pytest.MonkeyPatch, value: object
) -> None:
    with pytest.raises(ConfigurationError, match="base_url must be a string"):
        futures_client(credentials(), base_url=value)  # type: ignore[arg-type]


def test_a_proxy_from_the_environment_never_carries_plain_http_to_loopback(
    environ: pytest.MonkeyPatch,
) -> None:
    # The proxy "listening" here is a port nothing listens on: had the request gone
    # through it, the call would fail to connect instead of reaching the mock.
    from . import hostile

    success = b'{"code":"200000","data":{"marginMode":{"XBTUSDTM":"ISOLATED"},"errors":[]}}'
    headers = {"gw-ratelimit-limit": "1", "gw-ratelimit-remaining": "1", "gw-ratelimit-reset": "1"}
    with hostile.serving(hostile.reply(success, headers=headers)) as server:
        environ.setenv("HTTP_PROXY", "http://127.0.0.1:9")
        environ.setenv("ALL_PROXY", "http://127.0.0.1:9")
        with futures_client(credentials(), base_url=server.base_url, retry=None) as client:
            outcome = set_margin_mode(client, "ISOLATED", ["XBTUSDTM"])
        assert outcome.all_switched
        assert len(server.requests) == 1
