#!/usr/bin/env bash
# Run by `npm test` before the tests (npm's pretest hook): the browser tests need Chromium and the
# reverse-proxy tests need nginx, both from Debian's packages. As root they are installed with
# apt-get when missing; otherwise the run stops at once with one line saying what to install.
set -euo pipefail

missing=()
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$chromium" ] || missing+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing ${missing[*]} (Debian packages) for the tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi

echo "The tests need: ${missing[*]}. Install with: sudo apt-get install -y ${missing[*]} (or set CHROMIUM_PATH)." >&2
exit 1
