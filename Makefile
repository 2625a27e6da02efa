# gis-payments: `make run` runs the pipeline locally, `make test` runs every test.
SHELL := /bin/bash
GO ?= go
FUNCTIONS := $(notdir $(wildcard functions/*))
VERSITYGW_VERSION := v1.8.0
export PGPASSWORD ?= postgres
export TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/gis_payments_test?sslmode=disable

.PHONY: help build build-lambda run test test-infra bench bench-1m db deps node-deps gost-key localstack deploy clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build the function binaries and local tools into bin/
	$(GO) build -o bin/ ./functions/... ./tools/...

build-lambda: ## build each function for Lambda (provided.al2023, arm64) into bin/lambda/<name>/bootstrap
	@for f in $(FUNCTIONS); do \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' \
	    -o bin/lambda/$$f/bootstrap ./functions/$$f || exit 1; \
	done

bin/versitygw:
	GOBIN=$(CURDIR)/bin $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

run: build bin/versitygw node-deps ## run the whole pipeline locally through the synthesized state machine
	scripts/run-local.sh

db: ## make sure Postgres runs and the test database exists
	scripts/postgres.sh gis_payments_test

deps: ## install the Debian tools the tests use (xmllint, OpenSSL's GOST engine)
	scripts/deps.sh

node-deps: ## install the pinned npm packages: aws-local-stepfunctions with Node 22, asl-validator
	npm ci --prefix scripts/sfn-local --no-audit --no-fund
	npm ci --prefix infra --no-audit --no-fund

test: db deps node-deps ## run every test: unit, Postgres, S3, simulator, XSD, OpenSSL, local state machine, CDK
	$(GO) test -count=1 ./...
	$(MAKE) test-infra

test-infra: ## the CDK app's assertion tests and ASL validation (its own Go module)
	cd infra && JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 $(GO) vet ./... && \
	  JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 $(GO) test -count=1 ./...

bench: db deps ## benchmarks: reconciliation, COPY vs INSERT, signing, packing 300k, sending and polling 300k
	$(GO) test -run '^$$' -bench . -benchtime 3x ./internal/matcher/
	$(GO) test -run '^$$' -bench . -benchtime 1x ./internal/postgres/
	$(GO) test -run '^$$' -bench . ./internal/streebog/ ./internal/gismessage/ ./internal/xades/
	$(GO) test -run '^$$' -bench Pack300k -benchtime 1x -cpu 1,2 ./internal/packer/
	$(GO) test -run '^$$' -bench PackDistantS3 -benchtime 1x -cpu 2 ./internal/packer/
	$(GO) test -run '^$$' -bench Load300k -benchtime 1x -timeout 30m ./internal/poller/

bench-1m: db deps ## a local run of 1 000 000 payments: reconcile, pack, send, poll against the simulator (minutes)
	$(GO) test -run '^$$' -bench Run1M -benchtime 1x -timeout 60m ./internal/poller/

gost-key: ## write a throwaway GOST signing key and certificate to .local/gost/signing.pem
	$(GO) run ./tools/gostkey -out .local/gost/signing.pem

localstack: ## deploy the stack to LocalStack with cdklocal (needs Docker and a running LocalStack)
	scripts/localstack.sh

deploy: build-lambda ## deploy to AWS with the CDK CLI (2.x) and your AWS credentials
	npx --yes aws-cdk@2.1148.1 deploy --all

clean: ## remove build output and local state
	rm -rf bin .local
