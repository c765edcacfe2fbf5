# The two commands of the README. Both set up what they need and are safe to run again.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_MODULES := portal/node_modules/.package-lock.json
CHROMIUM := /usr/bin/chromium
DOVECOT := /usr/sbin/dovecot
PORT ?= 8080
SLACKEMU_PORT ?= 3100
SMTP_PORT ?= 2525

.PHONY: run test lint bench bench-quick screenshots clean

# The local Slack shows Slack's emoji (case status, reply fates); without a colour emoji font
# the browser draws empty boxes. Installed once, like Chromium for the tests.
EMOJI_FONT = fc-list 2>/dev/null | grep -qi "color emoji" || DEBIAN_FRONTEND=noninteractive \
	$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq fonts-noto-color-emoji

# Without Slack credentials, the local Slack stand-in runs beside casebridge (its UI is where
# you play the agents) with a demo company seeded in it; casebridge talks to it exactly as it
# would to slack.com. Without SMTP_URL, the stand-in also catches casebridge's email (/mail).
run: $(STAMP) $(NODE_MODULES)
	@$(EMOJI_FONT) || echo "note: fonts-noto-color-emoji is not installed: emoji in the local Slack show as boxes"
	$(BIN)/casebridge dev --port $(PORT) --slack-port $(SLACKEMU_PORT) --smtp-port $(SMTP_PORT)

test: $(STAMP) $(NODE_MODULES) $(CHROMIUM) $(DOVECOT)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Re-make the README's screenshots (docs/screenshots/) with the end-to-end test; the agent's
# side shows Slack's emoji, so the emoji font is installed first.
screenshots: $(STAMP) $(NODE_MODULES) $(CHROMIUM)
	@$(EMOJI_FONT)
	mkdir -p docs/screenshots
	CASEBRIDGE_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/e2e -k transcript

# Each benchmark measures its own floor in the same run, repeats, and ends with one JSON line.
# `bench` runs them at the issue's goal sizes (about ten minutes on 2 cores); `bench-quick`
# is a short smoke run of the same scripts.
bench: $(STAMP) $(NODE_MODULES)
	$(BIN)/python bench/relay.py --chats 1000 --every 4 --seconds 20 --repeat 2
	$(BIN)/python bench/sockets.py --sockets 10000 --clients 4 --repeat 2
	$(BIN)/python bench/ack.py --rate 200 --seconds 10 --repeat 2
	$(BIN)/python bench/intake.py --cases 1000 --concurrency 20 --repeat 2
	$(BIN)/python bench/idle.py --waiting 10000 --seconds 30 --repeat 2
	@test ! -f bench/burst.py || $(BIN)/python bench/burst.py

bench-quick: $(STAMP) $(NODE_MODULES)
	$(BIN)/python bench/relay.py --chats 20 --every 1 --seconds 5 --repeat 1
	$(BIN)/python bench/sockets.py --sockets 500 --clients 2 --repeat 1
	$(BIN)/python bench/ack.py --rate 50 --seconds 3 --repeat 1
	$(BIN)/python bench/intake.py --cases 200 --concurrency 10 --repeat 1
	$(BIN)/python bench/idle.py --waiting 1000 --seconds 5 --repeat 1

# Re-install whenever the declared dependencies change; otherwise this is a no-op.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "casebridge needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The portal's browser packages (the Socket.IO client), exactly as the lockfile pins them.
$(NODE_MODULES): portal/package.json portal/package-lock.json
	@command -v npm >/dev/null || { echo "casebridge's portal needs Node.js and npm (apt-get install nodejs npm)"; exit 1; }
	cd portal && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_MODULES)

# The browser tests drive Debian's Chromium (Playwright never downloads a browser here).
$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "install Chromium at $(CHROMIUM) for the browser tests"; exit 1; }
	$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq chromium

# The inbound-email tests read a real IMAP mailbox: Debian's Dovecot, started by the tests
# themselves in a temporary directory (the system service is not used).
$(DOVECOT):
	@command -v apt-get >/dev/null || { echo "install Dovecot at $(DOVECOT) for the IMAP tests"; exit 1; }
	$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq dovecot-imapd

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*
