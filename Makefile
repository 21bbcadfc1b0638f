# Quick start: `make demo` runs a simulated year on the local emulator; `make test` runs every check.
# Both install what they need first (npm packages; libfaketime for the emulator's simulated clock;
# moto is found or installed by the emulator harness).
.PHONY: demo test install system-deps

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.package-lock.json system-deps

system-deps:
	@bash scripts/system-deps.sh

demo: install
	npm run --silent demo

test: install
	npm run --silent check
