# Kefu. `make demo` runs it with the demo organisation; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in messages (signed portal links) point at the server `make demo` starts.
export KEFU_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: demo install test bench lint format messages clean system-deps static worker

demo: install
	$(MANAGE) seed_demo
	@echo "Kefu: http://$(HOST):$(PORT)/  (Ctrl-C stops it; the SLA scan, the outbox and a provider sandbox run beside it)"
	$(MANAGE) run_provider_sandbox > sandbox.log 2>&1 & SANDBOX=$$!; \
	PYTHON=$(BIN)/python scripts/worker.sh > worker.log 2>&1 & WORKER=$$!; \
	trap 'kill $$SANDBOX $$WORKER 2>/dev/null' EXIT INT TERM; \
	$(MANAGE) runserver $(HOST):$(PORT) --noreload

install: system-deps $(VENV)/.installed kefu/static/vendor/.built messages static
	$(MANAGE) migrate --no-input

system-deps:
	@scripts/system-deps.sh

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

kefu/static/vendor/.built: frontend/package.json frontend/package-lock.json frontend/build.mjs
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent
	touch $@

messages: $(VENV)/.installed
	@$(MANAGE) compilemessages --ignore=.venv --ignore=frontend -v 0

static: $(VENV)/.installed kefu/static/vendor/.built
	@$(MANAGE) collectstatic --no-input -v 0

test: system-deps $(VENV)/.installed kefu/static/vendor/.built messages
	$(BIN)/pytest

# The scheduler and a task worker for this machine (database queue, or RQ when REDIS_URL is set).
worker: install
	PYTHON=$(BIN)/python scripts/worker.sh

bench: install
	$(BIN)/python -m benchmarks.run

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/check_conventions.py

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) frontend/node_modules kefu/static/vendor staticfiles db.sqlite3*
