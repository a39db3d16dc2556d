# kam — make run: the main job end to end on the embedded default; make test: every test;
# make dist: the release archives (docs/deploy.md installs from them).
GO      ?= go
BIN     := bin/kam
# The release this tree builds: the nearest tag (and commits since), else the commit; -dirty with uncommitted changes.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
LDFLAGS := -X kam/domain.version=$(VERSION)
SHELL   := /bin/bash
# The local MariaDB the store tests also run on, when it answers.
MYSQL_TEST_DSN ?= root@tcp(127.0.0.1:3306)/test

.PHONY: build dist run test bench bench-units fuzz vet clean crashtest clustertest

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/kam

# dist/: kam-VERSION-linux-amd64.tar.gz, -linux-arm64.tar.gz, -windows-amd64.zip (the binary,
# kam.example.yaml, docs/deploy.md, contrib/) and SHA256SUMS.
dist:
	GO='$(GO)' VERSION='$(VERSION)' ./scripts/dist.sh

# First run: generate a sample into the empty inbox; every run: ingest, then every job.
run: build
	@mkdir -p var/inbox var/processed
	@if [ -z "$$(ls -A var/inbox)" ] && [ -z "$$(ls -A var/processed)" ]; then \
		echo "收件目录为空：生成样例数据（约 2,000 个客户，12 个月）"; \
		./$(BIN) gen --out var/inbox --customers 2000 --months 12 --seed 1; \
	fi
	./$(BIN) ingest
	./$(BIN) run all
	@echo "报表已写入 $$(pwd)/var/reports ："; ls -1p var/reports | grep -v /
	@echo "各单位自己的报表（按邮箱发给各单位）在 $$(pwd)/var/reports/<单位编码>/ ，共 $$(ls -d var/reports/*/ | wc -l) 个单位"

test:
	@if [ -z "$$KAM_TEST_MYSQL_DSN" ] && (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; then \
		export KAM_TEST_MYSQL_DSN='$(MYSQL_TEST_DSN)'; fi; \
	echo "KAM_TEST_MYSQL_DSN=$${KAM_TEST_MYSQL_DSN:-<unset: MariaDB tests skipped>}"; \
	$(GO) vet ./... && GOOS=windows $(GO) build ./... && GOOS=darwin $(GO) build ./... && \
	KAM_CRASH_TRIALS=$${KAM_CRASH_TRIALS:-10} $(GO) test -count=1 -timeout 30m ./...

# SIGKILL trials per store (SQLite, and a private MariaDB the test starts); figures for docs/RELIABILITY.md.
crashtest:
	@mkdir -p bench-out
	KAM_CRASH_TRIALS=$${KAM_CRASH_TRIALS:-50} $(GO) test -count=1 -timeout 60m -v -run 'TestCrash|TestDatabaseOutage' ./crashtest/ \
		| tee bench-out/crashtest.txt | grep -E 'RESULT|^(--- |ok|FAIL)' 

# Two kam instances on a private 3-node Galera cluster the test starts (galera-4, rsync): run all and serve
# together, node 2 killed mid-run, a 400,000-row month; figures for docs/RELIABILITY.md.
clustertest:
	@mkdir -p bench-out
	set -o pipefail; $(GO) test -count=1 -timeout 20m -v -run 'TestGaleraCluster' ./crashtest/ \
		| tee bench-out/clustertest.txt | grep -E 'RESULT|^(--- |ok|FAIL)'

# kam side by side with sqlite3 .import, LOAD DATA LOCAL and pandas at 1x, 2x and 4x of 50,000 customers
# (BENCH_SCALES="1" for a quick look); data and logs in bench-out/; see docs/BENCHMARKS.md.
bench: build
	./scripts/bench.sh compare

# What each centre's own workbooks add to every job at 200,000 customers (issue 13); see docs/BENCHMARKS.md.
bench-units: build
	./scripts/bench_units.sh

fuzz:
	@for t in FuzzParseMoney FuzzParseDate FuzzParseMonth; do \
		$(GO) test ./domain/ -run '^$$' -fuzz "^$$t$$" -fuzztime 20s || exit 1; done
	@for t in FuzzLoadCSV FuzzLoadXLSX; do \
		$(GO) test ./loaders/ -run '^$$' -fuzz "^$$t$$" -fuzztime 20s || exit 1; done

clean:
	rm -rf bin var bench-out dist
