#!/bin/bash
# Runs each libFuzzer harness (built by `make fuzz`) for a bounded time,
# FUZZ_JOBS (2: the host's cores) at once; the results are printed in the
# harnesses' order.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-$TOP/build}
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
FUZZ_JOBS=${FUZZ_JOBS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# fuzz_one N HARNESS: its result as TAP lines in $work/N.tap.
fuzz_one() {
	local n=$1 f=$2 name corpus seeds
	name=$(basename "$f")
	corpus=$work/$n.corpus
	mkdir -p "$corpus"
	seeds=$TOP/tests/fuzz/seeds/${name%_fuzz}
	[ -d "$seeds" ] && cp "$seeds"/* "$corpus"/
	if "$f" -artifact_prefix="$corpus.crash-" \
	    -max_total_time="$FUZZ_SECONDS" -timeout=5 -rss_limit_mb=2048 \
	    -print_final_stats=0 "$corpus" >"$corpus.log" 2>&1; then
		echo "ok $n - $name: no crash in ${FUZZ_SECONDS}s"
		grep -E '^#[0-9]+.*DONE' "$corpus.log" | tail -1 | sed 's/^/# /'
	else
		echo "not ok $n - $name"
		tail -30 "$corpus.log" | sed 's/^/# /'
		mkdir -p "$B/fuzz/crashes"
		cp "$corpus".crash-* "$B/fuzz/crashes/" 2>/dev/null
	fi >"$work/$n.tap"
	rm -rf "$corpus" "$corpus.log"
}

n=0
for f in "$B"/fuzz/*_fuzz; do
	[ -x "$f" ] || continue
	n=$((n + 1))
	while [ "$(jobs -rp | wc -l)" -ge "$FUZZ_JOBS" ]; do
		wait -n
	done
	fuzz_one "$n" "$f" &
done
wait
fail=0
for i in $(seq "$n"); do
	cat "$work/$i.tap" 2>/dev/null || echo "not ok $i - no result"
	grep -q '^ok ' "$work/$i.tap" 2>/dev/null || fail=1
done
[ "$n" -gt 0 ] || { echo "not ok 1 - no fuzz harness built"; n=1; fail=1; }
echo "1..$n"
exit $fail
