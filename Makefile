# Sello — `make run` serves the demo on http://127.0.0.1:5000, `make test` is what CI runs.
# Every target is idempotent; the install step is skipped while pyproject.toml has not changed.

PYTHON ?= python3
VENV ?= .venv
PY = $(VENV)/bin/python
BIN = $(VENV)/bin
FLASK = $(BIN)/flask --app app
STAMP = $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
BEAT_SCHEDULE ?= instance/celerybeat-schedule

.PHONY: run test lint format worker beat install translations bench

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstalled only when pyproject.toml is newer than the stamp (or the venv is new).
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

translations: install
	$(BIN)/pybabel compile -d certification/translations

# With REDIS_URL set, a Celery worker and beat run in the background and stop with the web server;
# without it, tasks run in process after each commit and no service is needed.
# Links in mails and certificate QR codes point at this server unless PUBLIC_BASE_URL says otherwise.
run: export PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
run: translations
	$(FLASK) db upgrade
	$(FLASK) demo
	@mkdir -p instance
	@set -e; \
	if [ -n "$$REDIS_URL" ]; then \
		$(BIN)/celery -A worker.celery_app worker --loglevel=info & worker=$$!; \
		$(BIN)/celery -A worker.celery_app beat --loglevel=info --schedule $(BEAT_SCHEDULE) & beat=$$!; \
		trap 'kill $$worker $$beat 2>/dev/null || true' EXIT INT TERM; \
	fi; \
	$(FLASK) run --host $(HOST) --port $(PORT)

test: translations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(PY) -m pytest -W error -n auto --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

worker: install
	$(BIN)/celery -A worker.celery_app worker --loglevel=info

beat: install
	@mkdir -p instance
	$(BIN)/celery -A worker.celery_app beat --loglevel=info --schedule $(BEAT_SCHEDULE)

# Every benchmark of bench/ (never part of `make test`), each in a scratch PostgreSQL database it creates and
# drops, printed as one table; BENCH_ARGS passes options (e.g. BENCH_ARGS="--only api lists"). Needs wrk.
bench: translations
	@command -v wrk >/dev/null || echo "wrk is missing (apt-get install -y wrk): the API rows will say so" >&2
	$(PY) -m bench $(BENCH_ARGS)
