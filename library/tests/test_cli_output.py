"""`kucoin-margin`'s output cannot be turned against the terminal or crash the CLI.

Each case runs the real console entry point in a subprocess (its own stdout encoding,
no pytest capture in between) against the hostile test server, and checks what reaches
the terminal: no control or bidi characters, no line longer than the bound, one line on
stderr, never a traceback, and exit codes that keep their meaning.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kucoin_futures.cli import MAX_ERROR_CHARS, MAX_SHOWN_CHARS, main

from . import hostile
from .conftest import throwaway_credentials

HEADERS = {
    "content-type": "application/json",
    "gw-ratelimit-limit": "100",
    "gw-ratelimit-remaining": "99",
    "gw-ratelimit-reset": "1000",
}
# Bytes a terminal acts on or shows misleadingly: ESC, BEL, the C1 CSI, a bidi override.
DANGEROUS = [b"\x1b", b"\x07", "\u009b".encode(), "\u202e".encode(), b"\x00", b"\x7f", b"\r"]


def failure(msg: str, code: str = "50002") -> bytes:
    errors = [{"code": code, "msg": msg, "symbol": "XBTUSDTM"}]
    return json.dumps({"code": "200000", "data": {"marginMode": {}, "errors": errors}}).encode()


COMMAND = [sys.executable, "-m", "kucoin_futures.cli", "set", "ISOLATED", "XBTUSDTM"]


def cli_environment(server: hostile.HostileServer, **env: str) -> dict[str, str]:
    credentials = throwaway_credentials()
    return {
        **os.environ,
        "KUCOIN_API_KEY": credentials.key,
        "KUCOIN_API_SECRET": credentials.secret,
        "KUCOIN_API_PASSPHRASE": credentials.passphrase,
        "KUCOIN_FUTURES_BASE_URL": server.base_url,
        **env,
    }


def cli(
    body: bytes, *argv: str, status: int = 200, **env: str
) -> subprocess.CompletedProcess[bytes]:
    with hostile.serving(hostile.reply(body, status=status, headers=HEADERS)) as server:
        return subprocess.run(
            [*COMMAND, "--timeout", "2", *argv],
            env=cli_environment(server, **env),
            capture_output=True,
            timeout=60,
        )


def assert_harmless(run: subprocess.CompletedProcess[bytes], longest: int) -> None:
    for stream in (run.stdout, run.stderr):
        for dangerous in DANGEROUS:
            assert dangerous not in stream, (dangerous, stream[:300])
        assert all(len(line) <= longest for line in stream.splitlines()), stream[:300]
    assert b"Traceback" not in run.stderr
    assert len(run.stderr.splitlines()) <= 1, run.stderr[:300]


HOSTILE_MESSAGES = {
    "escape sequences": "\x1b[31mred\x1b]0;title\x07 \x1b[2J",
    "C1 control": "\u009b2J cleared",
    "bidi override": "abc\u202edcba",
    "lone surrogate": "busy \ud800 here",
    "line separators": "one\u2028two\nthree\r\x00",
    "DEL": "rub\x7fout",
    "ten thousand characters": "A" * 10_000,
}


@pytest.mark.parametrize("msg", HOSTILE_MESSAGES.values(), ids=HOSTILE_MESSAGES.keys())
def test_a_hostile_message_in_the_table_is_shown_visibly_and_bounded(msg: str) -> None:
    run = cli(failure(msg))
    assert run.returncode == 1, run.stderr  # some symbol failed: the CLI itself did not
    assert_harmless(run, longest=MAX_SHOWN_CHARS + 100)
    (row,) = run.stdout.splitlines()[1:]
    assert row.split()[:6] == [
        b"XBTUSDTM",
        b"marginMode",
        b"?",
        "\u2192".encode(),
        b"ISOLATED",
        b"failed",
    ]


@pytest.mark.parametrize("msg", HOSTILE_MESSAGES.values(), ids=HOSTILE_MESSAGES.keys())
def test_json_output_keeps_the_value_and_escapes_what_a_terminal_would_act_on(msg: str) -> None:
    # As raw UTF-8 in the reply where JSON allows it (C1, bidi), escaped where it must be.
    body = json.dumps(json.loads(failure(msg)), ensure_ascii=False).encode("utf-8", "surrogatepass")
    for flag in ("--json", "--raw-reply"):
        run = cli(body, flag)
        assert run.returncode in (1, 3), run.stderr
        if run.returncode == 1:  # a lone surrogate as raw bytes is not UTF-8: exit 3 instead
            shown = json.loads(run.stdout)
            row = shown["symbols"][0] if flag == "--json" else shown["errors"][0]
            assert row["msg"] == msg
        assert_harmless(run, longest=len(body) + 100_000)


def test_json_output_has_no_carriage_return_between_tokens() -> None:
    # JSON allows a raw CR as whitespace: on a terminal it would overwrite the line.
    body = failure("busy").replace(b", ", b",\r")
    assert b"\r" in body
    run = cli(body, "--raw-reply")
    assert run.returncode == 1, run.stderr
    assert_harmless(run, longest=len(body) + 100)
    assert json.loads(run.stdout) == json.loads(body)["data"]


def test_a_hostile_error_reply_is_one_visible_bounded_line() -> None:
    body = json.dumps({"code": "400100", "msg": "\x1b[2J\ud800" + "B" * 50_000}).encode()
    run = cli(body, status=400)
    assert run.returncode == 3
    assert_harmless(run, longest=MAX_ERROR_CHARS + 100)
    assert run.stderr.startswith(b"kucoin-margin: error: KuCoin error 400100: \\x1b[2J\\ud800")


@pytest.mark.parametrize(
    "body",
    [
        '{"code":"200000","data":{"marginMode":{"XBTUSDTM":"ISOLATED"},"errors":[]}}'.encode(
            "utf-16"
        ),
        b'\xef\xbb\xbf{"code":"200000","data":{"marginMode":{"XBTUSDTM":"ISOLATED"},"errors":[]}}',
    ],
    ids=["utf-16", "byte-order mark"],
)
@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_a_reply_that_is_not_utf8_json_is_an_invalid_reply_in_table_and_json(
    body: bytes, as_json: bool
) -> None:
    run = cli(body, *(["--json"] if as_json else []), KUCOIN_API_KEY_VERSION="3")
    assert run.returncode == 3
    # The symbol is still accounted for, with the reason, in the table and in JSON.
    if as_json:
        (row,) = json.loads(run.stdout)["symbols"]
        assert (row["result"], row["reason"]) == ("failed", "invalid_reply")
    else:
        assert run.stdout.split(b"\n")[1].split()[5:7] == [b"failed", b"invalid_reply"]
    assert_harmless(run, longest=MAX_ERROR_CHARS + 100)
    # The excerpt is decoded by the byte-order mark: readable, not NUL-riddled.
    assert b'body starts \'{"code":"200000"' in run.stderr


def test_a_reply_with_two_data_members_is_refused_the_same_in_table_and_json() -> None:
    # Which member counts is the parser's guess: a repeated key makes the reply invalid.
    body = (
        b'{"code":"200000","data":{"marginMode":{"XBTUSDTM":"CROSS"},"errors":[]},'
        b'"data":{"marginMode":{},"errors":[{"code":"50002","msg":"busy","symbol":"XBTUSDTM"}]}}'
    )
    table, as_json = cli(body), cli(body, "--json")
    assert table.returncode == as_json.returncode == 3
    assert b"repeated" in table.stderr
    assert json.loads(as_json.stdout)["symbols"][0]["reason"] == "invalid_reply"


def test_a_terminal_that_cannot_encode_the_output_gets_escapes_not_a_crash() -> None:
    run = cli(failure("café \u2192 ok"), PYTHONIOENCODING="ascii")
    assert run.returncode == 1, run.stderr
    assert b"caf\\xe9 \\u2192 ok" in run.stdout


def test_a_reader_that_goes_away_ends_in_one_line_and_exit_3() -> None:
    with hostile.serving(hostile.reply(failure("x" * 100), headers=HEADERS)) as server:
        process = subprocess.Popen(
            COMMAND,
            env=cli_environment(server),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout is not None
        process.stdout.close()  # before the reply is in: the CLI's print meets a closed pipe
        _, err = process.communicate(timeout=60)
    assert process.returncode == 3
    assert err == b"kucoin-margin: error: output closed before everything was printed\n"


def test_an_internal_failure_exits_3_with_one_line_and_no_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kucoin_futures import cli as cli_module

    def broken(_outcome: object) -> str:
        raise KeyError("a bug that quotes KC-API-PASSPHRASE: s3cr3t")

    monkeypatch.setattr(cli_module, "_report_table", broken)
    with hostile.serving(hostile.reply(failure("busy"), headers=HEADERS)) as server:
        code = main(["set", "CROSS", "XBTUSDTM"], environ=cli_environment(server))
    out, err = capsys.readouterr()
    assert code == 3
    assert out == ""
    assert err.startswith("kucoin-margin: error: internal error: KeyError at test_cli_output.py:")
    assert err.count("\n") == 1
    assert "s3cr3t" not in err
