#!/usr/bin/env bash
# Builds the release binary, its man page, and build/release/devreset_<version>_amd64.deb
# (cpack -G DEB; dependencies from dpkg-shlibdeps). Then, for the image:
#   podman build -f Containerfile -t devreset:<version> build/release
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --all
cmake --preset release >/dev/null
cmake --build --preset release --target devreset man
(cd build/release && cpack -G DEB)
ls -l build/release/devreset_*_amd64.deb
