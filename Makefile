# Two commands on a fresh machine: `make run` and `make test`. Python 3.12 or newer.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
TEST_SETTINGS := DJANGO_SETTINGS_MODULE=config.settings.test

.PHONY: install run serve test lint wheel-check format pytest bench bench-bulk bench-guessers faults screenshots clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Python 3.12 or newer is needed; found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

## make install: the virtualenv with the project, and the translations compiled (locale/*.mo)
install: $(STAMP)
	$(TEST_SETTINGS) $(BIN)/python manage.py compilemessages --verbosity 0 --ignore=.venv

## make run: install, migrate the embedded SQLite database, load the demo data, queue the admin
## relationship reminders that are due, serve on 127.0.0.1:8000 with the task worker beside it
## (it sends the emails, to the console); Ctrl-C stops both. The worker doesn't reload: restart
## make run after changing a task.
run: export DEBUG = true
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py admin_relationship_reminders
	$(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## make serve: the production way (collected, hashed and compressed static files; gunicorn). The
## task worker, which sends every email, is a process of its own beside it:
## `.venv/bin/python manage.py db_worker` (same environment). Several workers and several web
## servers can share one PostgreSQL (DATABASE_URL).
serve: install
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/gunicorn -c config/gunicorn.conf.py

## make test: install, lint, check migrations, start Django from the built wheel, run the whole
## suite
test: lint wheel-check pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(TEST_SETTINGS) $(BIN)/python manage.py makemigrations --check --dry-run

## make wheel-check: build the wheel (pip wheel, from a copy of the tree), unpack it outside the
## tree, and in a Python that sees only it and the virtualenv's packages, set Django up and import
## every installed app, the URLconf and its views, the middleware and the migrations
wheel-check: install
	$(BIN)/python -m tests.wheel_check

pytest: install
	$(BIN)/pytest

## make bench: the pages over HTTP (gunicorn, wrk) against a bare Django page, at 1,000 and 100,000
## customers, in a throwaway PostgreSQL database (bench_portal, on DATABASE_URL's server when that
## is PostgreSQL); prints the table (each page's CPU split into template, ORM, DB and the rest,
## from a sampled run on a profiled copy of the server) and the issue's targets, and writes
## bench/last-run.md. A quicker run, its table elsewhere:
## make bench BENCH_ARGS="--customers-large 20000 --seconds 3 --report bench/quick-run.md"
bench: install
	command -v wrk >/dev/null || apt-get install -y -qq wrk || (apt-get update -qq && apt-get install -y -qq wrk) || echo "wrk not installed: the benchmark uses its Python client"
	$(BIN)/python -m bench.http_bench $(BENCH_ARGS)

## make bench-bulk: bulk requests alone, on the real task worker (one `manage.py db_worker`, emails
## off), in a throwaway PostgreSQL database bench_bulk: the preview's and the start's queries at
## 100 and 100,000 customers, then jobs of 100 and 10,000 customers: their rate, the worker's
## memory, a profile when a job is under 300 a second. (`make bench` runs it after the pages.)
bench-bulk: install
	$(BIN)/python -m bench.bulk $(BULK_ARGS)

## make bench-guessers: a signed-in agent loads the Customer list alone, then while 5 parallel
## guessers post wrong passwords to /sign-in/: throttling off; on; on, each guess from a new
## address at a new name; on, at the owner's account while the owner signs in from its own browser
## (gunicorn, 2 workers, PBKDF2, a throwaway PostgreSQL database bench_guessers); prints the
## agent's median and p99, the guesses' answers and the owner's sign-ins, writes
## bench/last-guessers.md. 3 to 4 minutes. A quicker run:
## make bench-guessers GUESSERS_ARGS="--seconds 5"
bench-guessers: install
	$(BIN)/python -m bench.guessers $(GUESSERS_ARGS)

## make faults: the production setup on loopback (as root): deploy/'s nginx config in front of two
## gunicorn servers and two task workers started from deploy/systemd's units, a throwaway
## PostgreSQL cluster (port 5497) and Redis (6397), an SMTP sink and a webhook receiver; a bounded
## load of writes (requests, acceptances, purchases, API calls) while, one at a time, a web server
## and a worker are killed, PostgreSQL restarts, Redis, the SMTP server and the receiver go away;
## prints a row per fault (errors, writes missing or twice, seconds to recover), writes
## bench/last-faults.md, exits 1 if a write is missing or twice. About 3 minutes; removes all it
## started. A quicker run: make faults FAULTS_ARGS="--clients 4 --outage 5"
faults: install
	command -v nginx >/dev/null || apt-get install -y -qq nginx-light || (apt-get update -qq && apt-get install -y -qq nginx-light)
	$(BIN)/python -m bench.faults $(FAULTS_ARGS)

## make screenshots: drive the pages in Chromium and write docs/screenshots/*.png
screenshots: install
	$(BIN)/pytest tests/e2e/screenshots.py -q

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .ruff_cache
