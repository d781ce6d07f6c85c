# Sourced by the bench scripts (run from the repository's root): the release binary,
# built once, the peers' python, and result lines for scripts/bench.

# The release binary: $VAULTLAB_BIN when scripts/bench already built it, else built here.
vaultlab_bin() {
  if [ -z "${VAULTLAB_BIN:-}" ]; then
    cargo build --release --locked --quiet
    VAULTLAB_BIN="${CARGO_TARGET_DIR:-target}/release/vaultlab"
  fi
  echo "$VAULTLAB_BIN"
}

# The test peers' python (pty, resource; boto3), installed by scripts/test.
peer_python() {
  if [ ! -x .venv/bin/python ]; then
    echo "the benchmarks need the test peers: run scripts/test once (it installs them into .venv)" >&2
    exit 1
  fi
  echo .venv/bin/python
}

# One measured target, for scripts/bench to line up:
#   result NAME FIGURE TARGET VERDICT PEER
result() { printf 'RESULT\t%s\t%s\t%s\t%s\t%s\n' "$@"; }

# ok when $1 < $2 (decimals), else MISSED.
verdict_below() { awk -v a="$1" -v b="$2" 'BEGIN {print (a < b) ? "ok" : "MISSED"}'; }
