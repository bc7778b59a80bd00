# The project's vocabulary. `make run` and `make test` are the two commands a newcomer
# needs; both bring up the local stack (PostgreSQL and ClickHouse under .data/) first.
SHELL := /bin/bash
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
BIN := bin
# The race detector needs cgo (gcc); every machine of this project's kind has it.
RACE ?= $(shell command -v gcc >/dev/null 2>&1 && echo -race)

.PHONY: run test stop stack build generate vet fmt bench-loader bench-analytics bench-restore bench-security bench-api bench-notify bench-write-ceiling clean

stack:
	scripts/stack.sh up

build:
	$(GO) build -o $(BIN)/ ./cmd/...

run: stack build
	scripts/run.sh

# Private stacks that tests start are removed by the tests; a test that dies before its
# clean-up leaves one behind, which "reap" removes whether the tests passed or not.
test: stack
	eval "$$(scripts/stack.sh env)" && $(GO) vet ./... && $(GO) test $(RACE) -count=1 -timeout 20m ./...; \
	  rc=$$?; scripts/stack.sh reap; exit $$rc

# Recipes name the checkout's folder only as "." (never $(CURDIR) pasted into a command):
# its path may hold spaces, quotes or "$".
stop:
	scripts/run.sh stop
	scripts/stack.sh down

generate:
	$(GO) generate ./...

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w $$(git ls-files '*.go')

clean: stop
	scripts/stack.sh reap
	scripts/stack.sh destroy
	rm -rf $(BIN) .data

bench-loader: stack
	scripts/bench-loader.sh

bench-analytics: stack
	scripts/bench-analytics.sh

bench-restore: stack
	scripts/bench-restore.sh

bench-security: stack
	scripts/bench-security.sh

# Reads vs PostGraphile 4.14.1 and writes vs pgbench on the same database (issue 17).
bench-api: stack
	scripts/bench-api.sh

bench-notify: stack
	scripts/bench-notify.sh

bench-write-ceiling: stack
	scripts/bench-write-ceiling.sh
