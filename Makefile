GO ?= go
GOFMT ?= gofmt

.PHONY: build run test generate migration lint bench load fuzz fuzz-smoke clean

# Build the server binary.
build:
	$(GO) build -o bin/server ./cmd/server

# Build and start the server (SQLite under ./data, demo org on first start).
run: build
	./bin/server serve --demo

# Run all tests. Store tests run on SQLite and PostgreSQL: set
# TEST_DATABASE_URL, or install the PostgreSQL server binaries so that each
# test process starts a throwaway cluster (see internal/testdb).
test:
	$(GO) test -count=1 -timeout 15m ./...

# Regenerate generated code (ent, gqlgen, ...).
generate:
	$(GO) generate ./...

# Write the next versioned migration of both dialects from the ent schema:
# make migration NAME=add_something (after make generate). The PostgreSQL
# one is computed on a scratch database created on the server of
# TEST_DATABASE_URL. `server migrate` (or MIGRATE_ON_START) applies it;
# go test ./ent/migrate fails while the ent schema and the migration
# directories differ, or a directory does not match its atlas.sum.
migration:
	@test -n "$(NAME)" || { echo "usage: make migration NAME=what_it_does"; exit 2; }
	$(GO) run -mod=mod ./ent/migrate/main.go $(NAME)

# go vet, and fail if any Go file is not gofmt'ed.
lint:
	$(GO) vet ./...
	@unformatted="$$($(GOFMT) -l .)"; \
	if [ -n "$$unformatted" ]; then \
		echo "gofmt needed on:"; echo "$$unformatted"; exit 1; \
	fi

# Fuzz targets (go test -fuzz takes one package and one target per run):
# package:target pairs, run one at a time. Findings are written to the
# package's testdata/fuzz/<target>/, where plain go test replays them.
FUZZ_TARGETS = \
	./scim:FuzzFilterToSQL \
	./scim:FuzzPatchPath \
	./internal/invite:FuzzBulkInviteAddresses \
	./graph:FuzzGlobalIDsAndCursors \
	./graph:FuzzTrustedDocumentRequest \
	./graph:FuzzWriteResponse \
	./graph/gqlcursor:FuzzMarshal \
	./internal/config:FuzzTrustedDocumentsFile \
	./internal/config:FuzzConfigValues \
	./internal/config:FuzzConfigFile
FUZZTIME ?= 2m

# Fuzz every target for FUZZTIME each: make fuzz FUZZTIME=10m.
# Every target runs even when one finds something; the status says if any
# did.
fuzz:
	@failed=0; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$name ($$pkg, $(FUZZTIME))"; \
		$(GO) test -count=1 -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg || failed=1; \
	done; exit $$failed

# What CI runs: every target briefly (about 8 x 5 s plus start-up).
fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=5s

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./...

# Seed a large organization (100,000 clients, 5,000 users) into
# LOAD_DATABASE_URL (PostgreSQL; created and migrated if missing), start the
# server on it and drive it for LOAD_DURATION (default 30s): see
# scripts/load.sh and cmd/loadgen.
load:
	GO=$(GO) ./scripts/load.sh

clean:
	rm -rf bin/
