# One-command set-up: `make serve` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSTEM_STAMP := $(VENV)/.system-packages
APT_PACKAGES := chromium fonts-noto-cjk poppler-utils libreoffice-writer-nogui libreoffice-calc-nogui slapd ldap-utils nginx npm
# axe-core, which the browser tests run on every page (WCAG 2.1 AA), from npm into a git-ignored folder
AXE := .cache/npm/node_modules/axe-core/axe.min.js
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test build check bench lint system-packages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Browser tests need Chromium, office tests need LibreOffice and pdftotext, the campus-directory
# tests a real OpenLDAP server (slapd, started by the tests themselves in a temp directory), the
# accessibility check npm (for axe-core), the deployment tests nginx (only `nginx -t` on deploy/*.conf; the service itself is not started).
# Installed through apt-get when missing and we are root (CI is root).
$(SYSTEM_STAMP): $(STAMP)
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	command -v soffice >/dev/null || missing="$$missing libreoffice-writer-nogui libreoffice-calc-nogui"; \
	{ command -v slapd || test -x /usr/sbin/slapd; } >/dev/null || missing="$$missing slapd ldap-utils"; \
	{ command -v nginx || test -x /usr/sbin/nginx; } >/dev/null || missing="$$missing nginx"; \
	fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || missing="$$missing fonts-noto-cjk"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "安装系统软件包:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "缺少系统软件包:$$missing（请以 root 运行 make，或手动安装）"; \
	  fi; \
	fi
	touch $(SYSTEM_STAMP)

system-packages: $(SYSTEM_STAMP)

$(AXE): | $(SYSTEM_STAMP)
	@if command -v npm >/dev/null; then \
	  npm install --no-save --no-audit --no-fund --silent --prefix .cache/npm axe-core@4; \
	else \
	  echo "缺少 npm：无法安装 axe-core，无障碍检查将跳过（请以 root 运行 make，或手动安装 npm）"; \
	fi

check: $(STAMP)
	$(BIN)/portal check

build: $(STAMP)
	$(BIN)/portal build

serve: build
	$(BIN)/portal serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(SYSTEM_STAMP) $(AXE) build
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(STAMP) build
	$(BIN)/python -m bench

clean:
	rm -rf site .pytest_cache .ruff_cache .cache/npm
