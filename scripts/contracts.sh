#!/usr/bin/env bash
# Finds Twilio's OpenAPI contracts for the contract tests and prints their
# folder: AHEAD_TWILIO_OPENAPI_DIR when it is set, else ../shared/contracts
# beside the repository. When the folder lacks a contract it says where the
# contracts come from and fails, so that `make test` never runs without them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${AHEAD_TWILIO_OPENAPI_DIR:-}" ]; then
  dir=$AHEAD_TWILIO_OPENAPI_DIR
  from="AHEAD_TWILIO_OPENAPI_DIR"
else
  dir="$(dirname "$root")/shared/contracts"
  from="the default folder, ../shared/contracts beside the repository (AHEAD_TWILIO_OPENAPI_DIR is not set)"
fi
missing=()
for f in twilio_api_v2010.json twilio_taskrouter_v1.json; do
  [ -f "$dir/$f" ] || missing+=("$f")
done
if [ ${#missing[@]} -gt 0 ]; then
  cat >&2 <<MSG
contracts: ${missing[*]} not found in $dir, $from.
The Twilio contract tests need Twilio's OpenAPI files, from
https://github.com/twilio/twilio-oai (spec/json/). Put them in a folder and
set AHEAD_TWILIO_OPENAPI_DIR to it, or put them in ../shared/contracts
beside the repository. See "Twilio's contracts" in README.md.
MSG
  exit 1
fi
cd "$dir" && pwd
