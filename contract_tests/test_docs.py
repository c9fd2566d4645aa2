"""The documentation site: every code block it shows runs, `make docs` fails on a broken
link, and the API reference lists every public name of the library.

Conventions the pages follow:

- The `python` blocks of a page are one session, run in order in one namespace. A
  statement that is an expression with a comment on its last line shows its result: the
  comment is what `print(X)` prints (`str`), or for any other expression its `repr`;
  `...` in it stands for any text. A block that defines `def test_` is a test file of a
  bot's and runs under pytest with the installed `kucoin_mock` fixture.
- A page whose `python` blocks talk to a mock starts it in a `sh` block, as a reader
  would (`kucoin-futures-mock ... &` and `export` lines): the test runs that command
  with a free port instead of the one shown.
- Every other `sh` block is run by a test here (it is named in `SHELL_BLOCKS_RUN_HERE`),
  or says why not in an HTML comment on the line before it: `<!-- not run: REASON -->`.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import selectors
import shlex
import shutil
import subprocess
import sys
import tokenize
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
MOCK_START_S = 30.0
FENCE = re.compile(
    r"^(?:<!-- not run: (?P<reason>[^>]*?) -->\n)?```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^```",
    re.MULTILINE | re.DOTALL,
)
# A `sh` block that one of this module's tests runs, known by a line it contains.
SHELL_BLOCKS_RUN_HERE = {
    "kucoin-futures-mock --port 8080": "the mock a page's python blocks talk to",
    "MOCK=http://127.0.0.1:8080\ncurl -s $MOCK/_mock/state": "the admin API session",
    "openssl dgst -sha256 -hmac": "the shell signing recipe",
}


@attrs.frozen
class Block:
    page: Path
    lang: str
    body: str
    line: int  # of the opening fence, 1-based
    not_run_because: str | None

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks_of(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        fence_offset = match.start("lang") - 3
        found.append(
            Block(
                page=page,
                lang=match.group("lang"),
                body=match.group("body"),
                line=text.count("\n", 0, fence_offset) + 1,
                not_run_because=match.group("reason"),
            )
        )
    return found


def session_blocks(page: Path) -> list[Block]:
    return [
        b
        for b in blocks_of(page)
        if b.lang == "python" and b.not_run_because is None and "def test_" not in b.body
    ]


def pytest_blocks() -> list[Block]:
    return [
        b
        for page in PAGES
        for b in blocks_of(page)
        if b.lang == "python" and b.not_run_because is None and "def test_" in b.body
    ]


# -- comparing what a line shows with what its comment says ---------------------------


def shown_as(shown: str, expected: str, where: str) -> None:
    pattern = ".*?".join(re.escape(part) for part in expected.split("..."))
    assert re.fullmatch(pattern, shown, flags=re.DOTALL), (
        f"{where}: the comment says {expected!r}, the code shows {shown!r}"
    )


def instrumented(block: Block) -> ast.Module:
    """The block's code, each commented expression replaced by a check of what it shows."""
    comments = {
        token.start[0]: token.string[1:].strip()
        for token in tokenize.generate_tokens(io.StringIO(block.body).readline)
        if token.type == tokenize.COMMENT
    }

    class ShowChecks(ast.NodeTransformer):
        def visit_Expr(self, node: ast.Expr) -> ast.Expr:
            expected = comments.get(node.end_lineno or node.lineno)
            if expected is None:
                return node
            value = node.value
            is_print = (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and value.func.id == "print"
                and len(value.args) == 1
                and not value.keywords
            )
            shown = ast.Call(
                func=ast.Name(id="str" if is_print else "repr", ctx=ast.Load()),
                args=[value.args[0] if is_print else value],  # type: ignore[attr-defined]
                keywords=[],
            )
            where = f"{block.page.relative_to(ROOT)}:{block.line + node.lineno}"
            check = ast.Call(
                func=ast.Name(id="_docs_shown_as", ctx=ast.Load()),
                args=[shown, ast.Constant(expected), ast.Constant(where)],
                keywords=[],
            )
            return ast.copy_location(ast.Expr(value=check), node)

    tree = ast.parse(block.body)
    ShowChecks().visit(tree)  # replaces the statements inside the module it is given
    return ast.fix_missing_locations(tree)


def test_a_comment_that_does_not_match_fails() -> None:
    # The checker itself: a wrong comment must fail, `...` must match anything.
    page = DOCS / "index.md"
    good = Block(page, "python", "x = [1, 2]\nprint(x)  # [1, ...]\nx  # [1, 2]\n", 1, None)
    exec(compile(instrumented(good), "good", "exec"), {"_docs_shown_as": shown_as})  # noqa: S102
    bad = Block(page, "python", "x = 3\nx  # 4\n", 1, None)
    with pytest.raises(AssertionError, match="the comment says '4', the code shows '3'"):
        exec(compile(instrumented(bad), "bad", "exec"), {"_docs_shown_as": shown_as})  # noqa: S102


# -- the mock a page starts -------------------------------------------------------------


def mock_command(page: Path) -> tuple[list[str], dict[str, str]] | None:
    """The page's `kucoin-futures-mock ... &` arguments and its exported variables."""
    for block in blocks_of(page):
        if block.lang != "sh" or "kucoin-futures-mock --port 8080" not in block.body:
            continue
        text = re.sub(r"\\\n\s*", " ", block.body)
        lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
        (start,) = [line for line in lines if line.startswith("kucoin-futures-mock ")]
        args = shlex.split(start.removesuffix("&"))[1:]
        exported = dict(
            pair.split("=", 1)
            for line in lines
            if line.startswith("export ")
            for pair in shlex.split(line)[1:]
        )
        return args, exported
    return None


@contextmanager
def running_mock(args: list[str]) -> Iterator[str]:
    """The mock started with the page's arguments on a free port: its host:port."""
    port_values = {at + 1 for at, arg in enumerate(args) if arg == "--port"}
    args = ["0" if at in port_values else arg for at, arg in enumerate(args)]
    process = subprocess.Popen(
        [sys.executable, "-m", "kucoin_futures_mock", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            ready = selector.select(timeout=MOCK_START_S)
        line = process.stdout.readline() if ready else ""
        match = re.fullmatch(r"listening on http://(127\.0\.0\.1:\d+)\n", line)
        assert match, f"the mock did not start: {line!r}"
        yield match.group(1)
    finally:
        process.terminate()
        process.communicate(timeout=10)


PAGES_WITH_SESSIONS = [page for page in PAGES if session_blocks(page)]


@pytest.mark.parametrize(
    "page", PAGES_WITH_SESSIONS, ids=[str(p.relative_to(DOCS)) for p in PAGES_WITH_SESSIONS]
)
def test_the_python_blocks_of_a_page_run_and_show_what_they_say(
    page: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = mock_command(page)
    assert found, f"{page.relative_to(ROOT)} has python blocks but starts no mock"
    args, exported = found
    with running_mock(args) as address:
        for name, value in exported.items():
            monkeypatch.setenv(name, value.replace("127.0.0.1:8080", address))
        namespace: dict[str, object] = {"_docs_shown_as": shown_as, "__name__": "__docs__"}
        for block in session_blocks(page):
            code = compile(instrumented(block), block.where, "exec")
            exec(code, namespace)  # noqa: S102 - the page's own example code


def test_the_bot_tests_shown_in_the_docs_pass_under_pytest(tmp_path: Path) -> None:
    # The examples a bot author copies, run as they would run them, with the installed
    # plugin: one pytest run, one file per block, named after the page and line.
    blocks = pytest_blocks()
    assert blocks, "no bot test found in the docs"
    for block in blocks:
        name = re.sub(r"\W", "_", f"{block.page.stem}_{block.line}")
        (tmp_path / f"test_{name}.py").write_text(block.body, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(blocks)} passed" in result.stdout, result.stdout


def test_every_block_is_run_or_says_why_not() -> None:
    unaccounted = []
    for page in PAGES:
        for block in blocks_of(page):
            if block.not_run_because is not None:
                assert block.not_run_because.strip(), f"{block.where}: say why it is not run"
                continue
            if block.lang == "python":
                continue  # run above
            if block.lang == "sh" and any(key in block.body for key in SHELL_BLOCKS_RUN_HERE):
                continue
            if block.lang in {"sh", "bash", "console", "shell"}:
                unaccounted.append(block.where)
    assert not unaccounted, (
        "shell blocks that no test runs; run them in contract_tests/test_docs.py or mark them "
        f"<!-- not run: REASON -->: {unaccounted}"
    )


# -- the build -----------------------------------------------------------------------


def build_site(config: Path) -> subprocess.CompletedProcess[str]:
    # Through make, as CI does: the recipe's flags (--strict, no -q) are what is tested.
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "docs", f"DOCS_CONFIG={config}"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "MAKEFLAGS": ""},
    )


@pytest.fixture(scope="module")
def site_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """mkdocs.yml and docs/ copied, the packages linked: a site of its own to build."""
    copy = tmp_path_factory.mktemp("site")
    shutil.copy(ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    shutil.copytree(DOCS, copy / "docs")
    # The packages for the reference; examples/ and README.md for the files pages include.
    for entry in ("generated", "auth_plugin", "library", "mock_server", "examples", "README.md"):
        (copy / entry).symlink_to(ROOT / entry)
    return copy


@pytest.fixture(scope="module")
def built_site(site_copy: Path) -> Path:
    result = build_site(site_copy / "mkdocs.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    return site_copy / "build" / "site"


def test_a_broken_link_fails_make_docs(built_site: Path, site_copy: Path) -> None:
    # One build with both: mkdocs reports every warning before it aborts, so each must
    # be named in the output.
    page = site_copy / "docs" / "choices.md"
    original = page.read_text(encoding="utf-8")
    broken = {
        "no-such-page.md": "[a page that is not there](no-such-page.md)",
        "no-such-heading": "[an anchor that is not there](cli.md#no-such-heading)",
    }
    page.write_text(original + "\n" + "\n\n".join(broken.values()) + "\n", encoding="utf-8")
    try:
        result = build_site(site_copy / "mkdocs.yml")
    finally:
        page.write_text(original, encoding="utf-8")
    assert result.returncode != 0, "make docs passed with broken links"
    output = result.stdout + result.stderr
    assert [name for name in broken if name not in output] == [], output


def test_the_reference_lists_every_public_name(built_site: Path) -> None:
    import kucoin_futures
    import kucoin_futures_auth
    import kucoin_futures_mock

    for package in (kucoin_futures, kucoin_futures_auth, kucoin_futures_mock):
        name = package.__name__
        html = (built_site / "reference" / name / "index.html").read_text(encoding="utf-8")
        anchors = set(re.findall(rf'id="{name}\.([^".]+)"', html))
        missing = sorted(set(package.__all__) - anchors)
        assert not missing, f"the reference of {name} lacks {missing}"


def test_the_reference_lists_every_public_member_of_our_classes(built_site: Path) -> None:
    # mkdocs.yml leaves out names without a docstring (the library's page excepted): a
    # public method, property or field of ours that lacks one is missing here.
    import inspect

    import kucoin_futures
    import kucoin_futures_auth
    import kucoin_futures_mock

    for package in (kucoin_futures, kucoin_futures_auth, kucoin_futures_mock):
        name = package.__name__
        html = (built_site / "reference" / name / "index.html").read_text(encoding="utf-8")
        anchors = set(re.findall(rf'id="{name}\.([^"]+)"', html))
        missing = []
        for export in package.__all__:
            cls = getattr(package, export)
            if not inspect.isclass(cls) or cls.__module__.split(".")[0] != name:
                continue  # a function, a constant, or a class re-exported from elsewhere
            members = {member for member in vars(cls) if not member.startswith("_")}
            if attrs.has(cls):
                members |= {f.name for f in attrs.fields(cls) if not f.inherited}
            members -= {member for member in members if member.startswith("_")}
            missing += [f"{export}.{m}" for m in sorted(members) if f"{export}.{m}" not in anchors]
        assert not missing, f"the reference of {name} lacks {missing}"


def test_the_generated_client_has_its_page(built_site: Path) -> None:
    # Every operation module `make generate` wrote, found in the tree: a new operation
    # must get its entry on the page.
    html = (built_site / "reference" / "kucoin_futures_client" / "index.html").read_text()
    api = ROOT / "generated" / "kucoin_futures_client" / "api"
    operations = sorted(
        f"{module.parent.name}.{module.stem}"
        for module in api.glob("*/*.py")
        if module.name != "__init__.py"
    )
    assert len(operations) >= 6, operations
    missing = [
        operation
        for operation in operations
        if f'id="kucoin_futures_client.api.{operation}.sync"' not in html
    ]
    assert not missing, f"the generated client's page lacks {missing}"
    assert 'id="kucoin_futures_client.models.BatchChangeMarginModeRequest"' in html


# -- shell blocks against a mock ----------------------------------------------------------


def replies_of(stdout: str) -> list[object]:
    """The JSON documents a run of `curl -s` commands printed one after the other."""
    decoder, replies, at = json.JSONDecoder(), [], 0
    while at < len(stdout):
        if stdout[at].isspace():
            at += 1
            continue
        reply, at = decoder.raw_decode(stdout, at)
        replies.append(reply)
    return replies


def run_against_mock(key: str) -> tuple[list[object], list[object]]:
    """Runs the one shell block that contains `key` against a mock with XBTUSDTM busy:
    what it printed, and the replies the page shows in the `json` block after it."""
    (page,) = [p for p in PAGES if any(key in b.body for b in blocks_of(p))]
    page_blocks = blocks_of(page)
    ((index, block),) = [(i, b) for i, b in enumerate(page_blocks) if key in b.body]
    shown = next(b for b in page_blocks[index + 1 :] if b.lang == "json")  # the reply shown
    with running_mock(["--port", "0", "--busy", "XBTUSDTM"]) as address:
        script = block.body.replace("127.0.0.1:8080", address).replace(
            "curl -s ", "curl -s --max-time 10 "
        )
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    return replies_of(result.stdout), replies_of(shown.body)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_admin_api_session_runs_as_shown() -> None:
    replies, shown = run_against_mock("MOCK=http://127.0.0.1:8080\ncurl -s $MOCK/_mock/state")
    state, busy_eth, freed_eth, *_, after_reset, last = replies
    assert state["accounts"][0]["busy"] == ["XBTUSDTM"]  # type: ignore[index]
    assert (busy_eth["mode"], busy_eth["busy"]) == ("ISOLATED", True)  # type: ignore[index]
    assert freed_eth["busy"] is False  # type: ignore[index]
    assert after_reset["accounts"][0]["busy"] == ["XBTUSDTM"]  # type: ignore[index]
    assert after_reset["accounts"][0]["modes"]["ETHUSDTM"] == "CROSS"  # type: ignore[index]
    assert [last] == shown


@pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("openssl") is None,
    reason="needs curl and openssl",
)
def test_the_shell_signing_recipe_is_accepted_by_the_mock() -> None:
    # The mock verifies with the signing plugin's verifier, which has its own known-answer
    # tests against KuCoin's documented example: a 200000 here means openssl + curl sign
    # as KuCoin does.
    replies, shown = run_against_mock("openssl dgst -sha256 -hmac")
    assert len(replies) == 2  # the read, then the batch switch
    assert replies == shown
