#!/usr/bin/env bash
# Installs the Debian packages devreset needs, when missing. Does nothing (and needs no
# network) when everything is already there.
#   setup.sh          what building devreset needs (the demo's)
#   setup.sh --all    that, and what the tests and the benchmarks need (test.sh's)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config  # no ccache: a first build only pays for it
  libboost1.81-dev libboost-json1.81-dev libboost-program-options1.81-dev
  libboost-url1.81-dev libboost-system1.81-dev
  libfmt-dev libssl-dev openssl ca-certificates
)
if [[ "${1:-}" == --all ]]; then
  packages+=(
    ccache libgtest-dev libgmock-dev curl python3 bsdutils
    wrk python3-aiohttp gnuplot-nox time util-linux strace nginx-light procps tinyproxy stunnel4
    clang-14 libclang-rt-14-dev
    chromium prometheus help2man mmdebstrap bash-completion fonts-dejavu-core python3-yaml python3-pil
  )
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# No package's service may start on install (nginx would listen on port 80 of every
# address): the tests start their own servers, on 127.0.0.1, and stop them.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  trap '$SUDO rm -f "$policy"' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done" >&2
