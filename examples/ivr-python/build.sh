#!/usr/bin/env bash
# Builds the Python IVR guest (app.py) as a component of world `app` of
# switchyard:call@0.2.0 with componentize-py.
#
#   build.sh [OUT]       builds OUT (default: <target>/ivr-python/ivr.wasm)
#   build.sh --toolchain only installs componentize-py
#
# <target> is $CARGO_TARGET_DIR, else target/ at the repository's root.
# componentize-py (pinned below) is installed with pip into a virtual
# environment, <target>/componentize-py-<version>, unless it is there already.
# OUT is left as it is when it is newer than app.py, this script and the WIT
# files, so a second run costs nothing.
set -euo pipefail

COMPONENTIZE_PY_VERSION=0.25.1

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
venv="$target/componentize-py-$COMPONENTIZE_PY_VERSION"
componentize_py="$venv/bin/componentize-py"
wit="$root/wit/v0.2.0"

install_toolchain() {
  if "$componentize_py" --version 2>/dev/null | grep -qx "componentize-py $COMPONENTIZE_PY_VERSION"; then
    return
  fi
  command -v python3 >/dev/null || {
    echo "build.sh: python3 is needed to install componentize-py (apt-get install -y python3 python3-venv)" >&2
    exit 1
  }
  echo "build.sh: installing componentize-py $COMPONENTIZE_PY_VERSION into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv" || {
    echo "build.sh: python3 -m venv failed (on Debian: apt-get install -y python3-venv)" >&2
    exit 1
  }
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "componentize-py==$COMPONENTIZE_PY_VERSION" || {
    echo "build.sh: pip could not install componentize-py==$COMPONENTIZE_PY_VERSION (it needs PyPI)" >&2
    exit 1
  }
  "$componentize_py" --version >&2
}

if [ "${1:-}" = "--toolchain" ]; then
  install_toolchain
  exit 0
fi

out="${1:-$target/ivr-python/ivr.wasm}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac

if [ -f "$out" ] && [ -z "$(find "$here/app.py" "$0" "$wit" -newer "$out" -print -quit)" ]; then
  echo "build.sh: $out is up to date" >&2
  exit 0
fi

install_toolchain
build="$(dirname "$out")/ivr-python-build"
rm -rf "$build"
mkdir -p "$build"
# The bindings, for an editor or a type checker; componentize generates its own.
"$componentize_py" --wit-path "$wit" --world app bindings "$build/bindings"
"$componentize_py" --wit-path "$wit" --world app componentize \
  --python-path "$here" app --output "$build/ivr.wasm"
mv "$build/ivr.wasm" "$out"
echo "build.sh: built $out ($(stat -c %s "$out") bytes)" >&2
