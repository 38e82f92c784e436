#!/usr/bin/env bash
# The one test command (README): installs what is missing, checks format, lint and import boundaries,
# type-checks, checks generated files,
# runs every jest suite (printing the coverage summary, not a gate), prints the wall time, and ends with `tests: N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

bash scripts/ensure-deps.sh || { echo "tests: 0 passed, 1 failed"; exit 1; }

extra_failed=0
step() {
  local name=$1; shift
  echo "== $name"
  if "$@"; then echo "ok: $name"; else echo "FAILED: $name"; extra_failed=$((extra_failed + 1)); fi
}

step "format (prettier --check)" npx prettier --check --log-level=warn "**/*.{ts,mjs,js}"
step "lint (eslint, typescript-eslint type-aware; eslint.config.js)" npx eslint --max-warnings=0 "**/*.ts"
step "import boundaries (dependency-cruiser; .dependency-cruiser.cjs)" npx depcruise --config .dependency-cruiser.cjs --output-type err src app action sandbox bench bin scripts __tests__
step "type-check (tsc --noEmit)" npx tsc --noEmit -p tsconfig.json
step "build (tsc)" npx tsc -p tsconfig.build.json
step "JSON Schema is up to date (schema/)" node scripts/generate-schema.mjs --check
if [ -f scripts/bundle.mjs ]; then
  step "dist/ is up to date with the source" node scripts/bundle.mjs --check
fi

echo "== jest"
rm -f .jest-results.json
NODE_OPTIONS=--experimental-vm-modules npx jest --ci --coverage --json --outputFile=.jest-results.json "$@" 2>&1
jest_rc=$?

read -r passed failed < <(node -e '
  const fs = require("fs");
  let r = { numPassedTests: 0, numFailedTests: 0, numRuntimeErrorTestSuites: 0 };
  try { r = JSON.parse(fs.readFileSync(".jest-results.json", "utf8")); } catch { r.numFailedTests = 1; }
  console.log(r.numPassedTests, r.numFailedTests + r.numRuntimeErrorTestSuites);
')
if [ "$jest_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
failed=$((failed + extra_failed))
elapsed=$(($(date +%s) - started))
echo "wall time: $((elapsed / 60))m $((elapsed % 60))s"
echo "tests: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
