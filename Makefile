# Routine work. Everything goes through dev.py, which needs only Python 3.11.
PY ?= $(shell command -v python3.11 || command -v python3)

.PHONY: help demo test lint format docs bench bench-agt ci clean

help:  ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

demo:  ## Lint the bundled example workspace and show what it holds
	$(PY) dev.py demo

test:  ## Run the full test suite
	$(PY) dev.py test

lint:  ## ruff (check + format --check), mypy --strict on agentctl, mypy relaxed on tests
	$(PY) dev.py lint

format:  ## Format the code with ruff
	$(PY) dev.py venv && .venv/bin/ruff format agentctl tests bench dev.py && .venv/bin/ruff check --fix agentctl tests bench dev.py

docs:  ## Regenerate docs/schemas/ and docs/kinds.md from the models
	$(PY) dev.py venv && .venv/bin/agentctl schema --out docs/schemas && .venv/bin/agentctl schema --docs > docs/kinds.md

bench:  ## Print the performance table (ratios measured in one run)
	$(PY) dev.py bench

bench-agt:  ## Install the AGT 5.0.0 peer for bench_guardrail into .bench-agt/
	$(PY) -m venv .bench-agt && .bench-agt/bin/pip install -q agent-governance-toolkit-core==5.0.0

ci:  ## What CI runs (.ci/run)
	bash .ci/run

clean:  ## Remove the virtualenv and caches
	rm -rf .venv .bench-agt .mypy_cache .ruff_cache .pytest_cache .hypothesis
