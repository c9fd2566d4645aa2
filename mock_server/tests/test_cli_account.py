"""`kucoin-futures-mock`'s account from arguments, a file or the environment: secrets
need not be in the process list, and a half-given account is a one-line usage error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kucoin_futures_mock._cli import build_mock, build_parser
from kucoin_futures_mock._state import DEMO_CREDENTIALS

ENV = {
    "KUCOIN_MOCK_API_KEY": "env-key",
    "KUCOIN_MOCK_API_SECRET": "env-secret",
    "KUCOIN_MOCK_API_PASSPHRASE": "env-pass",
}


def account(argv: list[str], environ: dict[str, str]) -> tuple[str, str, str, int]:
    parser = build_parser()
    credentials = build_mock(parser.parse_args(argv), parser, environ).default_account.credentials
    return credentials.key, credentials.secret, credentials.passphrase, credentials.key_version


def test_the_account_comes_from_the_environment() -> None:
    assert account([], ENV) == ("env-key", "env-secret", "env-pass", 3)
    assert account(["--key-version", "2"], ENV) == ("env-key", "env-secret", "env-pass", 2)


def test_the_account_comes_from_a_file(tmp_path: Path) -> None:
    file = tmp_path / "account.json"
    file.write_text(json.dumps({"key": "f-key", "secret": "f-secret", "passphrase": "f-pass"}))
    assert account(["--account-file", str(file)], ENV) == ("f-key", "f-secret", "f-pass", 3)
    file.write_text(
        json.dumps({"key": "f-key", "secret": "f-secret", "passphrase": "f-pass", "keyVersion": 2})
    )
    assert account(["--account-file", str(file)], {}) == ("f-key", "f-secret", "f-pass", 2)


def test_arguments_come_first_and_nothing_given_is_the_demo_account() -> None:
    argv = ["--api-key", "a-key", "--api-secret", "a-secret", "--api-passphrase", "a-pass"]
    assert account(argv, ENV) == ("a-key", "a-secret", "a-pass", 3)
    assert account([], {}) == (
        DEMO_CREDENTIALS.key,
        DEMO_CREDENTIALS.secret,
        DEMO_CREDENTIALS.passphrase,
        3,
    )


@pytest.mark.parametrize(
    ("argv", "environ", "file_text", "message"),
    [
        ([], {"KUCOIN_MOCK_API_KEY": "k"}, None, "KUCOIN_MOCK_API_PASSPHRASE go together"),
        (["--account-file", "FILE"], {}, "not json", "not a JSON object"),
        (["--account-file", "FILE"], {}, '{"key": "k", "secret": "s"}', "key, secret, passphrase"),
        (["--account-file", "FILE"], {}, '{"key": "k", "secret": "s3cr3t", "passphrase": "p", '
         '"keyVersion": 9}', "keyVersion must be 2 or 3"),
        (["--account-file", "missing.json"], {}, None, "cannot read"),
        (["--account-file", "FILE"], {},
         '{"key": "k", "secret": "s3cr3t", "passphrase": "p", "extra": 1}',
         "unknown member 'extra' (allowed: key, secret, passphrase, keyVersion)"),
        (["--account-file", "FILE", "--api-key", "k"], {}, "{}", "does not go with"),
    ],
)  # fmt: skip
def test_a_bad_account_is_a_one_line_usage_error_that_quotes_no_secret(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    environ: dict[str, str],
    file_text: str | None,
    message: str,
) -> None:
    file = tmp_path / "account.json"
    if file_text is not None:
        file.write_text(file_text)
    argv = [
        str(file) if a == "FILE" else str(tmp_path / a) if a.endswith(".json") else a for a in argv
    ]
    with pytest.raises(SystemExit) as exit_info:
        account(argv, environ)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert "s3cr3t" not in err
