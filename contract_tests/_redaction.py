"""Credentials out of the contract suite's console and JUnit report.

schemathesis' sanitization covers the headers it adds itself, not the KC-API-* headers
generated as parameters (`with-security-parameters`), so its "Reproduce with: curl ..."
lines would carry the key, the signed passphrase and a fresh signature into CI logs and
report artifacts. Everything the suite writes goes through `redact` instead: by header
name (a signature is new on every request) and by the credentials' own values.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TextIO

from kucoin_futures_auth import REDACTED, SECRET_HEADERS, Credentials

_MIN_LITERAL_CHARS = 8
# A credential header (the secret ones and the key) and its value, as a curl -H argument,
# an HTTP header line or a Python/JSON mapping entry; KC-API-KEY-VERSION and
# KC-API-TIMESTAMP are not secret.
_NAMES = "|".join(re.escape(name) for name in (*SECRET_HEADERS, "KC-API-KEY"))
_SIGNED_HEADER = re.compile(rf"(?i)((?:{_NAMES})['\"]?\s*[:=]\s*['\"]?)([^'\"\s,}}]+)")


def redact(text: str, credentials: Credentials) -> str:
    text = _SIGNED_HEADER.sub(lambda match: match.group(1) + REDACTED, text)
    for value in (*credentials.secret_values(), credentials.key):
        # A value as short as a word would blank out ordinary text; real ones are long.
        if len(value) >= _MIN_LITERAL_CHARS:
            text = text.replace(value, REDACTED)
    return text


def redact_file(path: Path, credentials: Credentials) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(redact(text, credentials), encoding="utf-8")


class RedactingWriter(io.TextIOBase):
    """A text stream that passes whole lines to `target`, each one redacted (a value split
    across two writes is still found)."""

    def __init__(self, target: TextIO, credentials: Credentials) -> None:
        self._target = target
        self._credentials = credentials
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        for line in lines:
            self._target.write(redact(line, self._credentials) + "\n")
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._target.write(redact(self._pending, self._credentials))
            self._pending = ""
        self._target.flush()

    def isatty(self) -> bool:
        return self._target.isatty()
