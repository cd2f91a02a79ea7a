#!/bin/bash
# bench/run.sh: side-by-side start-up benchmarks against QEMU (make bench).
# Today: start-up time and memory overhead on the test guest
# (bench/startup.pl).  Options are passed on, e.g. --runs 3; see
# bench/README.md.  Results: a table on stdout, bench/results/latest.json.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
exec perl bench/startup.pl --root "$top" "$@"
