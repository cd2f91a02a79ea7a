#!/bin/bash
# Runs each libFuzzer harness (built by `make fuzz`) for a bounded time.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-$TOP/build}
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
n=0
fail=0
for f in "$B"/fuzz/*_fuzz; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	corpus=$(mktemp -d)
	seeds=$TOP/tests/fuzz/seeds/${name%_fuzz}
	[ -d "$seeds" ] && cp "$seeds"/* "$corpus"/
	n=$((n + 1))
	if "$f" -artifact_prefix="$corpus.crash-" -max_total_time="$FUZZ_SECONDS" -timeout=5 -rss_limit_mb=2048 \
	    -print_final_stats=0 "$corpus" >"$corpus.log" 2>&1; then
		echo "ok $n - $name: no crash in ${FUZZ_SECONDS}s"
		grep -E '^#[0-9]+.*DONE' "$corpus.log" | tail -1 | sed 's/^/# /'
	else
		echo "not ok $n - $name"
		tail -30 "$corpus.log" | sed 's/^/# /'
		mkdir -p "$B/fuzz/crashes"
		cp "$corpus".crash-* "$B/fuzz/crashes/" 2>/dev/null
		fail=1
	fi
	rm -rf "$corpus" "$corpus.log" "$corpus".crash-*
done
[ "$n" -gt 0 ] || { echo "not ok 1 - no fuzz harness built"; n=1; fail=1; }
echo "1..$n"
exit $fail
