"""Every type that appears in a public result is importable from `kucoin_futures`."""

from __future__ import annotations

import re
import subprocess
import sys

import attrs

import kucoin_futures

RESULTS = (
    "MarginModeOutcome",
    "SymbolFailure",
    "MarginModeReadout",
    "ApplyReport",
    "SymbolReport",
    "LeverageReport",
    "CrossLeverageReadout",
)
NOT_OURS = {"Mapping", "Any", "None", "str", "int", "bool", "bytes", "tuple", "float", "Decimal"}


def test_margin_mode_is_importable_from_the_package() -> None:
    from kucoin_futures import MarginMode

    assert repr(MarginMode.ISOLATED) == "<MarginMode.ISOLATED: 'ISOLATED'>"


def test_every_type_named_in_a_result_field_is_exported() -> None:
    named: set[str] = set()
    for name in RESULTS:
        cls = getattr(kucoin_futures, name)
        for field in attrs.fields(cls):
            named.update(re.findall(r"[A-Za-z_]\w*", str(field.type)))
    missing = sorted(named - NOT_OURS - set(kucoin_futures.__all__))
    assert missing == []
    for name in named - NOT_OURS:
        assert getattr(kucoin_futures, name) is not None


def test_every_exported_name_resolves_in_a_fresh_interpreter() -> None:
    probe = "import kucoin_futures as k; [getattr(k, n) for n in k.__all__]; print('ok')"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.stdout == "ok\n", result.stderr
