#!/usr/bin/env bash
# `npm run demo`: the whole Stagegate story on a local GitHub stand-in. No account, no network.
# Installs what is missing, builds, then plays the story (sandbox/demo.ts) and prints where the
# HTML transcript of the PR conversations is. Exits non-zero when any step misbehaves.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npx tsc -p tsconfig.build.json
exec node lib/sandbox/demo.js "$@"
