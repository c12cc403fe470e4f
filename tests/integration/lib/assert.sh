# Assertions that say what was expected and what came, and a summary line
# that ends every test ("N passed, N failed").
PASSED=0
FAILED=0

pass() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $1" >&2; }

assert_eq() {  # expected actual description
  if [[ "$1" == "$2" ]]; then pass "$3"; else fail "$3: expected [$1], got [$2]"; fi
}
assert_match() {  # regex actual description
  if [[ "$2" =~ $1 ]]; then pass "$3"; else fail "$3: [$2] does not match /$1/"; fi
}
assert_contains() {  # needle haystack description
  if [[ "$2" == *"$1"* ]]; then pass "$3"; else fail "$3: [$1] not found in [${2:0:600}]"; fi
}
assert_not_contains() {
  if [[ "$2" != *"$1"* ]]; then pass "$3"; else fail "$3: [$1] unexpectedly found"; fi
}

finish() {
  echo "$PASSED passed, $FAILED failed"
  [[ $FAILED -eq 0 ]]
}
