#!/usr/bin/env bash
# The package as a new user installs it (issue 16): `cpack -G DEB` in this build, its
# dependency line and files, then a fresh Debian bookworm root (mmdebstrap, from Debian's
# packages) where `apt-get install ./devreset_*.deb` resolves the dependencies and
# `devreset --version`, `devreset demo` and the bash completion work.
# Usage: package_test.sh BUILD_DIR SOURCE_DIR      (needs root, as CI runs)
set -euo pipefail
build=$1 source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL (package): $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || fail "needs root (as CI runs): mmdebstrap and chroot"
command -v mmdebstrap >/dev/null || fail "mmdebstrap is not installed (scripts/setup.sh installs it)"

(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || fail "cpack: $(tail "$work/cpack.log")"
deb=$(ls "$work"/out/devreset_*_amd64.deb)
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes" >&2
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends" >&2
for d in libboost-json1.81.0 libboost-program-options1.81.0 libboost-url1.81.0 libfmt9 libssl3 libstdc++6; do
  [[ $depends == *"$d "* || $depends == *"$d," ]] || fail "no dependency on $d: $depends"
done
files=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/devreset ./usr/share/man/man1/devreset.1.gz \
  ./usr/share/bash-completion/completions/devreset ./usr/share/doc/devreset/README.md \
  ./usr/share/doc/devreset/copyright ./usr/share/doc/devreset/samples/users.csv \
  ./usr/share/doc/devreset/samples/k8s-cronjob.yaml ./usr/share/doc/devreset/Containerfile; do
  grep -qx -- "$f" <<<"$files" || fail "$f is not in the package"
done
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/man/man1/devreset.1.gz | zcat | grep -q '^devreset \\- reset' ||
  fail "the man page has no NAME line"

# A fresh bookworm (the apt variant: essential packages and apt, nothing of ours).
root=$work/root
mkdir "$root"
mmdebstrap --variant=apt --mode=root bookworm "$root" >"$work/mmdebstrap.log" 2>&1 ||
  fail "mmdebstrap: $(tail -5 "$work/mmdebstrap.log")"
cp "$deb" "$root/tmp/"
in_root() { unshare --mount --propagation private sh -c "mount -t proc proc '$root/proc' && chroot '$root' sh -c \"\$1\"" _ "$1"; }
in_root "apt-get update -qq && apt-get install -y -qq /tmp/$(basename "$deb")" >"$work/install.log" 2>&1 ||
  fail "apt-get install: $(tail -5 "$work/install.log")"
version=$(in_root "devreset --version") || fail "devreset --version"
[[ $version == "devreset $(dpkg-deb -f "$deb" Version) "* ]] || fail "version: $version"
in_root "cd /tmp && devreset demo" >"$work/demo.log" 2>&1 || fail "demo: $(tail -5 "$work/demo.log")"
grep -q "Users:  ok 500" "$work/demo.log" || fail "demo: $(tail -5 "$work/demo.log")"
completion=$(in_root "bash -c 'source /usr/share/bash-completion/completions/devreset; COMP_WORDS=(devreset ru); COMP_CWORD=1; _devreset; echo \${COMPREPLY[*]}'")
[[ $completion == run ]] || fail "completion: '$completion'"
options=$(in_root "bash -c 'source /usr/share/bash-completion/completions/devreset; COMP_WORDS=(devreset run --plan-s); COMP_CWORD=2; _devreset; echo \${COMPREPLY[*]}'")
[[ $options == --plan-strict ]] || fail "option completion: '$options'"
# The image's user is the one the Kubernetes samples run as.
grep -q "useradd --system --uid 10001" "$source/Containerfile" && grep -q "runAsUser: 10001" "$source/samples/k8s-cronjob.yaml" ||
  fail "Containerfile and samples disagree on the user"
echo "package: installed and ran on a fresh bookworm" >&2
