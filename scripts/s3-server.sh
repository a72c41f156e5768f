#!/usr/bin/env bash
# A throwaway S3 server for tests: single-node Ceph (1 monitor, 1 in-memory OSD, no cephx) with
# radosgw on 127.0.0.1:7480. Ceph RGW checks SigV4 signatures, expiry, the 5 MiB part minimum,
# ListParts, Abort, CORS and lifecycle, which the S3 code must be tested against.
#
#   scripts/s3-server.sh start [DIR]   install if missing, start (or reuse), print env lines
#   scripts/s3-server.sh env   [DIR]   print env lines of the running server
#   scripts/s3-server.sh status [DIR]  exit 0 when it is running and answering
#   scripts/s3-server.sh stop  [DIR]   kill the daemons started in DIR
#
# DIR defaults to $CALLREC_S3_DIR or /tmp/callrec-s3. Data lives in memory; a restart loses it.
# Env lines go to stdout (`eval "$(scripts/s3-server.sh start)"`), progress to stderr.
set -euo pipefail

CMD=${1:-start}
D=${2:-${CALLREC_S3_DIR:-/tmp/callrec-s3}}
PORT=${CALLREC_S3_PORT:-7480}
MON_PORT=${CALLREC_S3_MON_PORT:-16789}
ENDPOINT="http://127.0.0.1:$PORT"
ACCESS_KEY=callrec-test-key
SECRET_KEY=callrec-test-secret-0123456789
REGION=us-east-1
# Test-only key for RGW's "testing" KMS backend, so `aws:kms` bucket encryption can be exercised.
KMS_KEY_ID=callrec-test-kms
KMS_KEY=MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=
C="$D/ceph.conf"
DAEMONS=(client.rgw osd.0 mon.a)

log() { echo "s3-server: $*" >&2; }

print_env() {
  cat <<ENV
export CALLREC_TEST_S3_ENDPOINT=$ENDPOINT
export CALLREC_TEST_S3_REGION=$REGION
export CALLREC_TEST_S3_ACCESS_KEY_ID=$ACCESS_KEY
export CALLREC_TEST_S3_SECRET_ACCESS_KEY=$SECRET_KEY
export CALLREC_TEST_S3_KMS_KEY_ID=$KMS_KEY_ID
ENV
}

# Prints the pid from DIR's pid file if that process is alive and really is our daemon
# (pid files outlive their processes, and pids get reused).
live_pid() {
  local f="$D/run/$1.pid" pid
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$C" || return 1
  echo "$pid"
}

answering() { curl -fs -o /dev/null --max-time 2 "$ENDPOINT/"; }

running() {
  local d
  for d in "${DAEMONS[@]}"; do live_pid "$d" >/dev/null || return 1; done
  answering
}

stop() {
  local d pid pids=()
  for d in "${DAEMONS[@]}"; do
    if pid=$(live_pid "$d"); then pids+=("$pid"); fi
  done
  if ((${#pids[@]} == 0)); then
    log "nothing running in $D"
    return 0
  fi
  log "stopping pids ${pids[*]}"
  kill "${pids[@]}"
  # The OSD takes about 5 s to exit; give up waiting after 20 s and force it.
  for _ in $(seq 1 80); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive == 0)) && { rm -f "$D"/run/*.pid; return 0; }
    sleep 0.25
  done
  log "still alive after 20 s, sending KILL"
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done # already gone is fine
  rm -f "$D"/run/*.pid
}

install_if_missing() {
  local missing=0 t
  for t in radosgw radosgw-admin ceph-mon ceph-osd ceph ceph-authtool monmaptool; do
    command -v "$t" >/dev/null || missing=1
  done
  ((missing == 0)) && return 0
  local sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  log "installing radosgw ceph-mon ceph-osd (about 1 min, +270 MB)"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd >&2
}

write_conf() {
  cat >"$C" <<CONF
[global]
fsid = $1
mon host = v1:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
osd crush chooseleaf type = 0
# On start an OSD places itself in the CRUSH map; that command sometimes leaves before the OSD
# has the monmap and is refused ("wrong fsid"), so launch() places it instead.
osd crush update on start = false
osd class update on start = false
osd objectstore = memstore
memstore device bytes = 2147483648
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
pid file = $D/run/\$name.pid
keyring = $D/keyring
mon data = $D/mon
osd data = $D/osd
rgw data = $D/rgw
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw dns name = 127.0.0.1
rgw crypt require ssl = false
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = $KMS_KEY_ID=$KMS_KEY
CONF
}

wait_for() {
  local what=$1 tries=$2
  shift 2
  for _ in $(seq 1 "$tries"); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.25
  done
  log "$what did not come up; logs in $D/log"
  return 1
}

start() {
  install_if_missing
  if running; then
    log "reusing the server already running in $D"
    print_env
    return 0
  fi
  stop # a half-started or crashed cluster: clear it out and start clean
  if answering; then
    log "$ENDPOINT answers but is not ours (no live daemons in $D); stop it or set CALLREC_S3_PORT"
    return 1
  fi
  # A fresh cluster failed to start once in about 10 runs (the OSD saw a "wrong fsid");
  # a clean second attempt has always worked. A separate process keeps `set -e` in force.
  if ! bash "$0" launch "$D"; then
    log "first start failed (logs kept in $D/failed-log); retrying from scratch"
    stop
    rm -rf "$D/failed-log"
    mv "$D/log" "$D/failed-log"
    bash "$0" launch "$D"
  fi
  log "started; pids: $(cat "$D"/run/*.pid | tr '\n' ' ')"
  print_env
}

launch() {
  log "starting Ceph + radosgw in $D"
  # Only what this script creates: DIR may be a directory the caller also uses.
  rm -rf "$D"/{mon,osd,log,run,rgw} "$C" "$D/keyring" "$D/monmap"
  mkdir -p "$D"/{mon,osd,log,run,rgw}
  local fsid osd_uuid id
  fsid=$(cat /proc/sys/kernel/random/uuid)
  write_conf "$fsid"
  ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --add a "v1:127.0.0.1:$MON_PORT" --fsid "$fsid" "$D/monmap" >/dev/null
  ceph-mon -c "$C" --mkfs -i a --monmap "$D/monmap" --keyring "$D/keyring"
  ceph-mon -c "$C" -i a
  wait_for "ceph-mon" 120 ceph -c "$C" --connect-timeout 2 mon stat
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  id=$(ceph -c "$C" osd new "$osd_uuid")
  # Its stderr is only "add item ..." chatter; a failure still stops the script (set -e).
  ceph -c "$C" osd crush add "osd.$id" 1.0 root=default host=localhost 2>/dev/null
  ceph-osd -c "$C" -i "$id" --mkfs --osd-uuid "$osd_uuid" 2>>"$D/log/mkfs.log"
  ceph-osd -c "$C" -i "$id"
  radosgw -c "$C" -n client.rgw
  wait_for "radosgw on $ENDPOINT" 240 answering
  radosgw-admin -c "$C" user create --uid=callrec-test --display-name=callrec-test \
    --access-key="$ACCESS_KEY" --secret="$SECRET_KEY" >/dev/null
}

case $CMD in
start) start ;;
launch) launch ;; # internal: one start attempt, see start()
stop) stop ;;
env) running && print_env || { log "not running in $D"; exit 1; } ;;
status) running && log "running in $D on $ENDPOINT" || { log "not running in $D"; exit 1; } ;;
*)
  echo "usage: $0 start|stop|env|status [DIR]" >&2
  exit 2
  ;;
esac
