# Helpers shared by the CI scripts that start their own plinth on loopback (sourced, not run).
# The caller sets $work (a temporary folder) and the EXIT trap: `trap stop_all EXIT`.

pids=()

# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Waits (60 s at most) until $1/health answers; on failure prints the log $2 and exits.
wait_healthy() {
  for _ in $(seq 1 300); do curl -fsS -o /dev/null "$1/health" 2>/dev/null && return 0; sleep 0.2; done
  cat "$2" >&2; echo "plinth at $1 did not answer /health in 60 s" >&2; exit 1
}

# Stops every process in $pids (TERM, then KILL after 40 s) and removes $work.
stop_all() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do timeout 40 tail --pid="$p" -f /dev/null 2>/dev/null || kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
