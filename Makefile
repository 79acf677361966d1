# One command to set up and run the demo, one to set up and run the tests (see README).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
DB     ?= detente.duckdb

.PHONY: install demo test lint bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate pyproject.toml requirements.lock
	$(BIN)/python -m pip install -q --upgrade "pip==26.0.1" || true
	$(BIN)/python -m pip install -q -c requirements.lock -e ".[dev]"
	touch $@

install: $(VENV)/.installed

demo: install
	rm -f $(DB) $(DB).wal
	$(BIN)/detente code examples/stories --db $(DB)
	$(BIN)/detente summary --db $(DB)
	@echo
	@echo "Dashboard: $(BIN)/detente serve --db $(DB)   then open http://127.0.0.1:8000/"

test: install
	$(BIN)/python -m pytest -q

# ruff (lint + format) and the code-shape limits of issue 13 (CC <= 25, <= 80 lines, no import
# cycles, no imports inside functions except optional extras); tests/test_code_shape.py runs the same
lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/python benchmarks/code_shape.py src/detente --check

bench: install
	$(BIN)/python benchmarks/throughput.py ../shared/data/corpora/rss_world_news_2023.jsonl.gz --limit 2000

clean:
	rm -rf $(VENV) $(DB) $(DB).wal .pytest_cache
