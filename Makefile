# Two entry points (see README): `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The demo company's rules: the documented example of every setting, shipped in the package.
DEMO_RULES := inboxbot/demo_data/rules.toml

.PHONY: demo test dovecot postgresql chromium check

$(BIN)/inboxbot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[demo,test]'
	touch $@

demo: $(BIN)/inboxbot
	$(BIN)/inboxbot demo

# The IMAP tests talk to a real Dovecot on loopback; install it when it is missing.
dovecot:
	@if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then \
		echo "Installing Dovecot (dovecot-imapd) for the IMAP tests…"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq dovecot-imapd >/dev/null; \
	fi

# The store's contract and the shared-store worker test run against a real PostgreSQL that the
# tests start themselves (initdb in a temporary directory); install the server when missing.
postgresql:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "Installing PostgreSQL (postgresql) for the store tests…"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; \
	fi

# The rendering tests lay forwards out in a real headless Chromium, and the web pages' tests
# drive it through Debian's chromium-driver (Selenium); install either when missing.
chromium:
	@if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Chromium for the rendering tests…"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi
	@if ! command -v chromedriver >/dev/null 2>&1 && [ ! -x /usr/bin/chromedriver ]; then \
		echo "Installing chromium-driver for the web pages' browser tests…"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium-driver >/dev/null; \
	fi

check: $(BIN)/inboxbot
	$(BIN)/inboxbot check --rules $(DEMO_RULES)

test: $(BIN)/inboxbot dovecot postgresql chromium
	$(BIN)/inboxbot check --rules $(DEMO_RULES)
	$(BIN)/ruff check inboxbot tests bench
	$(BIN)/mypy inboxbot
	$(BIN)/pytest -q
