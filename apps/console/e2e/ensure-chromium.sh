#!/bin/sh
# Makes sure Debian's Chromium is at /usr/bin/chromium for the console's browser test.
# Installs it with apt-get where missing (CI runs as root with Debian's registry reachable);
# exits non-zero with the reason when it cannot, so the test fails instead of being skipped.
set -u
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing and apt-get is not available: install Debian's chromium package" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "ensure-chromium: $CHROMIUM is missing and this user is not root: run 'apt-get install -y --no-install-recommends chromium' as root" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
echo "ensure-chromium: installing chromium with apt-get" >&2
$SUDO apt-get install -y --no-install-recommends chromium >&2 \
  || { $SUDO apt-get update >&2 && $SUDO apt-get install -y --no-install-recommends chromium >&2; }
if [ ! -x "$CHROMIUM" ]; then
  echo "ensure-chromium: apt-get could not install chromium (see above)" >&2
  exit 1
fi
