"""Reading a reply within bounds: its size after decompression, its nesting, its numbers.

Every body the HTTP layer receives goes through `BodyReader` and `parse_json` before
anything else (the error mapping, the generated parser) sees it. So no server, proxy or
broken gateway can make a call buffer without limit (an endless body, a compression
bomb), recurse without limit (JSON nested thousands deep) or build an integer Python
refuses to convert (thousands of digits).
"""

from __future__ import annotations

import codecs
import json
import zlib
from collections.abc import Iterable
from typing import Any, Final

ACCEPTED_ENCODINGS: Final = "gzip, deflate"
"""What the client asks for in Accept-Encoding: exactly what `BodyReader` can decode
(httpx would also offer br and zstd whenever their packages happen to be installed)."""

MAX_NESTING: Final = 32
"""KuCoin's replies nest 3 deep (reply, data, map or list item); 32 leaves room."""

MAX_NUMBER_CHARS: Final = 40
"""The longest number in a KuCoin reply is a ms timestamp (13 digits) or a price."""

# Both accept a zlib or gzip header (32 + MAX_WBITS), as servers mix the two up.
_WBITS: Final = dict.fromkeys(("gzip", "x-gzip", "deflate"), 32 + zlib.MAX_WBITS)


class UnreadableReply(ValueError):
    """A body that cannot be read within bounds or is not JSON. `retryable` is true when it
    may be a copy cut off or replaced on the way (not JSON at all: a resend can cure it),
    false when the server would send the same again (too large, too deep)."""

    def __init__(self, reason: str, *, retryable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class BodyReader:
    """Collects a body from the raw chunks of the wire, undoing its Content-Encoding
    layers as they come, and stops at `limit` bytes of decoded body (or of any layer's
    output): the rest is never buffered."""

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        codings = [c for c in codings if c not in ("", "identity")]
        unknown = [c for c in codings if c not in _WBITS]
        self._unknown = f"content-encoding {unknown[0][:40]!r} was not asked for" if unknown else ""
        # Applied in the order listed, so undone in reverse.
        self._decoders = [zlib.decompressobj(_WBITS[c]) for c in reversed(codings) if c in _WBITS]
        self._limit = limit
        self._parts: list[bytes] = []
        self._size = 0

    def feed(self, chunk: bytes) -> None:
        if self._unknown:
            raise UnreadableReply(self._unknown)
        for decoder in self._decoders:
            try:
                # max_length bounds what one small compressed chunk can expand to.
                chunk = decoder.decompress(chunk, self._limit + 1)
            except zlib.error as exc:
                raise UnreadableReply(
                    f"compressed body is corrupt ({exc})", retryable=True
                ) from None
            if decoder.unconsumed_tail:
                self._too_large()
        self._size += len(chunk)
        if self._size > self._limit:
            self._too_large()
        self._parts.append(chunk)

    def body(self) -> bytes:
        """The whole decoded body, once the raw stream has ended."""
        if self._unknown:
            raise UnreadableReply(self._unknown)
        for decoder in self._decoders:
            if not decoder.eof:
                raise UnreadableReply("compressed body is cut off", retryable=True)
        return b"".join(self._parts)

    def start(self) -> bytes:
        """What has been decoded so far (for an excerpt)."""
        return b"".join(self._parts)[:4096]

    def _too_large(self) -> None:
        raise UnreadableReply(f"reply larger than {self._limit} bytes (after decompression)")


def parse_json(body: bytes) -> Any:
    """The JSON value of a reply body, read as RFC 8259 asks (UTF-8, no byte-order mark)
    and within bounds: nesting at most `MAX_NESTING`, numbers at most `MAX_NUMBER_CHARS`
    characters, no NaN or Infinity, no key repeated within an object (`{"code":"400005",
    "code":"200000"}` would read as a success to one reader and a refusal to another).
    Raises `UnreadableReply`."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        # UTF-32's marks start with UTF-16's (LE) or with two NULs (BE): both are caught.
        wide = body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE))
        reason = "in UTF-16 or UTF-32, not UTF-8 JSON" if wide else "not UTF-8 JSON (or cut off)"
        raise UnreadableReply(reason, retryable=True) from None
    if text.startswith("\ufeff"):
        raise UnreadableReply(
            "starts with a byte-order mark (JSON replies must not)", retryable=True
        )
    value = _decode(_DECODER, text)
    keys = _count_keys(value)
    # Every key is followed by a colon, so the text has exactly as many colons as the
    # parse has keys unless a string holds one or a key was repeated (the parse keeps
    # one of the two). Only then is the text parsed again, looking at every object's
    # keys (measured at 1000 symbols: the count costs 15 us, the second parse 40; the
    # bytes are counted, a little cheaper than the text).
    if body.count(b":") != keys:
        _decode(_REPEATS_REFUSED, text)
    return value


def _decode(decoder: json.JSONDecoder, text: str) -> Any:
    try:
        return decoder.decode(text)
    except RecursionError:
        raise UnreadableReply(f"JSON nested deeper than {MAX_NESTING}") from None
    except UnreadableReply:
        raise
    except ValueError:
        reason = "not JSON (or cut off)" if text.strip() else "empty body"
        raise UnreadableReply(reason, retryable=True) from None


def _check_number(text: str) -> str:
    if len(text) > MAX_NUMBER_CHARS:
        raise UnreadableReply(f"number of {len(text)} characters (at most {MAX_NUMBER_CHARS})")
    return text


def _int(text: str) -> int:
    return int(_check_number(text))


def _float(text: str) -> float:
    return float(_check_number(text))


def _not_json(name: str) -> None:
    raise UnreadableReply(f"{name} is not JSON")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # One C-level dict() and a length compare: a repeated key leaves the dict shorter.
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        repeated = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        raise UnreadableReply(f"key {repeated[:40]!r} repeated in a JSON object")
    return value


_CONTAINERS: Final = frozenset({dict, list})


def _count_keys(value: Any) -> int:
    """The number of keys in all objects of `value`, walked one level at a time; raises
    `UnreadableReply` if it nests deeper than `MAX_NESTING`. A level whose members hold
    no container (a map of a thousand symbols to modes) is passed by one C-level look
    at their types."""
    keys = 0
    level = [value]
    for _ in range(MAX_NESTING):
        children: list[Any] = []
        for item in level:
            if type(item) is dict:
                keys += len(item)
                members: Iterable[Any] = item.values()
            elif type(item) is list:
                members = item
            else:
                continue
            if _may_hold_containers(members):
                children.extend(m for m in members if type(m) in _CONTAINERS)
        if not children:
            return keys
        level = children
    raise UnreadableReply(f"JSON nested deeper than {MAX_NESTING}")


def _may_hold_containers(members: Iterable[Any]) -> bool:
    """Whether an object's values or an array's items include an object or array. Members
    that are all strings (a map of symbols to modes) are passed by one C-level `join`,
    which refuses anything else (measured at 1000 symbols: 7 us instead of 15 for a
    type() a member); other members get that look."""
    try:
        "".join(members)
    except TypeError:
        return not _CONTAINERS.isdisjoint(map(type, members))
    return False


_DECODER: Final = json.JSONDecoder(parse_int=_int, parse_float=_float, parse_constant=_not_json)
_REPEATS_REFUSED: Final = json.JSONDecoder(
    object_pairs_hook=_object, parse_int=_int, parse_float=_float, parse_constant=_not_json
)
