# Two commands on a new machine: `make demo` and `make test`.
# Every target builds (or refreshes) the project-local .venv from requirements.lock first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SPEC   := openapi.yaml
GENCFG := openapi-python-client.yaml
PKG    := kucoin_futures_client
# The generator's ruff post-hooks run only when ruff is on PATH. `--meta none` writes no
# py.typed, so both recipes below add the PEP 561 marker themselves.
GENERATOR = PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/openapi-python-client generate \
	--path $(SPEC) --config $(GENCFG) --meta none --overwrite --fail-on-warning
# The HTTP layer's table of operations (signed or public, success shape), from the spec.
OPERATIONS := library/kucoin_futures/_operations.json
DERIVE     := $(BIN)/python library/derive_operations.py $(SPEC)

.PHONY: venv demo test generate check-generated upstream-check spec-diff lint docs docs-serve bench mock contract lock clean

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed (found $(PYTHON)); run: make PYTHON=python3.11 ..." >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

demo: $(STAMP)
	@$(BIN)/python -m kucoin_futures_mock.demo

# Two pytest-xdist workers: the machine this was sized on has 2 cores (PYTEST_WORKERS=N).
# PYTEST_ARGS adds pytest options, e.g. PYTEST_ARGS=--durations=40 to list the slowest tests.
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=
test: lint docs
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

generate: $(STAMP)
	$(GENERATOR) --output-path generated/$(PKG) >/dev/null
	rm -rf generated/$(PKG)/.ruff_cache && touch generated/$(PKG)/py.typed
	$(DERIVE) > $(OPERATIONS)

# Regenerates into a temporary folder and fails on any difference from generated/ or
# from the operations table, shown as committed -> regenerated (`-` what is committed, `+`
# what the spec generates now). GENERATED_DIR / OPERATIONS_FILE let the test suite point the
# check at a tampered copy; REGENERATED_DIR keeps the regeneration in that folder, and a
# later check given the same folder compares with it instead of generating again.
GENERATED_DIR ?= generated/$(PKG)
OPERATIONS_FILE ?= $(OPERATIONS)
REGENERATED_DIR ?=
check-generated: $(STAMP)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && out="$${REGENERATED_DIR:-$$tmp}" && \
	if [ ! -e "$$out/.complete" ]; then \
		mkdir -p "$$out" && \
		$(GENERATOR) --output-path "$$out/$(PKG)" >/dev/null && \
		rm -rf "$$out/$(PKG)/.ruff_cache" && touch "$$out/$(PKG)/py.typed" && \
		$(DERIVE) > "$$out/operations.json" && touch "$$out/.complete"; \
	fi && \
	if diff -ru -x __pycache__ -x .ruff_cache $(GENERATED_DIR) "$$out/$(PKG)" && \
		diff -u $(OPERATIONS_FILE) "$$out/operations.json"; then \
		echo "$(GENERATED_DIR) and $(OPERATIONS_FILE) match $(SPEC)"; \
	else \
		echo "generated code differs from what $(SPEC) generates (- committed, + regenerated): run 'make generate'" >&2; exit 1; \
	fi

# Has KuCoin's published spec moved away from openapi.yaml? One or more of KuCoin's OpenAPI
# JSON files (one per area), as paths or URLs:
#   make upstream-check UPSTREAM="openapi-futures-positions.json openapi-futures-market.json"
# make reports every failure as 2; scripts call `python -m contract_tests.upstream` for
# its own exit status (0 only deliberate differences, 1 differences, 2 unreadable input).
upstream-check: $(STAMP)
	@test -n "$(UPSTREAM)" || { echo "usage: make upstream-check UPSTREAM='PATH_OR_URL ...'" >&2; exit 2; }
	$(BIN)/python -m contract_tests.upstream $(UPSTREAM)

# What regenerating from openapi.yaml changes in the generated package's public API since a
# git revision (breaking, or only additions): make spec-diff BASE=5564769
# Scripts call `python -m contract_tests.spec_diff --base REV` (0 additions only, 1 breaking,
# 2 unreadable spec).
spec-diff: $(STAMP)
	@test -n "$(BASE)" || { echo "usage: make spec-diff BASE=<git revision>" >&2; exit 2; }
	$(BIN)/python -m contract_tests.spec_diff --base "$(BASE)"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check auth_plugin library mock_server contract_tests benchmarks
	$(BIN)/mypy
	$(BIN)/mypy library/tests/*.py

# The documentation site (mkdocs.yml, docs/) into build/site. --strict turns every warning
# into a failure: a broken link or anchor, a reference that does not resolve, a docstring
# griffe cannot read. Never add -q: with it mkdocs 1.6 exits 0 on those same warnings.
# NO_MKDOCS_2_WARNING silences mkdocs-material's banner about mkdocs 2. DOCS_CONFIG lets
# the test suite build a copy with a broken link.
DOCS_CONFIG ?= mkdocs.yml
MKDOCS = NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs
docs: $(STAMP)
	$(MKDOCS) build --strict --config-file $(DOCS_CONFIG)

# Local preview with reload on change, on loopback only.
docs-serve: $(STAMP)
	$(MKDOCS) serve --strict --dev-addr 127.0.0.1:8000

bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

mock: $(STAMP)
	$(BIN)/kucoin-futures-mock $(MOCK_ARGS)

# Live contract run against any server implementing the spec, e.g. real KuCoin:
#   make contract BASE_URL=https://api-futures.kucoin.com  (credentials from KUCOIN_API_*)
contract: $(STAMP)
	$(BIN)/python -m contract_tests.live --base-url "$(BASE_URL)"

# Re-resolve the lock after changing dependencies in pyproject.toml (needs uv).
lock:
	uv pip compile pyproject.toml --all-extras --generate-hashes --python-version 3.11 \
		--python-platform linux --no-header -o requirements.lock

clean:
	rm -rf $(VENV) build .hypothesis
