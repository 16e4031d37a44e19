# Entry points: `make demo` renders a project with the defaults and serves it;
# `make test` runs the template's whole test suite (PostgreSQL, MariaDB and Redis must be up);
# `make bench` measures render and request costs, the render against a hand-written floor
# included (needs wrk, PostgreSQL and Redis; bench/request_costs.py profiles one request);
# `make manifests` validates the Kubernetes manifests of every render that has them;
# `make lock` rewrites the rendered requirements files from the rendered pyproject.toml;
# `make lock-check` says whether re-locking today would change them (asks the index; never part
# of `make test`, run by the template's scheduled CI).
.PHONY: install demo test lock lock-check bench lint manifests clean

VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)

$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

demo: install
	rm -rf build/my_flask_api
	$(BIN)/cookiecutter --no-input --output-dir build .
	cd build/my_flask_api && .venv/bin/flask users create-admin \
		--email admin@example.com --name Admin --password change-me-now
	cd build/my_flask_api && .venv/bin/python wsgi.py

test: install
	$(BIN)/pytest -n 2

# Locks the rendered requirements*.txt with uv for every database x storage (needs the index).
lock: install
	$(BIN)/python scripts/lock_requirements.py

# Fails when today's index resolves EXCLUDE_NEWER to other pins than the committed locks.
lock-check: install
	$(BIN)/python scripts/lock_requirements.py --check

lint: install
	$(BIN)/ruff check hooks scripts tests bench
	$(BIN)/ruff format --check hooks scripts tests bench

# Offline, against the Kubernetes schemas kubernetes-validate ships (tests/test_kubernetes.py).
manifests: install
	$(BIN)/pytest -n 2 -p no:cacheprovider tests/test_kubernetes.py

clean:
	rm -rf build .cache

bench: install
	$(BIN)/python bench/run.py
