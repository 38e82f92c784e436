#!/usr/bin/env bash
# Installs what the tests and the demo need when it is missing: Debian packages, then npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v git >/dev/null 2>&1 || need+=(git)
# The demo's deploy and smoke commands (sandbox/story.ts) call curl.
command -v curl >/dev/null 2>&1 || need+=(curl ca-certificates)
# The delivery health page's acceptance test drives a real headless Chromium (playwright-core).
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ "${#need[@]}" -gt 0 ]; then
  echo "stagegate: installing Debian packages: ${need[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian starts services on install where it can; the tests start their own on loopback.
  $SUDO service prometheus stop >/dev/null 2>&1 || true
  $SUDO service postgresql stop >/dev/null 2>&1 || true
fi

stamp=node_modules/.stagegate-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  # `npm install` rather than `npm ci`: this registry serves only the Linux builds of some optional
  # platform packages, so the lock file cannot list the others and `npm ci` refuses it as out of sync.
  echo "stagegate: installing npm packages (npm install, from package-lock.json)"
  npm install --no-fund --no-audit --loglevel=error
  touch "$stamp"
fi
