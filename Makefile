# Every target works on a fresh clone: the .venv is created and filled on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test browser bench faults clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/gatepost serve

test: $(STAMP) browser
	$(BIN)/pytest

# Debian's Chromium for the dashboard's browser tests (tests/ui/test_browser.py drives it with Playwright)
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

faults: $(STAMP)
	GATEPOST_FAULTS_SCALE=large $(BIN)/pytest tests/faults

# every benchmark, then end to end again with a receiver that answers each command 10 ms late
bench: $(STAMP)
	@for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done
	$(BIN)/python bench/bench_delivery.py --reply-delay 10

clean:
	rm -rf $(VENV) var build *.egg-info
