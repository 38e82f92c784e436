#!/usr/bin/env bash
# npm run bench: builds, then runs every benchmark in bench/ (each prints its own figures).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npx tsc -p tsconfig.build.json
for b in lib/bench/*.js; do
  [ -e "$b" ] || continue
  echo "== $(basename "$b" .js)"
  node "$b"
done
