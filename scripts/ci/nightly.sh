#!/usr/bin/env bash
# The nightly CI job as steps that also run on a workstation (.github/workflows/nightly.yml calls one
# step per workflow step). Exit: 0 ok, 1 a loss budget breached (or a naive variant that stopped
# losing), 2 bad usage, 3 the environment failed (with what to do).
#
#   scripts/ci/nightly.sh lint        actionlint on .github/workflows/ (built from its Go module into
#                                     $LOSSLESS_CACHE/bin-tools when Go is there and it is missing)
#   scripts/ci/nightly.sh smoke       no cluster: a local echo, `lossless load` with budgets, the gate's
#                                     exit codes, report.html and junit.xml (loopback traffic only)
#   scripts/ci/nightly.sh lab         the kind cluster (LOSSLESS_LAB_SOURCE=online in CI: kind's images)
#   scripts/ci/nightly.sh catalogue   every scenario in scenarios/ (or those named in SCENARIOS), every
#                                     variant, REPEAT runs each (npm run scenario -- <name> --variants
#                                     --repeat N); breaches are recorded, not fatal: the gate step decides
#   scripts/ci/nightly.sh gate        `lossless report` on every run folder of this catalogue: exit 1
#                                     when any budget or expectation failed; a table for the CI summary
#   scripts/ci/nightly.sh down        remove the cluster
#   scripts/ci/nightly.sh all         lint, lab, catalogue, gate (what the workflow does)
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
NODE_BIN=$("$REPO/scripts/node24" --path)
export PATH="$NODE_BIN:$PATH"
CACHE=${LOSSLESS_CACHE:-$HOME/.cache/lossless/lab}
TOOLS="$CACHE/bin-tools"
RESULTS=${RESULTS_DIR:-$REPO/results}
NIGHTLY=${NIGHTLY_DIR:-$RESULTS/nightly}
REPEAT=${REPEAT:-3}
LOSSLESS="$REPO/harness/bin/lossless"

say() { printf '· %s\n' "$*"; }
env_fail() { printf 'nightly: %s\n' "$*" >&2; exit 3; }

step_lint() {
  local al
  al=$(command -v actionlint || true)
  [[ -z "$al" && -x "$TOOLS/actionlint" ]] && al="$TOOLS/actionlint"
  if [[ -z "$al" ]]; then
    if command -v go >/dev/null; then
      say "building actionlint from its Go module into $TOOLS"
      mkdir -p "$TOOLS"
      GOBIN="$TOOLS" go install github.com/rhysd/actionlint/cmd/actionlint@latest || env_fail "go install of actionlint failed; check the Go module proxy"
      al="$TOOLS/actionlint"
    else
      env_fail "actionlint not found and no Go to build it: install Go, or put actionlint on PATH or in $TOOLS"
    fi
  fi
  say "actionlint $("$al" -version | head -1) on .github/workflows/"
  "$al" -no-color .github/workflows/*.yml
  say "workflows lint clean"
}

step_smoke() {
  local dir port pid code
  dir=$(mktemp -d "${TMPDIR:-/tmp}/lossless-nightly-smoke.XXXXXX")
  # the echo answers 503 for seqs 20-29: 10 of 100 requests are lost
  PORT=0 POD_NAME=echo-smoke FAIL_SEQS=503:20-29 node --import tsx workloads/echo/main.ts >"$dir/echo.log" 2>&1 &
  pid=$!
  trap 'kill "$pid" 2>/dev/null || true' RETURN
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*"event":"listening".*"port":\([0-9]*\).*/\1/p' "$dir/echo.log" | head -1)
    [[ -n "$port" ]] && break
    sleep 0.1
  done
  [[ -n "${port:-}" ]] || env_fail "the echo did not start (log: $dir/echo.log)"
  set +e
  "$LOSSLESS" load "http://127.0.0.1:$port/" --qps 100 --requests 100 --out "$dir/breach" --quiet --max-loss 1%
  code=$?
  set -e
  [[ $code == 1 ]] || { echo "nightly smoke: a 10% loss against --max-loss 1% exited $code, expected 1" >&2; exit 1; }
  "$LOSSLESS" load "http://127.0.0.1:$port/" --qps 100 --requests 100 --out "$dir/within" --quiet --max-loss 10% --max-window 5s \
    || { echo "nightly smoke: a 10% loss within --max-loss 10% did not exit 0" >&2; exit 1; }
  for f in report.html junit.xml summary.json; do
    [[ -s "$dir/breach/$f" ]] || { echo "nightly smoke: $f missing in $dir/breach" >&2; exit 1; }
  done
  grep -q '<failure type="maxLossPercent"' "$dir/breach/junit.xml" || { echo "nightly smoke: junit.xml has no maxLossPercent failure" >&2; exit 1; }
  say "smoke ok: breach exits 1, within budget exits 0, report.html + junit.xml written ($dir)"
}

step_lab() {
  npm run --silent lab:up -- --source "${LOSSLESS_LAB_SOURCE:-online}"
}

step_catalogue() {
  [[ -n "$(npm pkg get scripts.scenario | tr -d '{}" \n')" ]] || env_fail "no 'scenario' script in package.json: the scenario runner (npm run scenario) is needed for the catalogue"
  mkdir -p "$NIGHTLY"
  : >"$NIGHTLY/started"
  : >"$NIGHTLY/catalogue.tsv"
  local f name code
  for f in scenarios/*.yaml; do
    name=$(basename "$f" .yaml)
    if [[ -n "${SCENARIOS:-}" && " $SCENARIOS " != *" $name "* ]]; then continue; fi
    say "scenario $name: every variant, $REPEAT runs each"
    set +e
    npm run --silent scenario -- "$name" --variants --repeat "$REPEAT" 2>&1 | tee "$NIGHTLY/$name.log"
    code=${PIPESTATUS[0]}
    set -e
    printf '%s\t%s\n' "$name" "$code" >>"$NIGHTLY/catalogue.tsv"
    # 0 within budget, 1 a breach (judged again by the gate step); anything else is the environment
    if [[ $code != 0 && $code != 1 ]]; then env_fail "scenario $name exited $code (log: $NIGHTLY/$name.log)"; fi
  done
}

step_gate() {
  [[ -f "$NIGHTLY/started" ]] || env_fail "no catalogue run to gate: run the catalogue step first"
  local dir code out failed=0 n=0 table
  table="$NIGHTLY/gate.md"
  printf '| run | verdict |\n|---|---|\n' >"$table"
  : >"$NIGHTLY/runs.txt"
  while IFS= read -r dir; do
    dir=$(dirname "$dir")
    n=$((n + 1))
    echo "$dir" >>"$NIGHTLY/runs.txt"
    set +e
    out=$("$LOSSLESS" report "$dir" 2>&1)
    code=$?
    set -e
    echo "$out"
    case $code in
      0) printf '| %s | within budget |\n' "$(basename "$dir")" >>"$table" ;;
      1) failed=1; printf '| %s | **BREACH**: %s |\n' "$(basename "$dir")" "$(grep -m1 'breach:' <<<"$out" | sed 's/^ *breach: //; s/|/\\|/g')" >>"$table" ;;
      *) env_fail "lossless report $dir exited $code" ;;
    esac
  done < <(find "$RESULTS" -mindepth 2 -maxdepth 2 -name summary.json -newer "$NIGHTLY/started" | sort)
  [[ $n -gt 0 ]] || env_fail "the catalogue produced no run folder under $RESULTS"
  [[ -n "${GITHUB_STEP_SUMMARY:-}" ]] && { echo "## lossless nightly: $n runs"; cat "$table"; } >>"$GITHUB_STEP_SUMMARY"
  say "$n runs gated; $( ((failed)) && echo 'a budget was breached' || echo 'all within budget')"
  return $failed
}

step_down() {
  npm run --silent lab:down
}

case "${1:-}" in
  lint) step_lint ;;
  smoke) step_smoke ;;
  lab) step_lab ;;
  catalogue) step_catalogue ;;
  gate) step_gate ;;
  down) step_down ;;
  all) step_lint && step_lab && step_catalogue && step_gate ;;
  *) echo "usage: scripts/ci/nightly.sh lint|smoke|lab|catalogue|gate|down|all" >&2; exit 2 ;;
esac
