#!/usr/bin/env bash
# The browser tests' browser: Debian's chromium, driven by Playwright through its
# executable path (no `playwright install`: nothing is downloaded outside the package
# registries). Does nothing when /usr/bin/chromium is already there.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# DejaVu: readable text in the screenshots even on a machine without other fonts.
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
