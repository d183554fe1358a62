# Set-up and main entry points. Each target first installs what is missing
# (tools/install.sh is idempotent).
PYTHON ?= python3

.PHONY: install demo demo-quick test

install:
	PYTHON=$(PYTHON) bash tools/install.sh

demo: install
	$(PYTHON) tools/demo.py

demo-quick: install
	$(PYTHON) tools/demo.py --quick

test: install
	$(PYTHON) -m pytest tests -q
