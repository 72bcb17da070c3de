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
#   scripts/ci/nightly.sh annotate    ::error annotations from the gated runs' junit.xml failures
#   scripts/ci/nightly.sh previous    tonight vs the previous night's kept runs (PREVIOUS_DIR, default
#                                     results/previous-night): exit 1 when a scenario/variant is
#                                     significantly worse; then keeps tonight's runs there for tomorrow
#   scripts/ci/nightly.sh down        remove the cluster
#   scripts/ci/nightly.sh all         lint, lab, catalogue, gate, annotate, previous (what the workflow does)
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

# GitHub annotations from the runs' junit.xml: one ::error per failed budget or expectation (workflow commands;
# on a workstation they are plain lines naming the same failures).
step_annotate() {
  [[ -f "$NIGHTLY/runs.txt" ]] || env_fail "no gated runs: run the gate step first"
  local dir n=0 name type msg
  while IFS= read -r dir; do
    [[ -f "$dir/junit.xml" ]] || continue
    while IFS=$'\t' read -r name type msg; do
      n=$((n + 1))
      msg=$(unxml "$msg"); name=$(unxml "$name")
      msg=${msg//'%'/'%25'}
      printf '::error title=lossless %s: %s (%s)::%s\n' "$(basename "$dir")" "$name" "$type" "$msg"
    done < <(sed -n 's/.*<testcase [^>]*name="\([^"]*\)"[^>]*><failure type="\([^"]*\)" message="\([^"]*\)".*/\1\t\2\t\3/p' "$dir/junit.xml")
  done <"$NIGHTLY/runs.txt"
  say "$n failed checks annotated"
}

unxml() {
  local s=$1
  s=${s//'&lt;'/<}; s=${s//'&gt;'/>}; s=${s//'&quot;'/\"}; s=${s//'&apos;'/\'}; s=${s//'&amp;'/&}
  printf '%s' "$s"
}

# `scenario/variant` of a run folder, from its scenario.json
group_of() {
  node -e 'const s=JSON.parse(require("fs").readFileSync(process.argv[1]+"/scenario.json","utf8"));console.log(`${s.name}/${s.variant}`)' "$1" 2>/dev/null || echo "load/$(basename "$1")"
}

# Tonight against the previous night's kept runs ($PREVIOUS_DIR, restored by the workflow's cache): for each
# scenario/variant run both nights, `lossless compare last=... tonight=...`; exit 1 when tonight is
# significantly worse (two-sided exact Mann-Whitney U on loss %, alpha 0.1: with 3 runs a night, only when
# every run tonight lost more than every run last night). Then tonight's runs are kept for tomorrow.
step_previous() {
  [[ -f "$NIGHTLY/runs.txt" ]] || env_fail "no gated runs: run the gate step first"
  local prev=${PREVIOUS_DIR:-$RESULTS/previous-night} table="$NIGHTLY/previous.md" worse=0 dir g groups=() out verdict
  printf '| scenario/variant | tonight vs last night |\n|---|---|\n' >"$table"
  declare -A tonight=() last=()
  while IFS= read -r dir; do g=$(group_of "$dir"); tonight[$g]+=" tonight=$dir"; done <"$NIGHTLY/runs.txt"
  if [[ -d "$prev" ]]; then
    for dir in "$prev"/*/; do [[ -f "$dir/summary.json" ]] && { g=$(group_of "${dir%/}"); last[$g]+=" last=${dir%/}"; }; done
  fi
  mapfile -t groups < <(printf '%s\n' "${!tonight[@]}" | sort)
  for g in "${groups[@]}"; do
    if [[ -z "${last[$g]:-}" ]]; then printf '| %s | no runs last night |\n' "$g" >>"$table"; continue; fi
    # shellcheck disable=SC2086 # the lists are name=dir words
    out=$("$LOSSLESS" compare ${last[$g]} ${tonight[$g]} --json --no-fail --out "$NIGHTLY/compare-${g//\//-}.html") || env_fail "lossless compare for $g failed"
    verdict=$(node -e 'const c=JSON.parse(require("fs").readFileSync(0,"utf8"));const p=c.pairs.find(p=>p.base==="last");console.log(p?p.verdict:"no verdict");console.error(p?p.text:"")' <<<"$out" 2>"$NIGHTLY/compare-${g//\//-}.txt")
    [[ $verdict == worse ]] && worse=1
    printf '| %s | %s%s |\n' "$g" "$([[ $verdict == worse ]] && echo '**WORSE**: ' || true)" "$(sed 's/|/\\|/g' "$NIGHTLY/compare-${g//\//-}.txt")" >>"$table"
  done
  cat "$table"
  [[ -n "${GITHUB_STEP_SUMMARY:-}" ]] && { echo "## against the previous night"; cat "$table"; } >>"$GITHUB_STEP_SUMMARY"
  # keep tonight's runs for tomorrow (the workflow saves this folder in its cache)
  rm -rf "$prev.next" && mkdir -p "$prev.next"
  while IFS= read -r dir; do cp -r "$dir" "$prev.next/"; done <"$NIGHTLY/runs.txt"
  rm -rf "$prev" && mv "$prev.next" "$prev"
  if ((worse)); then say "significantly worse than last night"; return 1; fi
  say "no scenario significantly worse than last night"
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
  annotate) step_annotate ;;
  previous) step_previous ;;
  down) step_down ;;
  all) step_lint && step_lab && step_catalogue && { g=0; p=0; step_gate || g=$?; step_annotate; step_previous || p=$?; exit $((g || p)); } ;;
  *) echo "usage: scripts/ci/nightly.sh lint|smoke|lab|catalogue|gate|annotate|previous|down|all" >&2; exit 2 ;;
esac
