# AccessHive. `make run` starts everything locally; `make test` runs every test.
SHELL := /bin/bash
GO ?= go
FUNCTIONS := api bootstrap provisioning expire-requests audit-stream offboarding rotate-credential
# Logical ids in template.yaml by function directory (one binary may serve several).
LOGICAL_api := ApiFunction
LOGICAL_bootstrap := BootstrapFunction
LOGICAL_expire-requests := ExpireRequestsFunction
LOGICAL_audit-stream := AuditStreamFunction
LOGICAL_offboarding := OffboardClientFunction
LOGICAL_rotate-credential := RotateCredentialFunction
LOGICAL_provisioning := PrepareIdentityFunction CreateWorkspaceUserFunction StoreCredentialFunction \
	ActivateIdentityFunction NotifyRequesterFunction MarkProvisioningFailedFunction
GOFLAGS_LAMBDA := -tags lambda.norpc -trimpath -ldflags "-s -w"
STATICCHECK_VERSION := v0.8.2
TEST_TIMEOUT ?= 10m
FUZZTIME ?= 10s

.PHONY: run test lint build deploy clean tools fuzz bench $(addprefix build-,$(foreach f,$(FUNCTIONS),$(LOGICAL_$(f))))

## run: start the whole system locally with demo data (Ctrl-C stops it)
run:
	$(GO) run ./infra/local $(ARGS)

## test: every test, against a real DynamoDB-compatible engine (moto_server)
test:
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

## lint: gofmt, go vet, staticcheck and cfn-lint
lint: tools
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$$($(GO) env GOPATH)/bin/staticcheck ./...
	cfn-lint template.yaml

tools:
	@test -x $$($(GO) env GOPATH)/bin/staticcheck || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## build: every function's bootstrap for Lambda (linux/arm64) under bin/<function>/
build:
	@for f in $(FUNCTIONS); do \
	  echo "build $$f"; \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(GOFLAGS_LAMBDA) -o bin/$$f/bootstrap ./functions/$$f || exit 1; \
	done
	@ls -l bin/*/bootstrap

# sam build (BuildMethod: makefile) calls build-<LogicalId> with ARTIFACTS_DIR set.
define SAM_TARGET
build-$(2):
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(GOFLAGS_LAMBDA) -o $$(ARTIFACTS_DIR)/bootstrap ./functions/$(1)
endef
$(foreach f,$(FUNCTIONS),$(foreach id,$(LOGICAL_$(f)),$(eval $(call SAM_TARGET,$(f),$(id)))))

## deploy: build with SAM and deploy with the defaults in samconfig.toml
deploy:
	sam build
	sam deploy

## bench: benchmarks (the expiry sweep at 100, 1,000 and 10,000 pending requests)
bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./shared/dynamo | tee bench.out

## fuzz: run each fuzz target briefly
fuzz:
	$(GO) test ./shared/cursor -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME)
	$(GO) test ./shared/httpapi -run '^$$' -fuzz FuzzDecodeJSON -fuzztime $(FUZZTIME)
	$(GO) test ./shared/asl -run '^$$' -fuzz FuzzParseAndRun -fuzztime $(FUZZTIME)

clean:
	rm -rf bin .aws-sam
