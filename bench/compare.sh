#!/usr/bin/env bash
# bench/compare.sh — ckptfs against a shadow git repository and restic on a
# realistic agent workdir (a copy of Go's own source tree, ~12k files),
# measured side by side in one run. Prints a markdown table on stdout;
# progress goes to stderr.
#
#   bench/compare.sh                  # everything (~2–4 minutes on 2 cores)
#   ROUNDS=3 BIG=0 bench/compare.sh   # fewer rounds, skip the 1 GiB file
#
# ckptfs is measured three times: as a plain CLI (every command opens the
# store), through a running `ckptfs mount` (commands go to the mount over
# its control socket: the deployment for agents; needs /dev/fuse), and
# through a running `ckptfs serve` (the same without FUSE).
# Each tool gets its own identical copy of the tree and does, in order:
#   full        first snapshot of the whole tree into a fresh store/repo
#   then ROUNDS times (median reported):
#     1%        modify 1 % of the files (a line appended), snapshot
#     unchanged snapshot again with nothing changed
#     rollback  modify another 1 %, put the tree back to the last snapshot
#   restore     the full snapshot into a new empty directory (cp -a: a plain copy)
# The commands are what users run:
#   ckptfs  checkpoint --if-changed DIR / restore ID DIR
#   git     shadow GIT_DIR: add -A && commit (skipped when nothing is staged) /
#           reset --hard (+ clean) / checkout into an empty work tree
#   restic  backup DIR / restore ID --target (restic 0.14 restores every file)
# Times are wall-clock seconds of the whole command (process start, store
# open, sync included); memory is the peak RSS (/usr/bin/time -v "Maximum
# resident set size"). Store sizes are `du -sb` after the full snapshot and
# all rounds. Before every step that writes the whole tree (full snapshots,
# restores) the script runs `sync` (untimed), so that no tool pays for the
# writeback of the one before it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ROUNDS=${ROUNDS:-5}
BIG=${BIG:-1}
W=${BENCH_DIR:-$(mktemp -d /tmp/ckptfs-compare.XXXXXX)}
mkdir -p "$W"
trap 'rm -rf "$W"' EXIT
log() { printf '%s\n' "$*" >&2; }

# --- tools ------------------------------------------------------------------
if ! command -v restic >/dev/null || ! command -v git >/dev/null || [ ! -x /usr/bin/time ]; then
  log "installing restic, git and time from Debian packages"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq restic git time >/dev/null
fi
log "building ckptfs"
go build -o "$W/bin/ckptfs" ./cmd/ckptfs
CKPTFS="$W/bin/ckptfs"
export RESTIC_PASSWORD=bench RESTIC_CACHE_DIR="$W/restic-cache"
GIT=(git -c user.name=bench -c user.email=bench@example.com -c core.autocrlf=false -c gc.auto=0)

# --- the tree ---------------------------------------------------------------
SRC=$(go env GOROOT)/src
log "copying $SRC"
cp -a "$SRC" "$W/orig"
MOUNT=0
if [ -e /dev/fuse ] && [ "$(id -u)" = 0 ] && [ "${NOMOUNT:-0}" = 0 ]; then MOUNT=1; fi
TOOLS="ckptfs ckserve git restic"
[ "$MOUNT" = 1 ] && TOOLS="ckptfs ckmount ckserve git restic"
for t in $TOOLS; do cp -a "$W/orig" "$W/work-$t"; done
NFILES=$(find "$W/orig" -type f | wc -l)
(cd "$W/orig" && find . -type f | LC_ALL=C sort) > "$W/files"

# modify DIR ROUND: append a line to 1 % of the files (every 100th, shifted by
# the round so that every round touches other files).
modify() {
  awk -v r="$2" 'NR % 100 == (r * 37) % 100' "$W/files" | while IFS= read -r f; do
    printf '// round %s\n' "$2" >> "$1/$f"
  done
}

# settle: write back what earlier steps left dirty, so that a measured
# command does not pay for another's writeback (the kernel throttles the
# next heavy writer). Used before every step that writes the whole tree.
settle() { sync; sleep 1; }

# measure TOOL OP CMD...: run CMD, record seconds and peak RSS (KiB).
measure() {
  local tool=$1 op=$2; shift 2
  local t0=$EPOCHREALTIME
  if ! /usr/bin/time -f %M -o "$W/rss" "$@" >"$W/out" 2>"$W/err"; then
    log "FAILED: $*"; cat "$W/err" >&2; exit 1
  fi
  local t1=$EPOCHREALTIME
  echo "$tool $op $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", b-a}') $(tail -n1 "$W/rss")" >> "$W/results"
}

# --- per-tool commands --------------------------------------------------------
# The ckptfs columns (ckptfs: plain CLI; ckmount, ckserve: a running mount
# or serve holds the store) differ only in their store and work tree:
# ck_* take the column's name. FULL holds each one's full checkpoint id.
declare -A FULL PID DIED RSS
ck()          { local t=$1; shift; "$CKPTFS" --store "$W/store-$t" "$@"; }
# measure runs programs, not shell functions: ck_* spell ck out.
ck_full()     { measure "$1" full "$CKPTFS" --store "$W/store-$1" checkpoint --session bench "$W/work-$1"; FULL[$1]=$(cat "$W/out"); }
ck_snap()     { measure "$1" "$2" "$CKPTFS" --store "$W/store-$1" checkpoint --session bench --if-changed "$W/work-$1"; }
ck_rollback() { measure "$1" rollback "$CKPTFS" --store "$W/store-$1" restore --session bench "$(ck "$1" log --session bench --limit 1 | cut -d' ' -f1)" "$W/work-$1"; }
ck_restore()  { measure "$1" restore "$CKPTFS" --store "$W/store-$1" restore --session bench "${FULL[$1]}" "$W/restore-$1"; }

# start_server mount|serve: the server of column ckmount or ckserve, up
# when its ready test passes (the mount's ctl file, serve's first line).
start_server() {
  local kind=$1 t=ck$1
  case $kind in
    # "$CKPTFS" itself, not ck: $! must be the server's pid (signals, RSS).
    mount) mkdir -p "$W/mnt"; "$CKPTFS" --store "$W/store-$t" mount "$W/mnt" >"$W/$kind.log" 2>&1 & ;;
    serve) "$CKPTFS" --store "$W/store-$t" serve >"$W/$kind.log" 2>&1 & ;;
  esac
  PID[$kind]=$!
  for _ in $(seq 100); do
    case $kind in
      mount) [ -e "$W/mnt/ctl" ] && return 0;;
      serve) grep -q '^serving ' "$W/$kind.log" && return 0;;
    esac
    sleep 0.1
  done
  log "the $kind did not come up:"; cat "$W/$kind.log" >&2; exit 1
}
# stop_server mount|serve: record its peak RSS, whether it died, stop it.
stop_server() {
  local kind=$1 pid=${PID[$1]}
  if ! kill -0 "$pid" 2>/dev/null; then
    DIED[$kind]=1; log "WARNING: the $kind exited during the run:"; tail -n 5 "$W/$kind.log" >&2
  fi
  RSS[$kind]=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset 'PID[$kind]'
}
trap 'for p in "${PID[@]}"; do kill -INT "$p"; wait "$p"; done 2>/dev/null; rm -rf --one-file-system "$W"' EXIT

GITC=("${GIT[@]}" --git-dir="$W/store-git" --work-tree="$W/work-git")
git_snap()     { measure git "$1" sh -c '"$@" add -A && { "$@" diff --cached --quiet || "$@" commit -q -m snapshot; }' sh "${GITC[@]}"; }
git_rollback() { measure git rollback sh -c '"$@" reset -q --hard && "$@" clean -q -fd' sh "${GITC[@]}"; }
git_restore()  {
  mkdir -p "$W/restore-git"
  measure git restore env GIT_INDEX_FILE="$W/restore-git.index" "${GIT[@]}" --git-dir="$W/store-git" --work-tree="$W/restore-git" checkout -q -f "$GIT_FULL" -- .
}

RESTIC=(restic -q -r "$W/store-restic")
restic_snap()     { measure restic "$1" "${RESTIC[@]}" backup "$W/work-restic"; }
restic_rollback() { measure restic rollback "${RESTIC[@]}" restore latest --target / --include "$W/work-restic"; }
restic_restore()  { measure restic restore "${RESTIC[@]}" restore "$RESTIC_FULL" --target "$W/restore-restic"; }

# --- run ---------------------------------------------------------------------
: > "$W/results"
log "full snapshots"
settle
ck_full ckptfs
if [ "$MOUNT" = 1 ]; then
  start_server mount
  settle
  ck_full ckmount
fi
start_server serve
settle
ck_full ckserve
"${GIT[@]}" --git-dir="$W/store-git" --work-tree="$W/work-git" init -q
settle
git_snap full
GIT_FULL=$("${GITC[@]}" rev-parse HEAD)
restic -q -r "$W/store-restic" init --repository-version 2 >/dev/null
settle
restic_snap full
RESTIC_FULL=$(restic -r "$W/store-restic" snapshots --json | sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p' | head -n1)

for r in $(seq 1 "$ROUNDS"); do
  log "round $r/$ROUNDS"
  for t in $TOOLS; do
    modify "$W/work-$t" "$r"
    case $t in
      ck*) ck_snap "$t" 1pct; ck_snap "$t" unchanged;;
      git) git_snap 1pct; git_snap unchanged;; restic) restic_snap 1pct; restic_snap unchanged;;
    esac
    modify "$W/work-$t" "$((r + 50))"
    case $t in ck*) ck_rollback "$t";; git) git_rollback;; restic) restic_rollback;; esac
  done
done
for t in $TOOLS; do
  if ! diff -rq "$W/work-ckptfs" "$W/work-$t" >/dev/null; then log "WARNING: $t's tree differs from ckptfs's after the rounds"; fi
done

log "restores into empty directories"
settle; measure cp restore cp -a "$W/orig" "$W/restore-cp"
settle; ck_restore ckptfs
settle; git_restore
settle; restic_restore
diff -r "$W/orig" "$W/restore-ckptfs" >/dev/null || { log "ckptfs restore differs from the original"; exit 1; }
if [ "$MOUNT" = 1 ]; then
  settle; ck_restore ckmount
  stop_server mount
  S_KM=$(du -sb "$W/store-ckmount" | cut -f1)
fi
settle; ck_restore ckserve
stop_server serve
S_KS=$(du -sb "$W/store-ckserve" | cut -f1)

size() { du -sb "$1" | cut -f1; }
S_CK=$(size "$W/store-ckptfs"); S_GIT=$(size "$W/store-git"); S_RESTIC=$(size "$W/store-restic")
S_SRC=$(size "$W/orig")

if [ "$BIG" = 1 ]; then
  log "1 GiB single file"
  mkdir -p "$W/big"
  head -c 1073741824 /dev/urandom > "$W/big/file"
  settle
  measure ckptfs big "$CKPTFS" --store "$W/store-big" checkpoint --session big "$W/big"
  rm -f "$W/big/file"
  settle
  measure ckptfs bigrestore "$CKPTFS" --store "$W/store-big" restore --session big "$(cat "$W/out")" "$W/big"
  rm -rf "$W/big" "$W/store-big"
fi

# --- report -----------------------------------------------------------------
# cell TOOL OP: median seconds and the largest peak RSS of that op.
cell() {
  awk -v t="$1" -v o="$2" '$1==t && $2==o {print $3, $4}' "$W/results" | sort -n |
    awk '{s[NR]=$1; if ($2>m) m=$2} END {if (NR==0) {print "–"; exit}
      med = (NR%2) ? s[(NR+1)/2] : (s[NR/2]+s[NR/2+1])/2
      printf "%.3f s (%.0f MiB)", med, m/1024}'
}
secs() { awk -v t="$1" -v o="$2" '$1==t && $2==o {print $3}' "$W/results" | sort -n | awk '{s[NR]=$1} END {if (NR==0) print 0; else print (NR%2) ? s[(NR+1)/2] : (s[NR/2]+s[NR/2+1])/2}'; }
ratio() {
  local ck; ck=$(secs "${2:-ckptfs}" "$1")
  awk -v c="$ck" -v g="$(secs git "$1")" -v r="$(secs restic "$1")" -v p="$(secs cp "$1")" -v op="$1" 'BEGIN {
    if (c <= 0) {print "–"; exit}
    s = sprintf("%.1f× git, %.1f× restic", g/c, r/c)
    if (op == "restore") s = s sprintf(", %.1f× cp -a", p/c)
    print s }'
}
mib() { awk -v b="$1" 'BEGIN{printf "%.1f MiB", b/1048576}'; }

echo "Workdir: copy of \`\$(go env GOROOT)/src\` ($(go env GOVERSION)): $NFILES files, $(mib "$S_SRC"); $(nproc) cores; ROUNDS=$ROUNDS (median)."
echo "restic $(restic version | awk '{print $2}'), $(git --version). Command: \`bench/compare.sh\`."
echo
# The ckptfs columns: CLI, via mount (when there is one), via serve.
CK_COLS="ckptfs ckserve"; CK_NAMES=("ckptfs (CLI)" "ckptfs (via serve)"); CK_SIZES=("$S_CK" "$S_KS")
if [ "$MOUNT" = 1 ]; then
  CK_COLS="ckptfs ckmount ckserve"; CK_NAMES=("ckptfs (CLI)" "ckptfs (via mount)" "ckptfs (via serve)")
  CK_SIZES=("$S_CK" "$S_KM" "$S_KS")
fi
head="| operation |"; rule="| --- |"
for n in "${CK_NAMES[@]}"; do head="$head $n |"; rule="$rule ---: |"; done
head="$head git (shadow GIT_DIR) | restic | cp -a |"; rule="$rule ---: | ---: | ---: |"
for n in "${CK_NAMES[@]}"; do n=${n#ckptfs (}; head="$head speed-up, ${n%)} |"; rule="$rule --- |"; done
echo "$head"; echo "$rule"
for op in full 1pct unchanged restore rollback; do
  case $op in
    full) name="full checkpoint";; 1pct) name="1 %-changed checkpoint";; unchanged) name="unchanged checkpoint";;
    restore) name="restore into an empty dir";; rollback) name="rollback of a 1 %-changed dir";;
  esac
  row="| $name |"
  for c in $CK_COLS; do row="$row $(cell "$c" $op) |"; done
  row="$row $(cell git $op) | $(cell restic $op) | $(cell cp $op) |"
  for c in $CK_COLS; do row="$row $(ratio $op "$c") |"; done
  echo "$row"
done
row="| store size after all snapshots |"
for b in "${CK_SIZES[@]}"; do row="$row $(mib "$b") |"; done
row="$row $(mib "$S_GIT") | $(mib "$S_RESTIC") | $(mib "$S_SRC") |"
for _ in $CK_COLS; do row="$row |"; done
echo "$row"
echo
if [ "$MOUNT" = 1 ]; then
  if [ "${DIED[mount]:-0}" = 1 ]; then
    echo "**The mount exited during the run** ($(tail -n1 "$W/mount.log")): after that the via-mount commands opened the store themselves, like the CLI column."
  else
    echo "Via mount: times and peak RSS are the CLI client's; the mount process's peak RSS over the whole run was $(awk -v k="${RSS[mount]:-0}" 'BEGIN{printf "%.0f MiB", k/1024}')."
  fi
fi
if [ "${DIED[serve]:-0}" = 1 ]; then
  echo "**ckptfs serve exited during the run** ($(tail -n1 "$W/serve.log")): after that the via-serve commands opened the store themselves, like the CLI column."
else
  echo "Via serve: the same; the serve process's peak RSS was $(awk -v k="${RSS[serve]:-0}" 'BEGIN{printf "%.0f MiB", k/1024}')."
fi
if [ "$BIG" = 1 ]; then
  echo
  echo "1 GiB file of random bytes: checkpoint $(cell ckptfs big), restore $(cell ckptfs bigrestore) (time, peak RSS)."
fi
