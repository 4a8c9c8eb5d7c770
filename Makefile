# The two commands a fresh machine needs: `make demo` and `make test`. Both build .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint unit bench eval soak train clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/schoolgate demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest

test: lint unit

eval: $(STAMP)
	$(BIN)/python -m bench.eval_rules
	$(BIN)/python -m bench.eval_rules --cases ../shared/eval/parent_chat_dev.jsonl --roster ../shared/eval/riverside.yaml
	$(BIN)/python -m bench.eval_rules --cases bench/data/hillcrest_cases.jsonl --roster bench/data/hillcrest.yaml
	$(BIN)/python -m bench.eval_rules --cases bench/data/millbrook_cases.jsonl --roster bench/data/millbrook.yaml
	$(BIN)/python -m bench.eval_davidson

bench: $(STAMP)
	$(BIN)/python -m bench.bench_rules
	$(BIN)/python -m bench.bench_e2e
	$(BIN)/python -m bench.bench_whatsapp

# 10,000 messages on all three platforms, 30% of calls failing, the bot killed twice (minutes).
soak: $(STAMP)
	$(BIN)/python -m bench.soak

# The learned stage's model again from train/corpus: CPU only, a few minutes on two cores; the
# same corpus gives the same file (learned/data/model.npz and its .sha256).
train: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,train]'
	$(BIN)/python -m train.fit

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
