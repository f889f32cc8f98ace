#!/usr/bin/env bash
# The end-to-end demo behind `make demo`:
#   bash scripts/demo.sh <finopsmetrics-binary> <demo-dir>
# In a fresh directory, with a local DuckDB state file: validate, plan, apply,
# plan again (no changes), sync the sample billing data and show it, change the
# YAML, change a live object outside of code (drift), revert it, import an
# object made by hand, and evaluate the budgets, detectors, tag coverage and
# policies against the costs.
set -euo pipefail

FM_ARG=${1:?usage: demo.sh FINOPSMETRICS-BINARY DEMO-DIR}
DEMO=${2:?usage: demo.sh FINOPSMETRICS-BINARY DEMO-DIR}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FM=$(cd "$(dirname "$FM_ARG")" && pwd)/$(basename "$FM_ARG")
PY=$(dirname "$FM")/python

rm -rf "$DEMO"
mkdir -p "$DEMO"
cd "$DEMO"
export FINOPSMETRICS_STATE="$PWD/.finopsmetrics/state.duckdb"
export FINOPSMETRICS_ACTOR="demo@$(hostname)"

step() { printf '\n==> %s\n' "$*"; }
# Run a command that may exit 2 ("changes present"); any other failure stops the demo.
allow2() { local rc=0; "$@" || rc=$?; [ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] || exit "$rc"; }

if "$FM" init --help >/dev/null 2>&1; then
  step "finopsmetrics init starter/   (a commented starter file)"
  "$FM" init starter
fi

step "using examples/finopsmetrics.yaml (every kind of object) and its sample billing data"
cp "$ROOT/examples/finopsmetrics.yaml" finopsmetrics.yaml
cp -R "$ROOT/examples/cost-data" cost-data

step "finopsmetrics validate finopsmetrics.yaml"
"$FM" validate finopsmetrics.yaml

step "finopsmetrics plan --out demo.plan   (summary; the full plan is saved)"
"$FM" plan --out demo.plan -q

step "finopsmetrics apply demo.plan"
"$FM" apply demo.plan -q

step "finopsmetrics plan --detailed-exitcode   (nothing to do: exit 0)"
"$FM" plan --detailed-exitcode

step "finopsmetrics costs sync   (the applied cost_sources: FOCUS, AWS CUR, Azure EA, OCI samples)"
"$FM" costs sync

step "finopsmetrics costs show --by provider,month"
"$FM" costs show --by provider,month

step "finopsmetrics costs show --by vtag:workload_type --period 2024-09   (virtual tags: rules and a default)"
"$FM" costs show --by vtag:workload_type --period 2024-09

step "edit the YAML: ml-training-q1 amount 50000 -> 65000, first alert at 90%"
sed -i.bak -e 's/^    amount: 50000$/    amount: 65000/' \
  -e 's/^      - threshold: 80%            # same as 0.8$/      - threshold: 90%/' finopsmetrics.yaml
rm -f finopsmetrics.yaml.bak
allow2 "$FM" plan --detailed-exitcode
"$FM" apply --auto-approve -q

step "someone edits budget.web-platform in a console (through the engine API)"
"$PY" - <<'PYEOF'
from finopsmetrics_cli.engine import Engine

console = Engine(actor="alice@console", source="api")
live = console.read("budget.web-platform")
console.edit_live("budget.web-platform", {**live.spec, "amount": 31000})
console.create("budget", "hand-made", {"amount": 900, "period": "monthly", "currency": "USD"},
               manager=None)
print("edited budget.web-platform and created budget.hand-made outside of code")
PYEOF

step "finopsmetrics drift --exit-code   (who changed what, when: exit 2)"
allow2 "$FM" drift --exit-code

step "finopsmetrics plan   (shows the outside change, and the update that reverts it)"
allow2 "$FM" plan

step "finopsmetrics apply --auto-approve   (revert the drift)"
"$FM" apply --auto-approve -q
"$FM" drift --exit-code

step "finopsmetrics import budget.hand-made --write finopsmetrics.yaml   (comments kept)"
"$FM" import budget.hand-made --write finopsmetrics.yaml
grep -n -B2 -A4 "name: hand-made" finopsmetrics.yaml
allow2 "$FM" plan
"$FM" apply --auto-approve -q

step "finopsmetrics plan --format markdown   (the PR comment)"
"$FM" plan --format markdown

step "finopsmetrics evaluate --kind budget --kind anomaly_detector   (budgets against the sample spend, an anomaly, findings kept)"
"$FM" evaluate --kind budget --kind anomaly_detector

step "finopsmetrics evaluate --kind tag_rule --kind ownership_rule   (tag coverage: spend missing each key)"
"$FM" evaluate --kind tag_rule --kind ownership_rule

step "finopsmetrics evaluate --kind policy --kind compliance_framework --inventory inventory.csv   (policies over the resources the bill shows, plus a file of attributes)"
cp "$ROOT/examples/inventory.csv" inventory.csv
"$FM" evaluate --kind policy --kind compliance_framework --inventory inventory.csv

step "finopsmetrics evaluate --kind lifecycle_rule -q   (resources without an owner, older than the rules allow)"
"$FM" evaluate --kind lifecycle_rule -q

step "finopsmetrics evaluate -q --exit-code   (again: the findings are open now; exit 2)"
allow2 "$FM" evaluate -q --exit-code

step "finopsmetrics evaluate --format github   (the budget findings as CI annotations)"
"$FM" evaluate finopsmetrics.yaml --kind budget --format github

step "finopsmetrics evaluate --dry-run   (the alerts --notify would send: channel, recipients, text)"
"$FM" evaluate --kind budget --kind anomaly_detector --dry-run -q

printf '\nDemo complete: state in %s\n' "$FINOPSMETRICS_STATE"
