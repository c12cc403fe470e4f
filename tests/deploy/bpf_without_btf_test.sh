#!/usr/bin/env bash
# The BPF object builds where the build machine has no kernel BTF (CI
# runners, image builders), from bpf/kernel_types/vmlinux.h, and the object
# so built loads on the running kernel: its CO-RE relocations resolve
# against this kernel's BTF and the verifier accepts it. The integration
# tests (tracing, join_failures, path_manager) run the daemon built the same
# way, the default.
#
#   1. A fresh build tree configured with -DVMLINUX_BTF=/nonexistent, in a
#      mount namespace where /sys/kernel/btf is an empty directory (as root;
#      otherwise only the option), builds the skeleton.
#   2. bpftool loads that object (root; else exit 77 after step 1).
#   3. -DOBSERVER_VMLINUX_H=host with no BTF stops at configure time with a
#      message naming the option that needs none.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/mptcp-observer-nobtf.XXXXXX)
pinned=
cleanup() {
  [[ -n "$pinned" ]] && rm -rf "$pinned"
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok   $*"; }

build_without_btf() {
  [[ ! -e /sys/kernel/btf/vmlinux ]] || { echo "host BTF still visible"; return 1; }
  cmake -S "$REPO" -B "$work/build" -DBUILD_TESTING=OFF -DVMLINUX_BTF=/nonexistent >"$work/configure.log" 2>&1 \
    || { cat "$work/configure.log"; return 1; }
  cmake --build "$work/build" --target subflow_tracer_skel_gen subflow_tracer_typed_skel_gen >"$work/build.log" 2>&1 \
    || { cat "$work/build.log"; return 1; }
}
if [[ $(id -u) -eq 0 ]]; then
  export -f build_without_btf
  export REPO work
  unshare --mount bash -c 'mount -t tmpfs -o ro none /sys/kernel/btf && build_without_btf' \
    || fail "build with /sys/kernel/btf hidden"
  hidden=" and /sys/kernel/btf hidden"
else
  build_without_btf || fail "build with -DVMLINUX_BTF=/nonexistent"
  hidden=
fi
# Both builds of the tracer: probe reads, and typed reads (6.2+).
objects=(subflow_tracer subflow_tracer_typed)
grep -q 'OBSERVER_VMLINUX_H=minimal' "$work/configure.log" || fail "the default is not the minimal header"
for name in "${objects[@]}"; do
  [[ -s $work/build/bpf/$name.bpf.o && -s $work/build/bpf/$name.skel.h ]] || fail "no object or skeleton for $name"
done
ok "objects and skeletons built with -DVMLINUX_BTF=/nonexistent$hidden"

if ! out=$(cmake -S "$REPO" -B "$work/host" -DBUILD_TESTING=OFF -DOBSERVER_VMLINUX_H=host -DVMLINUX_BTF=/nonexistent 2>&1); then
  grep -q 'OBSERVER_VMLINUX_H=minimal, needs none' <<<"$out" || { echo "$out"; fail "host mode without BTF: unclear message"; }
  ok "-DOBSERVER_VMLINUX_H=host without BTF stops at configure time and names the alternative"
else
  fail "-DOBSERVER_VMLINUX_H=host configured without BTF"
fi

if [[ $(id -u) -ne 0 || ! -e /sys/kernel/btf/vmlinux ]]; then
  echo "skip: loading the object needs root and a kernel with BTF"
  exit 77
fi
bpffs=/sys/fs/bpf
mountpoint -q "$bpffs" || fail "no bpffs at $bpffs to pin the test program in"
pinned=$bpffs/mptcp-observer-nobtf-$$
for name in "${objects[@]}"; do
  read -r major minor _ < <(uname -r | tr '.' ' ')
  if [[ $name == subflow_tracer_typed ]] && ((major < 6 || (major == 6 && minor < 2))); then
    echo "skip: $name needs bpf_rdonly_cast (Linux 6.2); the daemon loads subflow_tracer here"
    continue
  fi
  bpftool prog loadall "$work/build/bpf/$name.bpf.o" "$pinned" >"$work/load.log" 2>&1 \
    || { tail -40 "$work/load.log"; fail "$name does not load"; }
  [[ -e $pinned/mpo_sockops ]] || fail "mpo_sockops of $name not loaded"
  rm -rf "$pinned"
  ok "$name loads on $(uname -r): relocations resolved, verifier passed"
done
