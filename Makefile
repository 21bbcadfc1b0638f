# Quick start: `make demo` runs a simulated year on the local emulator; `make test` runs every check.
# Both install what they need first (npm packages; moto is found or installed by the emulator harness).
.PHONY: demo test install

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.package-lock.json

demo: install
	npm run --silent demo

test: install
	npm run --silent check
