# Entry points for people and CI. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CLUSTER_DIR ?= $(CURDIR)/.cluster
# make demo's own venv: the runtime dependencies only, installed as users get them (not
# editable, no test tools), so that it neither grows nor disturbs the test venv
DEMO_VENV  := .venv-demo
DEMO_STAMP := $(DEMO_VENV)/.installed

.PHONY: demo test test-live test-offline lint docs cluster-up cluster-down demo-cluster clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## demo: install into .venv-demo and diagnose the bundled example snapshots (no cluster needed)
# --no-compile: the kubernetes client's byte code would double the venv; what a run imports
# is compiled on first use. The exit code is the verdict's (1: an example is failing); any
# other code (2 usage, 70 a bug) fails the demo.
$(DEMO_STAMP): setup.cfg pyproject.toml $(shell find kubectl_podwhy -name '*.py')
	@echo 'Installing kubectl-podwhy and its runtime dependencies into $(DEMO_VENV)/ ...'
	@$(PYTHON) -m venv $(DEMO_VENV)
	@$(DEMO_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-compile .
	@touch $@

demo: $(DEMO_STAMP)
	@echo '$$ kubectl podwhy -f examples/'
	@PATH="$(CURDIR)/$(DEMO_VENV)/bin:$$PATH"; export PATH; \
	if command -v kubectl >/dev/null 2>&1; then kubectl podwhy -f examples/; \
	else kubectl-podwhy -f examples/; fi; \
	code=$$?; [ $$code -eq 0 ] || [ $$code -eq 1 ] || [ $$code -eq 5 ] || exit $$code; \
	echo "(exit code $$code: 0 all healthy, 1 at least one failing, 5 none failing but at least one progressing)"
	@echo
	@echo 'Run it yourself (kubectl finds the plugin on PATH):'
	@echo '  export PATH="$(CURDIR)/$(DEMO_VENV)/bin:$$PATH"'
	@echo '  kubectl podwhy -f examples/checkout-oomkilled.yaml   # one pod: evidence, fix, next command'
	@echo '  kubectl podwhy -n NAMESPACE                          # your cluster; read-only'
	@echo 'To install it for good, see "Install" in README.md.'

## lint: ruff, mypy --strict, import-linter
lint: $(STAMP)
	$(BIN)/ruff check kubectl_podwhy tests scripts benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

## test: lint, then every test tier (offline and live)
test: lint
	$(BIN)/pytest

## test-offline: only the tests that need no cluster
test-offline: $(STAMP)
	$(BIN)/pytest -m "not live"

## test-live: only the live tier (local control plane, kind, or PODWHY_TEST_KUBECONFIG)
test-live: $(STAMP)
	$(BIN)/pytest -m live

## docs: regenerate docs/rules.md from the rule catalog, and the README's example output
docs: $(STAMP)
	$(BIN)/python -m kubectl_podwhy.rules.docs > docs/rules.md
	$(BIN)/python scripts/readme_examples.py --write

## cluster-up: start a local control plane (built once per machine) and print its kubeconfig
cluster-up: $(STAMP)
	$(BIN)/python scripts/control_plane.py up --build --dir $(CLUSTER_DIR)
	@echo "export KUBECONFIG=$(CLUSTER_DIR)/kubeconfig"

## cluster-down: stop it
cluster-down:
	$(PYTHON) scripts/control_plane.py down --dir $(CLUSTER_DIR)

## demo-cluster: create broken workloads on the local cluster and diagnose them
demo-cluster: $(STAMP)
	$(BIN)/python scripts/demo_cluster.py --dir $(CLUSTER_DIR)

## dist: the wheel, the sdist, the krew archive of this platform (PyInstaller, one folder: no
## Python needed) and dist/krew-manifest.yaml with its sha256 (docs/release.md)
.PHONY: dist krew-manifest
dist:
	$(PYTHON) scripts/dist.py build

## krew-manifest: copy the manifest of the archives in dist/ to krew-manifest.yaml (releases)
krew-manifest:
	$(PYTHON) scripts/dist.py manifest --out krew-manifest.yaml

clean:
	rm -rf $(VENV) $(DEMO_VENV) .mypy_cache .ruff_cache .pytest_cache build dist *.egg-info

## bench: build a kwok cluster (5,000+ pods, 20,000+ events) and time podwhy against kubectl
## (writes benchmarks/results.json; BENCH_ARGS=--quick for a smoke run, --profile to profile,
## --gate-only for only the rollout gate: podwhy --wait against kubectl rollout status)
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)
