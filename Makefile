# Two commands matter: `make run` and `make test`. Everything else is what they are made of.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench load soak messages design-tokens clean backup restore

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "Python 3.11 is needed; run 'make PYTHON=/path/to/python3.11 ...'" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# Local development: SQLite, filesystem broker, mail written to var/mail.
run: export DEBUG ?= true
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py bootstrap
	@echo "Serving http://127.0.0.1:8000 with a Celery worker and beat; Ctrl-C stops both."
	@$(BIN)/celery -A tracker worker --beat --loglevel=INFO --concurrency=2 & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Benchmarks at full size on a PostgreSQL database of their own, created, migrated and filled
# with the standardization programme (1,788 bodies, 34,914 milestones, 1.4 million steps) on the
# first run; the table goes to docs/benchmarks.md.
# `make bench SCALE=10` also fills a second database with ten copies of the programme
# (349,140 milestones, 14 million steps), runs the same bench there and reports how each row grew.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/tracker_bench
SCALE ?= 1
BENCH_SCALED_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/tracker_bench$(SCALE)
bench: install
	DATABASE_URL=$(BENCH_DATABASE_URL) SECRET_KEY=$${SECRET_KEY:-bench-only-not-a-secret} \
	$(BIN)/python -m bench --setup --runs 5 --requests 20 --output docs/benchmarks.md \
	--scale $(SCALE) --scaled-database-url $(BENCH_SCALED_DATABASE_URL)

# Locust against gunicorn on PostgreSQL at full programme size for LOAD_MINUTES minutes (the
# database is created and filled on the first run); the report goes to docs/load.md.
LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/tracker_load
LOAD_MINUTES ?= 2
load: install
	LOAD_DATABASE_URL=$(LOAD_DATABASE_URL) $(BIN)/python -m loadtest.run --minutes $(LOAD_MINUTES)

# The chaos soak: the whole stack (two workers, a beat, gunicorn, a Redis and a loopback SMTP
# server of its own) over simulated days under random faults, for MINUTES minutes of days; the
# ledger of owed notices is compared with what the mail server took; the report goes to
# docs/soak.md. SEED=N repeats a run's faults.
SOAK_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/tracker_soak
MINUTES ?= 30
soak: install
	SOAK_DATABASE_URL=$(SOAK_DATABASE_URL) $(BIN)/python -m loadtest.soak --minutes $(MINUTES) \
	$(if $(SEED),--seed $(SEED))

# The embedded SQLite database, copied while the tracker runs (PostgreSQL: pg_dump, see
# docs/operations.md). `make restore FILE=var/backups/tracker-….sqlite3` puts one back.
backup: install
	$(BIN)/python manage.py backup $(if $(FILE),--output "$(FILE)")

restore: install
	@test -n "$(FILE)" || { echo "Name the backup to restore: make restore FILE=var/backups/tracker-….sqlite3" >&2; exit 2; }
	$(BIN)/python manage.py restore "$(FILE)"

messages: export DEBUG ?= true
messages: install
	$(BIN)/python manage.py makemessages -l en -l ja --ignore=.venv --ignore=tests --ignore=gunicorn.conf.py
	$(BIN)/python manage.py compilemessages --ignore=.venv

# The Digital Agency design system's tokens (MIT), built CSS vendored with its licence: Node is
# needed only here, never to run or test the tracker. Change the version to refresh.
DESIGN_TOKENS_VERSION := 1.1.9
DESIGN_TOKENS_DIR := roadmap/static/roadmap/vendor/design-tokens
design-tokens:
	rm -rf var/design-tokens && mkdir -p var/design-tokens $(DESIGN_TOKENS_DIR)
	cd var/design-tokens && npm pack --silent @digital-go-jp/design-tokens@$(DESIGN_TOKENS_VERSION)
	tar -xzf var/design-tokens/digital-go-jp-design-tokens-$(DESIGN_TOKENS_VERSION).tgz -C var/design-tokens
	cp var/design-tokens/package/dist/tokens.css var/design-tokens/package/LICENSE $(DESIGN_TOKENS_DIR)/
	echo "@digital-go-jp/design-tokens $(DESIGN_TOKENS_VERSION)" > $(DESIGN_TOKENS_DIR)/VERSION

clean:
	rm -rf $(VENV) var staticfiles
