# Every target installs what it needs into .venv first, so a fresh clone needs
# only `make run` or `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
PROTO_SRC := protos/ticketminer/v1/ticketminer.proto
GEN_DIR := src/ticketminer/v1
PYTEST_ARGS ?=

.PHONY: install browser run test test-postgres postgres test-reliability proto proto-check client client-proto client-check lint bench bench-env bench-quality bench-anomaly demo clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

BROWSER_PACKAGES := chromium chromium-driver fonts-wqy-microhei
## Headless Chromium, ChromeDriver and a CJK font, for the digest screenshot test
## (Debian packages; skipped when present, or when there is no apt-get).
browser:
	@if dpkg -s $(BROWSER_PACKAGES) >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive \
			$$SUDO apt-get install -y -q --no-install-recommends $(BROWSER_PACKAGES); \
	else echo "no apt-get: install $(BROWSER_PACKAGES) by hand for the browser test"; fi

## Start the server on 127.0.0.1:50051 with the embedded SQLite database.
run: $(STAMP)
	$(BIN)/ticketminer serve --metrics-port 9464

## Regenerate the checked-in gRPC stubs from the .proto files.
proto: $(STAMP)
	$(PY) -m grpc_tools.protoc -Iprotos --python_out=src --pyi_out=src \
		--grpc_python_out=src $(PROTO_SRC)
	$(PY) $(CLIENT_DIR)/generate_stubs.py

## Fail if the checked-in stubs differ from freshly generated ones.
proto-check: $(STAMP)
	rm -rf .proto-check && mkdir -p .proto-check
	$(PY) -m grpc_tools.protoc -Iprotos --python_out=.proto-check \
		--pyi_out=.proto-check --grpc_python_out=.proto-check $(PROTO_SRC)
	diff -r -x __init__.py -x __pycache__ .proto-check/ticketminer/v1 $(GEN_DIR) \
		|| (echo "generated stubs drifted from $(PROTO_SRC): run 'make proto'" && exit 1)
	rm -rf .proto-check

CLIENT_DIR := clients/python
## Regenerate the light client's stubs (ticketminer_client.v1) from the same .proto.
client-proto: $(STAMP)
	$(PY) $(CLIENT_DIR)/generate_stubs.py

## Fail if the client's stubs drifted from the .proto; lint the client.
client-check: $(STAMP)
	$(PY) $(CLIENT_DIR)/generate_stubs.py --check
	$(BIN)/ruff check $(CLIENT_DIR)
	$(BIN)/ruff format --check $(CLIENT_DIR)

## The ticketminer-client wheel in dist/ (built offline; needs only grpcio,
## protobuf and grpcio-status to install).
client: client-check
	$(PY) -m pip wheel -q --no-deps --no-build-isolation --no-index -w dist $(CLIENT_DIR)
	rm -rf $(CLIENT_DIR)/build $(CLIENT_DIR)/src/*.egg-info

lint: $(STAMP)
	$(BIN)/ruff check src tests bench $(CLIENT_DIR)
	$(BIN)/ruff format --check src tests bench $(CLIENT_DIR)

test: $(STAMP) browser proto-check lint
	$(BIN)/pytest $(PYTEST_ARGS)

## Start (installing it if needed) a local PostgreSQL with the test role and database.
postgres:
	bash scripts/postgres.sh

## The whole suite again, every test database a fresh schema on PostgreSQL.
test-postgres: $(STAMP) postgres
	TICKETMINER_TEST_DATABASE_URL=$$(bash scripts/postgres.sh | tail -1) $(BIN)/pytest $(PYTEST_ARGS)

## Kill -9, soak, fuzz and overload against the real server; writes RELIABILITY.md.
test-reliability: $(STAMP)
	$(BIN)/pytest -m reliability tests/test_reliability.py $(PYTEST_ARGS); \
		status=$$?; cat RELIABILITY.md 2>/dev/null; exit $$status

## Benchmarks; writes BENCHMARKS.md.
bench: $(STAMP)
	$(PY) -m bench.run_all

## The bench-only virtualenv .venv-bench: CPU torch, BERTopic and an offline MiniLM, for the
## peer the quality benchmark measures beside ours (kept out of the service's venv).
bench-env:
	PYTHON=$(PYTHON) bash scripts/bench_env.sh

## Issue-discovery quality on Banking77 and online_shopping; updates BENCHMARKS.md.
bench-quality: $(STAMP) bench-env
	$(PY) -m bench.run_all --only quality

## Anomaly detection quality: synthetic histories, NAB counts, Squeeze B0; updates BENCHMARKS.md.
bench-anomaly: $(STAMP)
	$(PY) -m bench.run_all --only anomaly

## A fresh demo database, 8 weeks of synthetic tickets over gRPC, the anomaly report.
demo: $(STAMP)
	$(BIN)/ticketminer demo

clean:
	rm -rf $(VENV) .proto-check .pytest_cache
