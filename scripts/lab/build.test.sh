#!/usr/bin/env bash
# Tests of scripts/lab/build.sh, the cached runner, with small recipes in a temporary folder and a
# temporary cache (no Go build, a few seconds). Run: bash scripts/lab/build.test.sh
set -uo pipefail
LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export LOSSLESS_CACHE=$T/cache LOSSLESS_LAB_RECIPES=$T/recipes COUNT=$T/count LAB_T_VALUE=one
mkdir -p "$LOSSLESS_LAB_RECIPES"
pass=0 fail=0
check() { # check <name> <shell condition>: the condition must hold
  local name=$1
  if eval "$2"; then pass=$((pass + 1)); echo "ok - $name"; else fail=$((fail + 1)); echo "not ok - $name"; fi
}
run() { OUTPUT=$("$LAB/build.sh" "$@" 2>&1); RC=$?; }
builds() { [[ $(wc -l <"$COUNT" 2>/dev/null || echo 0) -eq $1 ]]; }

cat >"$LOSSLESS_LAB_RECIPES/t1.sh" <<'EOF'
OUTPUTS=(t1-a t1-b)
INPUT_VARS=(LAB_T_VALUE)
USES_GO=0
build() { echo build >>"$COUNT"; echo "$LAB_T_VALUE" >"$OUT/t1-a"; echo b >"$OUT/t1-b"; echo "hello from t1"; }
EOF
cat >"$LOSSLESS_LAB_RECIPES/t2.sh" <<'EOF'
OUTPUTS=(t2-out)
USES_GO=0
build() { echo half >"$OUT/t2-out"; echo "t2 breaks here"; false; echo "not reached" >"$OUT/t2-out"; }
EOF
cat >"$LOSSLESS_LAB_RECIPES/t3.sh" <<'EOF'
OUTPUTS=(t3-out t3-missing)
USES_GO=0
build() { echo x >"$OUT/t3-out"; }
EOF
cat >"$LOSSLESS_LAB_RECIPES/slow.sh" <<'EOF'
OUTPUTS=(slow-out)
USES_GO=0
build() { echo partial >"$OUT/slow-out"; touch "$COUNT.slow-started"; sleep 120; }
EOF

run t1
check "first run builds" '[ "$RC" -eq 0 ]'
check "says what it builds and its log before building (no past time on a first build)" 'grep -qx "building t1: log $T/cache/logs/build-t1.log" <<<"$OUTPUT"'
check "prints built line" 'grep -Eq '\''^built t1 in [0-9]+s$'\'' <<<"$OUTPUT"'
check "outputs in bin" '[ "$(cat "$T/cache/bin/t1-a")" = one ] && [ -f "$T/cache/bin/t1-b" ]'
check "log holds the recipe's output" 'grep -q "hello from t1" "$T/cache/logs/build-t1.log"'
run t1
check "second run is cached" '[ "$OUTPUT" = "cached t1" ]'
check "cached run did not build" 'builds 1'
LAB_T_VALUE=two run t1
check "changed input var rebuilds" 'grep -q '\''^built t1'\'' <<<"$OUTPUT"'
check "a rebuild says what it builds, its log and the last build's time first" 'grep -Eqx "building t1: log $T/cache/logs/build-t1.log, last built in [0-9]+s" <<<"$OUTPUT"'
check "rebuilt output has the new value" '[ "$(cat "$T/cache/bin/t1-a")" = two ]'
LAB_T_VALUE=two run t1
rm "$T/cache/bin/t1-b"
LAB_T_VALUE=two run t1
check "a missing output rebuilds" 'grep -q '\''^built t1'\'' <<<"$OUTPUT"'
check "build count is 3" 'builds 3'

LAB_T_VALUE=two run t2 t1
check "failing recipe exits 1" '[ "$RC" -eq 1 ]'
check "prints FAILED with its log" 'grep -qx "FAILED t2: see $T/cache/logs/build-t2.log" <<<"$OUTPUT"'
check "other artefacts still processed" 'grep -qx "cached t1" <<<"$OUTPUT"'
check "no half output of a failed build" '[ ! -e "$T/cache/bin/t2-out" ] && [ ! -e "$T/cache/bin/t2.stamp" ]'
check "failure log names the cause" 'grep -q "t2 breaks here" "$T/cache/logs/build-t2.log"'
check "failure log records the exit status" 'grep -q "== t2: FAILED with exit status 1 after" "$T/cache/logs/build-t2.log"'

run t3
check "an undeclared-output recipe fails" '[ "$RC" -eq 1 ] && grep -q "did not write t3-missing" "$T/cache/logs/build-t3.log"'
check "nothing of it reaches bin" '[ ! -e "$T/cache/bin/t3-out" ]'

run nosuch
check "unknown artefact exits 2 naming it" '[ "$RC" -eq 2 ] && grep -q "unknown artefact '\''nosuch'\''" <<<"$OUTPUT"'

# Interruption: kill the whole run mid-build; nothing half-made may be left, and a rerun builds again.
setsid "$LAB/build.sh" slow >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 120); do [[ -e $COUNT.slow-started ]] && break; sleep 0.5; done
{ kill -KILL -- "-$pid"; wait "$pid"; } 2>/dev/null
check "killed build left no output or stamp" '[ ! -e "$T/cache/bin/slow-out" ] && [ ! -e "$T/cache/bin/slow.stamp" ]'
sed -i 's/sleep 120/true/' "$LOSSLESS_LAB_RECIPES/slow.sh"
run slow
check "rerun after the kill builds" '[ "$RC" -eq 0 ] && [ "$(cat "$T/cache/bin/slow-out")" = partial ]'
check "rerun cleared the killed run's scratch dir" '[ -z "$(ls -A "$T/cache/tmp")" ]'

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
