#!/usr/bin/env bash
# The Debian package on this machine, end to end (ctest: package.deb; needs root, /dev/fuse):
#   cpack from the existing build (nothing is compiled again) -> scripts/package on a fresh
#   `git clone` of the tree (--plan: configured and planned, not compiled; with
#   THAW_PACKAGE_TEST_CLEAN_BUILD=1 built and packaged in full, and its .deb compared with this
#   one) -> lintian (no errors) ->
#   apt-get install ./thaw_*.deb -> the installed files, `thaw --version`, the conffile ->
#   systemd-analyze verify on the installed units -> a `thaw sim` filled with the aws CLI,
#   mounted through `mount -t fuse.thaw` (the packaged /sbin/mount.fuse.thaw) and through a
#   temporary fstab line (`mount -T FSTAB MOUNTPOINT`), a file read, umount ->
#   apt-get remove (only the conffile stays) -> purge (the machine is as before).
# Exit 77 (ctest: skipped) when the machine cannot run it, or thaw is already installed (a
# package someone installed is never removed by a test).
#
#   tests/package/package_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: package_test.sh BUILD_DIR}" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)

skip() { echo "SKIP: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root (apt-get install)"
[[ -e /dev/fuse ]] || skip "needs /dev/fuse"
command -v apt-get >/dev/null && command -v cpack >/dev/null || skip "needs apt-get and cpack"
command -v lintian >/dev/null || skip "needs lintian (scripts/install-deps)"
if dpkg-query -W -f='${Status}' thaw 2>/dev/null | grep -q 'ok installed'; then
  skip "a thaw package is installed already; not touching it"
fi

work=$(mktemp -d)
mnt=$work/mnt
sim_pid=
installed=
cleanup() {
  set +e
  mountpoint -q "$mnt" && umount -l "$mnt"
  [[ -n $sim_pid ]] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  [[ -n $installed ]] && DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq thaw >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

step "cpack from $build"
(cd "$build" && cpack -G DEB -B "$work/package") >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$work"/package/thaw_*.deb)
dpkg-deb --info "$deb"
dpkg-deb --contents "$deb"
fields=$(dpkg-deb --show --showformat='${Package} ${Architecture} ${Version}\n${Depends}\n' "$deb")
[[ $(head -1 <<<"$fields") == "thaw $(dpkg --print-architecture) "* ]] || fail "fields: $fields"
for dep in fuse3 libcurl4 libfuse3-3 libsqlite3-0 libc6; do
  grep -q "\b$dep\b" <<<"$fields" || fail "Depends lacks $dep: $fields"
done
# What a fresh Debian 12 needs: the package of every library the binary names (DT_NEEDED),
# found through the dynamic loader and dpkg, is in Depends, so apt-get pulls it in.
depends=$(sed -n 2p <<<"$fields")
depends_names=$(sed 's/([^)]*)//g; s/|/,/g' <<<"$depends" | tr ',' '\n' | awk '{print $1}')
for lib in $(readelf -d "$build/thaw" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  path=$(ldd "$build/thaw" | awk -v l="$lib" '$1 == l {print $3}')
  [[ -n $path ]] || fail "ldd does not resolve $lib"
  owner=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1) ||
    owner=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1)
  [[ -n $owner ]] || fail "no Debian package owns $path ($lib)"
  # The package itself, or a virtual name it provides (libspdlog1.10 provides libspdlog1.10-fmt9).
  names="$owner $(dpkg-query -W -f='${Provides}' "$owner" | sed 's/([^)]*)//g; s/,/ /g')"
  found=""
  for n in $names; do
    grep -qxF "$n" <<<"$depends_names" && found=$n
  done
  [[ -n $found ]] || fail "Depends lacks $owner (for $lib): $depends"
done

step "scripts/package from a clean checkout"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # HEAD only: what a user cloning the repository gets (uncommitted edits are not in it).
  git clone -q "$src" "$work/clean"
  if [[ ${THAW_PACKAGE_TEST_CLEAN_BUILD:-} == 1 ]]; then
    start=$SECONDS
    clean_deb=$("$work/clean/scripts/package" "$work/clean/build" 2>"$work/clean.log" | tail -n 1) ||
      { tail -50 "$work/clean.log"; fail "scripts/package in a clean clone"; }
    echo "built and packaged in $((SECONDS - start)) s: $clean_deb"
    [[ $(basename "$clean_deb") == thaw_*_"$(dpkg --print-architecture)".deb ]] ||
      fail "the clean package is $clean_deb"
    diff <(dpkg-deb --contents "$deb" | awk '{print $1, $6, $7, $8}') \
      <(dpkg-deb --contents "$clean_deb" | awk '{print $1, $6, $7, $8}') ||
      fail "the clean checkout's package holds other files"
  else
    version=$("$work/clean/scripts/package" --plan "$work/clean/build" 2>&1 | tail -n 1) ||
      fail "scripts/package --plan in a clean clone: $version"
    commit=$(sed -n 's/^#define THAW_COMMIT "\(.*\)"$/\1/p' "$work/clean/build/generated/thaw_version.h")
    [[ $commit == "$(git -C "$src" rev-parse --short=12 HEAD)" && $version != *.dirty ]] ||
      fail "the clean checkout would be $version of commit $commit"
    echo "a clean checkout plans version $version"
  fi
else
  echo "not a git checkout: skipped"
fi

step "lintian"
# --fail-on error: warnings are allowed; the ones we keep are explained in cmake/Packaging.cmake.
lintian --fail-on error --tag-display-limit 0 "$deb" || fail "lintian reported errors"

step "apt-get install $deb"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >/dev/null
installed=1
version=$(dpkg-deb --show --showformat='${Version}' "$deb")
/usr/bin/thaw --version | tee "$work/version"
grep -q "thaw $version (commit [0-9a-f]\{12\})" "$work/version" || fail "--version is not $version"
[[ $(readlink -f /sbin/mount.fuse.thaw) == /usr/bin/thaw ]] || fail "no /sbin/mount.fuse.thaw"
[[ -f /etc/thaw/config.toml ]] || fail "no /etc/thaw/config.toml"
dpkg-query --showformat='${Conffiles}\n' --show thaw | grep -q /etc/thaw/config.toml ||
  fail "/etc/thaw/config.toml is not a conffile"
for f in /usr/share/man/man1/thaw.1.gz /usr/share/man/man1/thaw-mount.1.gz \
  /usr/share/man/man1/thaw-restore.1.gz /usr/share/man/man8/mount.fuse.thaw.8.gz \
  /usr/share/bash-completion/completions/thaw; do
  [[ -e $f ]] || fail "not installed: $f"
done
page=$(zcat /usr/share/man/man8/mount.fuse.thaw.8.gz)
grep -qF '.TH THAW-MOUNT 1 ' <<<"$page" || fail "mount.fuse.thaw(8) is not thaw-mount(1)"
[[ $(bash --norc -c 'source /usr/share/bash-completion/completions/thaw && complete -p thaw') == \
  "complete -o filenames -F _thaw thaw" ]] || fail "the packaged bash completion does not load"

step "systemd-analyze verify"
verify=$(systemd-analyze verify thaw-serve@q.service thaw-mount@m.service 2>&1) ||
  fail "systemd-analyze verify: $verify"
[[ -z $verify ]] || fail "systemd-analyze verify: $verify"

step "thaw sim with a file"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
export AWS_EC2_METADATA_DISABLED=true
/usr/bin/thaw sim --listen 127.0.0.1:0 --data-dir "$work/sim" --access-key testing \
  --secret-key testing >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do
  grep -q 'listening on' "$work/sim.log" && break
  sleep 0.1
done
endpoint=$(sed -n 's/.*thaw sim listening on \([^ ]*\).*/\1/p' "$work/sim.log" | head -1)
[[ -n $endpoint ]] || { cat "$work/sim.log"; fail "thaw sim did not start"; }
echo "hello from the package test" >"$work/hello.txt"
aws --endpoint-url "$endpoint" s3 mb s3://pkg >/dev/null
aws --endpoint-url "$endpoint" s3 cp "$work/hello.txt" s3://pkg/data/hello.txt >/dev/null
mkdir -p "$mnt"
options="endpoint_url=$endpoint,state_dir=$work/state,_netdev,nodev"

read_and_unmount() {
  grep -q " $mnt fuse.thaw " /proc/self/mounts || fail "$1: not a fuse.thaw mount"
  cmp "$work/hello.txt" "$mnt/hello.txt" || fail "$1: read back differs"
  umount "$mnt" || fail "$1: umount"
  ! mountpoint -q "$mnt" || fail "$1: still mounted"
}

step "mount -t fuse.thaw, with metrics"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mount -t fuse.thaw s3://pkg/data "$mnt" -o "$options,metrics_listen=127.0.0.1:$port" ||
  fail "mount -t fuse.thaw"
cat "$mnt/hello.txt" >/dev/null
metrics=$(curl -sf "http://127.0.0.1:$port/metrics") || fail "no /metrics on port $port"
grep -Eq '^thaw_fs_read_bytes_total [1-9]' <<<"$metrics" ||
  fail "thaw_fs_read_bytes_total did not count the read: $(grep thaw_fs_read <<<"$metrics")"
read_and_unmount "mount -t"

step "fstab line"
echo "s3://pkg/data $mnt fuse.thaw $options,ro,nofail,noauto 0 0" >"$work/fstab"
mount -T "$work/fstab" "$mnt" || fail "mount -T fstab"
read_and_unmount "fstab"

step "a bad option is named and nothing is mounted"
if mount -t fuse.thaw s3://pkg/data "$mnt" -o "$options,bogus_opt" 2>"$work/err"; then
  fail "mount accepted bogus_opt"
fi
grep -q "bogus_opt" "$work/err" || fail "error does not name bogus_opt: $(cat "$work/err")"
! mountpoint -q "$mnt" || fail "bad option left a mount"

step "an fstab line whose bucket does not exist fails naming it, and nothing is mounted"
echo "s3://no-such-bucket-pkg $mnt fuse.thaw $options,noauto 0 0" >"$work/fstab"
if mount -T "$work/fstab" "$mnt" 2>"$work/err"; then
  fail "mount of a missing bucket succeeded"
fi
grep -q "no-such-bucket-pkg" "$work/err" || fail "error does not name the bucket: $(cat "$work/err")"
! mountpoint -q "$mnt" || fail "a missing bucket left a mount"
! pgrep -f "s3://no-such-bucket-pkg" >/dev/null || fail "a mount daemon is left"

step "apt-get remove keeps only the conffile"
kill "$sim_pid" && wait "$sim_pid" 2>/dev/null || true
sim_pid=
DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq thaw >/dev/null
[[ ! -e /usr/bin/thaw && ! -e /sbin/mount.fuse.thaw ]] || fail "files left after remove"
[[ ! -e /lib/systemd/system/thaw-serve@.service ]] || fail "unit left after remove"
[[ -f /etc/thaw/config.toml ]] || fail "remove deleted the conffile"
[[ $(dpkg-query -W -f='${db:Status-Abbrev}' thaw) == "rc "* ]] || fail "state is not rc"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq thaw >/dev/null
installed=
[[ ! -e /etc/thaw ]] || fail "purge left /etc/thaw"
echo "PASS"
