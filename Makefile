# AccessHive. `make run` starts everything locally; `make test` runs every test.
SHELL := /bin/bash
GO ?= go
FUNCTIONS := api bootstrap provisioning workspace expire-requests audit-stream notify offboarding events webhooks
# Logical ids in template.yaml by function directory (one binary may serve several).
LOGICAL_api := ApiFunction
LOGICAL_bootstrap := BootstrapFunction
LOGICAL_expire-requests := ExpireRequestsFunction
LOGICAL_audit-stream := AuditStreamFunction
LOGICAL_notify := NotifyFunction
LOGICAL_events := EventsFunction
LOGICAL_webhooks := WebhooksFunction
LOGICAL_offboarding := OffboardClientFunction
LOGICAL_workspace := WorkspaceFunction RotateCredentialFunction
LOGICAL_provisioning := PrepareIdentityFunction StoreCredentialFunction ActivateIdentityFunction \
	MarkProvisioningFailedFunction
GOFLAGS_LAMBDA := -tags lambda.norpc -trimpath -ldflags "-s -w"
STATICCHECK_VERSION := v0.8.2
TEST_TIMEOUT ?= 10m
FUZZTIME ?= 10s

.PHONY: console test-e2e deploy-console run test lint lint-asl build deploy clean tools fuzz bench $(addprefix build-,$(foreach f,$(FUNCTIONS),$(LOGICAL_$(f))))

## run: start the whole system locally with demo data (Ctrl-C stops it)
run: console
	$(GO) run ./infra/local $(ARGS)

## console: the web console (console/), built into console/dist (npm ci: its own pinned dependencies)
console: console/dist/index.html
console/dist/index.html: console/package-lock.json console/index.html console/vite.config.ts console/tsconfig.json $(shell find console/src -type f 2>/dev/null)
	npm ci --prefix console --no-audit --no-fund --loglevel=error
	npm run --prefix console build

## test-e2e: the console in Debian's Chromium against a local stack (make run's), axe-core on every screen
test-e2e: console
	node console/e2e/run.mjs

## test: every test, against a real DynamoDB-compatible engine (moto_server)
test:
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

## lint: gofmt, go vet, staticcheck, cfn-lint, the cloud-readiness rules on the transformed
## template (infra/templatecheck) and the state machines' ASL (asl-validator)
lint: tools lint-asl
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$$($(GO) env GOPATH)/bin/staticcheck ./...
	cfn-lint template.yaml
	$(GO) run ./infra/templatecheck template.yaml

## lint-asl: every state machine definition through asl-validator (from npm), which
## must also refuse a deliberately broken one
ASL_VALIDATOR := infra/tools/node_modules/.bin/asl-validator
lint-asl: $(ASL_VALIDATOR)
	@for f in infra/statemachines/*.asl.json; do $(ASL_VALIDATOR) --json-path $$f || exit 1; done
	@if $(ASL_VALIDATOR) --silent --json-path testdata/asl/broken.asl.json; then echo "asl-validator accepted testdata/asl/broken.asl.json"; exit 1; fi

$(ASL_VALIDATOR): infra/tools/package.json infra/tools/package-lock.json
	npm ci --prefix infra/tools --no-audit --no-fund --silent
	@touch $@

tools:
	@test -x $$($(GO) env GOPATH)/bin/staticcheck || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## build: every function's bootstrap for Lambda (linux/arm64) under bin/<function>/
build: console
	@for f in $(FUNCTIONS); do \
	  echo "build $$f"; \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(GOFLAGS_LAMBDA) -o bin/$$f/bootstrap ./functions/$$f || exit 1; \
	done
	@ls -l bin/*/bootstrap

# sam build (BuildMethod: makefile) calls build-<LogicalId> with ARTIFACTS_DIR set; the
# API's target builds the console too, so `sam build` leaves console/dist for deploy-console.
build-ApiFunction: console
define SAM_TARGET
build-$(2):
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(GOFLAGS_LAMBDA) -o $$(ARTIFACTS_DIR)/bootstrap ./functions/$(1)
endef
$(foreach f,$(FUNCTIONS),$(foreach id,$(LOGICAL_$(f)),$(eval $(call SAM_TARGET,$(f),$(id)))))

## deploy: build with SAM and deploy with the defaults in samconfig.toml
deploy: console
	sam build
	sam deploy
	$(MAKE) deploy-console

## deploy-console: upload console/dist and its configuration (issuer, app client) to the
## stack's console bucket and invalidate CloudFront. STACK defaults to samconfig's name.
STACK ?= accesshive
deploy-console: console
	@out() { aws cloudformation describe-stacks --stack-name $(STACK) --query "Stacks[0].Outputs[?OutputKey=='$$1'].OutputValue" --output text; }; \
	bucket=$$(out ConsoleBucketName); dist=$$(out ConsoleDistributionId); url=$$(out ConsoleUrl); \
	printf '{"issuer":"%s","clientId":"%s","redirectUri":"%s/callback"}\n' "$$(out Issuer)" "$$(out UserPoolClientId)" "$$url" > console/dist/console-config.json; \
	aws s3 sync console/dist "s3://$$bucket" --delete --exclude "index.html" --exclude "console-config.json" --cache-control "public, max-age=31536000, immutable"; \
	aws s3 cp console/dist/index.html "s3://$$bucket/index.html" --cache-control "no-cache"; \
	aws s3 cp console/dist/console-config.json "s3://$$bucket/console-config.json" --cache-control "no-cache"; \
	aws cloudfront create-invalidation --distribution-id "$$dist" --paths "/index.html" "/console-config.json" >/dev/null; \
	echo "console: $$url"

## bench: measure every route, the sweep and the Effective Access read at 100 to 10,000 items,
## each bootstrap's size and each function's init; writes docs/benchmarks.md and .json (~6 min)
BENCH_DIR := $(CURDIR)/.local/bench
BENCH_ROUTES ?= 10x
bench: build
	rm -rf $(BENCH_DIR) && mkdir -p $(BENCH_DIR)
	ACCESSHIVE_BENCH_DIR=$(BENCH_DIR) $(GO) test -run '^$$' -bench BenchmarkRoutes -benchtime $(BENCH_ROUTES) -timeout 30m ./shared/httpapi
	ACCESSHIVE_BENCH_DIR=$(BENCH_DIR) $(GO) test -run '^$$' -bench BenchmarkHandlerOverhead -benchtime 2000x -timeout 30m ./shared/httpapi
	ACCESSHIVE_BENCH_DIR=$(BENCH_DIR) $(GO) test -run '^$$' -bench BenchmarkFunctions -benchtime 5x -timeout 30m ./shared/httpapi
	ACCESSHIVE_BENCH_DIR=$(BENCH_DIR) $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./shared/dynamo
	ACCESSHIVE_BENCH_DIR=$(BENCH_DIR) $(GO) test -run '^$$' -bench BenchmarkEngineAtTableSize -benchtime 1x -timeout 30m ./infra/motoserver
	$(GO) run ./infra/benchreport -in $(BENCH_DIR) -bin bin -out docs/benchmarks -runs 20 \
	  -functions "$(foreach f,$(FUNCTIONS),$(f)=$(firstword $(LOGICAL_$(f))))"

## fuzz: run each fuzz target briefly
fuzz:
	$(GO) test ./shared/cursor -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME)
	$(GO) test ./shared/httpapi -run '^$$' -fuzz FuzzDecodeJSON -fuzztime $(FUZZTIME)
	$(GO) test ./infra/asl -run '^$$' -fuzz FuzzParseAndRun -fuzztime $(FUZZTIME)
	$(GO) test ./infra/ddbrules -run '^$$' -fuzz FuzzCheck -fuzztime $(FUZZTIME)

clean:
	rm -rf bin .aws-sam
