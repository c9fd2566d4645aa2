# Two commands on a new machine: `make demo` and `make test`.
# Every target builds (or refreshes) the project-local .venv from requirements.lock first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SPEC   := openapi.yaml
GENCFG := openapi-python-client.yaml
PKG    := kucoin_futures_client
# The generator's ruff post-hooks run only when ruff is on PATH.
# `--meta none` writes no py.typed, so the recipe adds the PEP 561 marker itself.
define generate_into
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/openapi-python-client generate --path $(SPEC) \
		--config $(GENCFG) --meta none --overwrite --fail-on-warning --output-path $(1) >/dev/null
	rm -rf $(1)/.ruff_cache && touch $(1)/py.typed
endef

.PHONY: venv demo test test-fast generate check-generated lint bench mock contract lock clean

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

demo: $(STAMP)
	@$(BIN)/python -m kucoin_futures_mock.demo

test: lint
	$(BIN)/python -m pytest

generate: $(STAMP)
	$(call generate_into,generated/$(PKG))

# Regenerates into a temporary folder and fails on any difference from generated/.
# GENERATED_DIR lets the test suite point the check at a tampered copy.
GENERATED_DIR ?= generated/$(PKG)
check-generated: $(STAMP)
	$(eval TMP := $(shell mktemp -d))
	$(call generate_into,$(TMP)/$(PKG))
	@status=0; diff -ru -x __pycache__ -x .ruff_cache $(TMP)/$(PKG) $(GENERATED_DIR) || status=$$?; \
	rm -rf $(TMP); \
	if [ $$status -ne 0 ]; then echo "$(GENERATED_DIR) differs from what $(SPEC) generates: run 'make generate'" >&2; exit 1; fi; \
	echo "$(GENERATED_DIR) matches $(SPEC)"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check auth_plugin mock_server contract_tests benchmarks
	$(BIN)/mypy

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
