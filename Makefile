# The two commands: `make run` and `make test`. The rest are steps they use.
.PHONY: run test build site lint ci
run:   ; @scripts/run.sh
test:  ; @scripts/test.sh
site:  ; @scripts/build-site.sh
build: site ; cargo build --release -p roombook-server
lint:  ; @scripts/lint.sh
ci:    ; @bash .ci/run
