#!/usr/bin/env bash
# Install code-server 4.100.3 (VS Code 1.100.3 on Node 20), playwright-core and Debian's chromium
# into DIR, from the npm registry and Debian only (no binary downloads). Idempotent: a second run
# with everything in place returns at once.
# Usage: bash tests/e2e/vscode/setup.sh [DIR]   (default: $HOME/.cache/tollgate-e2e/vscode)
# Adapted from the e2e kit handed over with the product contract (its e2e/vscode/setup.sh); about 65 s the first time, ~300 MB plus chromium.
set -euo pipefail
DIR=${1:-${TOLLGATE_E2E_CACHE:-$HOME/.cache/tollgate-e2e/vscode}}
CS_VERSION=4.100.3
PW_VERSION=1.65.1
mkdir -p "$DIR"; cd "$DIR"

have_all() {
  [ -x node_modules/.bin/code-server ] && [ -d node_modules/playwright-core ] \
    && command -v chromium >/dev/null 2>&1 && [ -d /usr/share/fonts/truetype/wqy ] \
    && grep -q "\"version\": \"$CS_VERSION\"" node_modules/code-server/package.json 2>/dev/null
}
if have_all; then echo "setup: code-server $CS_VERSION already installed in $DIR"; exit 0; fi

SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Headers for native modules (kerberos needs gssapi.h), Debian's ripgrep, Debian's chromium, and a
# CJK font (the example project's pipeline and error log are partly Chinese; screenshots show them).
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config \
  ripgrep chromium fonts-wqy-microhei curl python3 >/dev/null
# Trap 1: @vscode/ripgrep's postinstall downloads rg from outside the registries; it accepts a
# pre-seeded cache tarball in $TMPDIR, which we build from Debian's ripgrep.
RG_CACHE="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
mkdir -p "$RG_CACHE"; stage=$(mktemp -d); cp "$(command -v rg)" "$stage/rg"
tar czf "$RG_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$stage" rg; rm -rf "$stage"
[ -f package.json ] || npm init -y >/dev/null
# Trap 2: code-server's postinstall refuses to run as root without unsafe_perm.
# Trap 3: node-pty's postinstall runs `npx node-gyp`; a `yes=false` npmrc would cancel it.
# Trap 4 (handled above by apt): kerberos needs libkrb5-dev.
npm_config_unsafe_perm=true npm_config_yes=true \
  npm install --no-audit --no-fund "code-server@$CS_VERSION" "playwright-core@$PW_VERSION"
XDG_CONFIG_HOME="$DIR/.config" ./node_modules/.bin/code-server --version
