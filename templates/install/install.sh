#!/bin/sh
# The livectl agent installer, served by {{ server }}.
#
#   curl -fsSL {{ server }}/install.sh | sh
#   curl -fsSL {{ server }}/install.sh | sh -s -- --serial /dev/ttyACM0
#
# Downloads the agent built for this computer, checks its ed25519 signature against this
# server's release key (below), installs it in ~/.livectl/bin, pairs it with a workspace
# (a code to approve in the dashboard) and installs it as a service of this user. Arguments
# go to `livectl agent pair`. LIVECTL_PREFIX changes the folder; LIVECTL_NO_SERVICE=1 skips
# the service.
set -eu

SERVER="${LIVECTL_SERVER:-{{ server }}}"
VERSION="${LIVECTL_VERSION:-{{ version }}}"
PREFIX="${LIVECTL_PREFIX:-$HOME/.livectl}"

say() { printf 'livectl: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=macos ;;
  *) fail "this installer is for Linux and macOS (on Windows: irm $SERVER/install.ps1 | iex)" ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=aarch64 ;;
  armv7l | armv7) arch=arm ;;
  *) fail "no agent build for the processor $(uname -m)" ;;
esac
platform="$os-$arch"

fetch() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1"
  else
    fail "curl or wget is needed"
  fi
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  else
    shasum -a 256 "$1" | cut -d ' ' -f 1
  fi
}

case "$(openssl version 2>/dev/null)" in
  "OpenSSL 3"*) ;;
  *) fail "OpenSSL 3 is needed to check the agent's ed25519 signature (macOS: brew install openssl@3 and put it first in PATH)" ;;
esac

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT INT TERM
base="$SERVER/agent/releases/$VERSION/$platform"
say "downloading the agent $VERSION for $platform from $SERVER"
fetch "$base/livectl" "$tmp/livectl" || fail "$SERVER has no signed build of $VERSION for $platform"
fetch "$base/livectl.sig" "$tmp/livectl.sig" || fail "$SERVER has no signature for this build"

sum="$(sha256 "$tmp/livectl")"
printf 'livectl-agent-release\n%s\n%s\n%s\n' "$VERSION" "$platform" "$sum" >"$tmp/statement"
cat >"$tmp/release.pem" <<'KEY'
{{ public_key_pem }}KEY
openssl pkeyutl -verify -pubin -inkey "$tmp/release.pem" -rawin -in "$tmp/statement" \
  -sigfile "$tmp/livectl.sig" >/dev/null 2>&1 ||
  fail "the download does not match this server's release signature: nothing was installed"
say "signature checked (sha256 $sum)"

mkdir -p "$PREFIX/bin"
chmod 700 "$PREFIX"
cp "$tmp/livectl" "$PREFIX/bin/.livectl.new"
chmod 755 "$PREFIX/bin/.livectl.new"
mv -f "$PREFIX/bin/.livectl.new" "$PREFIX/bin/livectl"
say "installed $PREFIX/bin/livectl"

"$PREFIX/bin/livectl" agent pair --server "$SERVER" --config "$PREFIX/agent.toml" "$@"

if [ "${LIVECTL_NO_SERVICE:-}" = 1 ]; then
  say "run it with: $PREFIX/bin/livectl agent --config $PREFIX/agent.toml"
  exit 0
fi
"$PREFIX/bin/livectl" agent install --config "$PREFIX/agent.toml" ||
  say "no service was installed; run it with: $PREFIX/bin/livectl agent --config $PREFIX/agent.toml"
