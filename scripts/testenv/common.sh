# Shared by up.sh, down.sh and control-plane.sh (sourced, not run): paths, versions, and
# starting/stopping long-lived processes tracked by pid files under .slipway/testenv.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE=$ROOT/.slipway/testenv
LOGS=$STATE/logs
ENV_FILE=$ROOT/.slipway/testenv.env
CACHE=${SLIPWAY_TESTENV_CACHE:-$HOME/.cache/slipway-testenv}
export K8S_VERSION=${K8S_VERSION:-v1.36.3}
export KWOK_VERSION=${KWOK_VERSION:-v0.8.0}
export HELM_VERSION=${HELM_VERSION:-v3.19.5}
K8S_BIN=$CACHE/k8s-$K8S_VERSION/bin
KWOK_BIN=$CACHE/kwok-$KWOK_VERSION/bin
KWOK_STAGES=$CACHE/kwok-$KWOK_VERSION/stages
HELM_BIN=$CACHE/helm-$HELM_VERSION/bin

log() { printf '[testenv] %s\n' "$*" >&2; }
die() { printf '[testenv] error: %s\n' "$*" >&2; exit 1; }

# A TCP port nothing listens on right now (the kernel picks it), on 127.0.0.1.
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})'
}

# True when nothing listens on 127.0.0.1:PORT (so a server can bind it).
port_free() {
  [[ $1 =~ ^[0-9]+$ ]] || return 1
  node -e 'const s=require("net").createServer();s.once("error",()=>process.exit(1));s.listen(Number(process.argv[1]),"127.0.0.1",()=>s.close())' "$1"
}

pid_file() { printf '%s/%s.pid' "$STATE" "$1"; }

# The pid recorded for NAME if that process still runs the program it was started with (compared
# through /proc/PID/exe: some programs, redis-server for one, rewrite their argv).
running_pid() {
  local file pid exe
  file=$(pid_file "$1")
  [[ -f $file ]] || return 1
  { read -r pid; read -r exe; } <"$file" || return 1
  [[ -n $pid ]] && pid_alive "$pid" || return 1
  local now
  now=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  # a binary rebuilt in place while running shows as "PATH (deleted)": still ours
  [[ ${now% (deleted)} == "$exe" ]] || return 1
  printf '%s' "$pid"
}

is_running() { running_pid "$1" >/dev/null; }

# start_bg NAME ARGV...: runs ARGV in its own session (outlives this script), output appended to
# logs/NAME.log, pid recorded in NAME.pid. A background child is never a process group leader, so
# setsid execs in place and $! is the program's own pid.
start_bg() {
  local name=$1; shift
  mkdir -p "$LOGS"
  printf '\n--- %s start %s\n' "$name" "$(date -u +%FT%TZ)" >>"$LOGS/$name.log"
  # 9>&-: the child must not inherit the lock of up.sh/down.sh (it would hold it forever).
  setsid nohup "$@" >>"$LOGS/$name.log" 2>&1 </dev/null 9>&- &
  printf '%s\n%s\n' "$!" "$(readlink -f "$1")" >"$(pid_file "$name")"
}

# True while PID exists and is not a zombie (a stopped daemon stays a zombie until init reaps it).
pid_alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# stop_bg NAME...: TERM to all of them at once, KILL what still runs after 15 s; removes the pid
# files.
stop_bg() {
  local name pid pids=() i
  for name in "$@"; do
    if pid=$(running_pid "$name"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  for ((i = 0; i < 150; i++)); do
    local left=()
    for pid in "${pids[@]}"; do pid_alive "$pid" && left+=("$pid"); done
    pids=("${left[@]}")
    [[ ${#pids[@]} -eq 0 ]] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    log "pid $pid did not stop on TERM, killing"
    kill -KILL "$pid" 2>/dev/null || true
  done
  for name in "$@"; do rm -f "$(pid_file "$name")"; done
}

# wait_until NAME SECONDS CMD...: retries CMD until it succeeds; fails with NAME's log tail when the
# process died or the time is up.
wait_until() {
  local name=$1 secs=$2 i; shift 2
  for ((i = 0; i < secs * 4; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [[ -f $(pid_file "$name") ]] && ! is_running "$name"; then
      tail -n 30 "$LOGS/$name.log" >&2 || true
      die "$name exited during startup (log: $LOGS/$name.log)"
    fi
    sleep 0.25
  done
  tail -n 30 "$LOGS/$name.log" >&2 || true
  die "$name not ready after ${secs}s (log: $LOGS/$name.log)"
}

# One up.sh/down.sh at a time (fd 9, released when the script exits).
take_lock() {
  exec 9>"$STATE/lifecycle.lock"
  flock -n 9 && return 0
  log "waiting for another up.sh/down.sh to finish"
  flock -w 1800 9 || die "another up.sh/down.sh holds $STATE/lifecycle.lock"
}

port_of() { cat "$STATE/$1.port"; }
