"""The shell signing recipe (openssl + curl) of docs/mock-ci-service.md runs as written
against the mock, served in-process on loopback, and both of its signed requests succeed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from kucoin_futures_mock import serve_in_thread

from .conftest import SPEC_FILE

# The page is about the mock as a CI service, nothing else: the whole of it is the section.
SECTION = (SPEC_FILE.parent / "docs" / "mock-ci-service.md").read_text(encoding="utf-8")


def _recipe() -> str:
    blocks: list[str] = re.findall(r"```sh\n(.*?)```", SECTION, re.DOTALL)
    (block,) = [b for b in blocks if "openssl" in b]
    return block


@pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("openssl") is None,
    reason="needs curl and openssl",
)
def test_the_docs_signing_recipe_signs_as_the_mock_checks() -> None:
    recipe = _recipe()
    assert recipe.startswith("BASE=http://127.0.0.1:8080 ")
    with serve_in_thread() as running:
        script = recipe.replace("http://127.0.0.1:8080", running.base_url, 1)
        script = script.replace("curl -s ", "curl -s --max-time 10 ", 1)
        result = subprocess.run(
            ["bash", "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={"PATH": os.environ.get("PATH", "")},
        )
        mode = running.mock.mode_of("ETHUSDTM")
    assert result.returncode == 0, result.stderr
    read, switch = (json.loads(line) for line in result.stdout.splitlines())
    assert read == {"code": "200000", "data": {"symbol": "ETHUSDTM", "marginMode": "CROSS"}}
    assert switch["code"] == "200000", switch
    assert switch["data"]["marginMode"] == {"ETHUSDTM": "ISOLATED"}
    assert mode == "ISOLATED"
