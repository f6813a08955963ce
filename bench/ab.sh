#!/usr/bin/env bash
# bench/ab.sh — two ckptfs binaries on the same `ckptfs bench` rows, run
# alternately (A, B, A, B, …) so that both see the same phases of a noisy
# machine. Prints, per row, the median of each and B/A.
#
#   bench/ab.sh A B [N] [bench flags…]
#   bench/ab.sh /tmp/ckptfs-main ./ckptfs 20 --only incremental/ --durability relaxed
#
# N defaults to 10. Build the baseline from another commit with e.g.
#   git worktree add /tmp/base main && (cd /tmp/base && go build -o /tmp/ckptfs-main ./cmd/ckptfs)
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
A=$1 B=$2; shift 2
N=10
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then N=$1; shift; fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for i in $(seq "$N"); do
  for side in A B; do
    bin=$A; [ "$side" = B ] && bin=$B
    # Table rows are "name value unit …"; keep name and value.
    "$bin" bench "$@" 2>/dev/null | awk -v s="$side" 'NR > 2 && $2 ~ /^[0-9.e+-]+$/ {print s, $1, $2, $3}' >> "$out"
  done
  printf '.' >&2
done
echo >&2
printf '%-24s %12s %12s %8s  %s\n' row A B B/A unit
awk '{v[$2" "$1] = v[$2" "$1] " " $3; u[$2] = $4; if (!($2 in seen)) {seen[$2] = 1; order[n++] = $2}}
  function median(s,   a, k, i, j, t) {
    k = split(s, a, " ")
    for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  END {
    for (i = 0; i < n; i++) {
      r = order[i]; ma = median(v[r" A"]); mb = median(v[r" B"])
      printf "%-24s %12.4g %12.4g %8.2f  %s\n", r, ma, mb, (ma > 0 ? mb / ma : 0), u[r]
    }
  }' "$out"
