# What every integration test starts with: strict-ish shell, the topology
# helpers, assertions, and the binaries under test (from ctest's environment).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/assert.sh"
: "${OBSERVER_BIN:?path to mptcp-observer}"

# Flags for every tracing daemon a test starts, from ctest's environment:
# the fidelity tests run a second time with --bpf-probe-reads, the build of
# the program that kernels before 6.2 load (tests/integration/CMakeLists.txt).
read -r -a DAEMON_FLAGS <<<"${OBSERVER_DAEMON_FLAGS:-}"

# How the daemon should read subflow fields here: through typed pointers
# where the kernel has bpf_rdonly_cast (6.2+), unless told to probe-read.
expected_subflow_reads() {
  local major minor
  IFS=. read -r major minor _ <<<"$(uname -r)"
  if [[ " ${DAEMON_FLAGS[*]} " == *" --bpf-probe-reads "* ]] || ((major < 6 || (major == 6 && minor < 2))); then
    echo probed
  else
    echo typed
  fi
}
