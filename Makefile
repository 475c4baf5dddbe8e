# Each target sets up what it needs: a fresh clone runs `make demo` or `make test` directly.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch 2.13.0 is a local CPU build here; an unpinned torch pulls a 5 GB CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# The main job: the naive GEMM kernel before and after the headline pipeline.
demo: $(STAMP)
	$(BIN)/pipeir-opt --fold-static-full --roll-producer --hoist-rank --pass-statistics examples/gemm_bf16_4096_naive.mlir

# Everything that runs without a GPU (pytest also runs the lit/FileCheck suite).
test: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python -m pytest -q

# The seeded fuzz runs of docs/reliability.md: 5,000 mutated inputs, then 5,000 command
# lines of every tool; no traceback, no hang.
fuzz: $(STAMP)
	$(BIN)/python -m pipeir.tools.fuzz --count 5000 --seed 0 --quiet
	$(BIN)/python -m pipeir.tools.fuzz_cli --count 5000 --seed 0 --quiet

clean:
	rm -rf $(VENV)
