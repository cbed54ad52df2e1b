#!/usr/bin/env bash
# Provisions what the tests need: redis-server, Debian chromium and the pinned
# Node packages (Prism for Twilio's contract, playwright-core for Chromium).
# As root it installs with apt-get; otherwise it names what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "deps: missing ${missing[*]}; install them, e.g.: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# Node packages, pinned by e2e/package-lock.json.
if [ ! -x e2e/node_modules/.bin/prism ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
  echo "deps: installing the pinned Node packages in e2e/"
  (cd e2e && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "deps: redis-server $(redis-server --version | awk '{print $3}'), $(chromium --version 2>/dev/null | head -1), prism $(e2e/node_modules/.bin/prism --version 2>/dev/null)"
