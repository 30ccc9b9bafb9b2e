# Every target bootstraps .venv when it is missing, so a fresh clone needs only `make demo` or `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# e.g. VENV_ARGS=--system-site-packages on a machine whose CUDA torch is installed but pip has no network
VENV_ARGS ?=

.PHONY: demo test test-slow bench gpu-check lint clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV_ARGS) $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# PyTorch first, pinned: these wheels lie on this machine's disk; an unpinned torch would pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet "torch==2.14.1" "torchvision==0.29.1"
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/videoaug demo --out demo-output

test: $(STAMP)
	$(VENV)/bin/ruff check --line-length 120 --select E,F,W,I,B,UP --ignore E741 videoaug tests examples
	$(PY) -m pytest -q --doctest-modules videoaug tests

test-slow: $(STAMP)
	# exit status 5 = no test carries the mark yet: not a failure
	$(PY) -m pytest -q -m slow || [ $$? -eq 5 ]

bench: $(STAMP)
	$(VENV)/bin/videoaug bench --json docs/bench-transforms.json

# Everything that needs a GPU, timed as a whole with the set-up (one line and exit 0 without CUDA); writes
# docs/gpu.json and docs/gpu.md. VIDEOAUG_GPU_CHECK_DRY=1 runs it on the CPU with tiny sizes.
gpu-check:
	@start=$$(date +%s); $(MAKE) --no-print-directory $(STAMP) && \
	$(VENV)/bin/videoaug gpu-check --setup-seconds $$(( $$(date +%s) - start ))

clean:
	rm -rf $(VENV) demo-output .pytest_cache
