"""Credentials from the environment, and secrets that never leak."""

from __future__ import annotations

import copy
import logging
import pickle
import secrets

import attrs
import httpx
import pytest

from kucoin_futures import futures_client
from kucoin_futures_auth import (
    ConfigurationError,
    Credentials,
    KucoinAuth,
    KucoinError,
)

ENV = {
    "KUCOIN_API_KEY": "env-key",
    "KUCOIN_API_SECRET": "env-secret",
    "KUCOIN_API_PASSPHRASE": "env-pp",
}


def test_from_env_reads_the_documented_variables() -> None:
    creds = Credentials.from_env(ENV)
    assert (creds.key, creds.secret, creds.passphrase, creds.key_version) == (
        "env-key",
        "env-secret",
        "env-pp",
        3,
    )
    assert Credentials.from_env({**ENV, "KUCOIN_API_KEY_VERSION": "2"}).key_version == 2


@pytest.mark.parametrize("missing", sorted(ENV))
def test_a_missing_variable_is_named_and_no_value_is_shown(missing: str) -> None:
    env = {k: v for k, v in ENV.items() if k != missing}
    with pytest.raises(ConfigurationError) as info:
        Credentials.from_env(env)
    assert missing in str(info.value)
    assert not any(value in str(info.value) for value in env.values())


def test_a_bad_key_version_in_the_environment_is_named() -> None:
    with pytest.raises(ConfigurationError, match="KUCOIN_API_KEY_VERSION"):
        Credentials.from_env({**ENV, "KUCOIN_API_KEY_VERSION": "three"})


def test_from_env_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KUCOIN_API_KEY_VERSION", raising=False)
    assert Credentials.from_env().key == "env-key"
    with futures_client() as client:  # credentials default to from_env()
        auth = client.get_httpx_client().auth
        assert isinstance(auth, KucoinAuth)
        assert auth.credentials.key == "env-key"


def random_credentials() -> Credentials:
    return Credentials(
        key="visible-key", secret=secrets.token_urlsafe(24), passphrase=secrets.token_urlsafe(12)
    )


def test_secrets_never_appear_in_reprs_logs_or_pickles(caplog: pytest.LogCaptureFixture) -> None:
    creds = random_credentials()
    client = futures_client(creds, base_url="http://127.0.0.1:9")
    shown = [
        repr(creds),
        str(creds),
        f"{creds}",
        repr(KucoinAuth(creds)),
        repr(client),
        str(client),
    ]
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("credentials: %s %r", creds, creds)
    shown.append(caplog.text)
    with pytest.raises(TypeError) as info:
        pickle.dumps(creds)
    shown.append(str(info.value))
    for text in shown:
        assert creds.secret not in text
        assert creds.passphrase not in text


@pytest.mark.parametrize(
    "kwargs",
    [{"key": ""}, {"secret": ""}, {"passphrase": ""}, {"key_version": 7}, {"partner": "p"}],
)
def test_construction_errors_never_show_secrets(kwargs: dict[str, object]) -> None:
    values: dict[str, object] = {
        "key": "visible-key",
        "secret": secrets.token_urlsafe(24),
        "passphrase": secrets.token_urlsafe(12),
    }
    with pytest.raises(ConfigurationError) as info:
        Credentials(**{**values, **kwargs})  # type: ignore[arg-type]
    for secret in (values["secret"], values["passphrase"]):
        assert str(secret) not in str(info.value)
        assert str(secret) not in repr(info.value)


def test_futures_client_defaults() -> None:
    client = futures_client(random_credentials(), base_url="http://127.0.0.1:9")
    assert client.raise_on_unexpected_status is True
    httpx_client = client.get_httpx_client()
    assert httpx_client.follow_redirects is False
    assert isinstance(httpx_client.auth, KucoinAuth)
    assert httpx_client.timeout.connect is not None and httpx_client.timeout.read is not None
    assert str(httpx_client.base_url) == "http://127.0.0.1:9"


def test_redirects_are_not_followed_so_signatures_stay_home() -> None:
    hops: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hops.append(str(request.url))
        return httpx.Response(302, headers={"Location": "https://elsewhere.example/steal"})

    client = futures_client(
        random_credentials(),
        base_url="https://api.test",
        httpx_args={"transport": httpx.MockTransport(handler)},
    )
    with client, pytest.raises(KucoinError, match="redirect"):
        client.get_httpx_client().get("/api/v1/timestamp")
    assert hops == ["https://api.test/api/v1/timestamp"]


def test_an_unencodable_secret_is_a_configuration_error_that_hides_it() -> None:
    # A non-UTF-8 byte in the environment arrives as a surrogate (surrogateescape).
    secret = "TOPSECRET-\udcff-" + secrets.token_hex(4)
    with pytest.raises(ConfigurationError, match="secret") as info:
        Credentials(key="k", secret=secret, passphrase="p")
    assert secret not in repr(info.value)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


@pytest.mark.parametrize("version", ["my-passphrase", "²", 3.9, True, "4"])
def test_a_bad_key_version_is_refused_without_echoing_it(version: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        Credentials(key="k", secret="s", passphrase="p", key_version=version)
    assert "my-passphrase" not in str(info.value)


@pytest.mark.parametrize("version", ["²", "3.9", "4", "x"])
def test_a_bad_key_version_in_the_environment_is_refused(version: str) -> None:
    with pytest.raises(ConfigurationError, match="KUCOIN_API_KEY_VERSION"):
        Credentials.from_env({**ENV, "KUCOIN_API_KEY_VERSION": version})


@pytest.mark.parametrize("key", ["key\n", " key", "clé", "k\x00y"])
def test_keys_that_cannot_be_a_header_value_are_refused(key: str) -> None:
    with pytest.raises(ConfigurationError, match="printable ASCII"):
        Credentials(key=key, secret="s", passphrase="p")


def test_pretty_printers_that_walk_attrs_fields_see_no_secret() -> None:
    shown = {field.name for field in attrs.fields(Credentials) if field.repr}
    assert shown == {"key", "key_version", "partner", "broker_name"}


def test_copies_are_the_immutable_object_itself() -> None:
    creds = random_credentials()
    assert copy.copy(creds) is creds
    assert copy.deepcopy(creds) is creds


@pytest.mark.parametrize("url", ["http://api-futures.kucoin.com", "http://10.0.0.5:8080"])
def test_plain_http_is_refused_beyond_this_machine(url: str) -> None:
    with pytest.raises(ConfigurationError, match="https"):
        futures_client(random_credentials(), base_url=url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:2"])
def test_plain_http_is_fine_for_a_local_mock(url: str) -> None:
    assert futures_client(random_credentials(), base_url=url).raise_on_unexpected_status


@pytest.mark.parametrize(
    "kwargs",
    [
        {"key_version": "a-passphrase-in-the-wrong-place"},
        {"key_version": 7},
        {"key": 12345},
        {"secret": None},
        {"partner": "p"},
    ],
)
def test_a_half_built_object_renders_in_a_traceback_with_locals(kwargs: dict[str, object]) -> None:
    # Error trackers render every frame's locals, `self` of the failing __init__ among them.
    import traceback

    values: dict[str, object] = {
        "key": "visible-key",
        "secret": secrets.token_urlsafe(24),
        "passphrase": secrets.token_urlsafe(12),
        **kwargs,
    }
    with pytest.raises(ConfigurationError) as info:
        Credentials(**values)  # type: ignore[arg-type]
    frames = traceback.TracebackException.from_exception(info.value, capture_locals=True).stack
    shown_self = [f.locals["self"] for f in frames if f.locals and "self" in f.locals]
    # The frames' own arguments hold the secret (Python shows them, whatever the class
    # does); what the class controls is its repr: it renders, and shows no secret.
    assert shown_self and all(s.startswith("Credentials(key=") for s in shown_self), shown_self
    for value in (values["secret"], values["passphrase"], "a-passphrase-in-the-wrong-place"):
        assert all(str(value) not in s for s in shown_self)


def test_secret_values_are_every_value_no_output_may_show() -> None:
    plain = Credentials("key-1", "the-secret", "the-passphrase")
    assert plain.secret_values() == ("the-secret", "the-passphrase", plain._signed_passphrase)
    broker = Credentials("key-1", "s", "p", partner="partner", broker_name="b", broker_key="bk")
    assert "bk" in broker.secret_values()
    assert "key-1" not in broker.secret_values()  # the key is an identifier, masked elsewhere
