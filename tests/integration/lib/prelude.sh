# What every integration test starts with: strict-ish shell, the topology
# helpers, assertions, and the binaries under test (from ctest's environment).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/assert.sh"
: "${OBSERVER_BIN:?path to mptcp-observer}"
