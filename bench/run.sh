#!/usr/bin/env bash
# Measures Tally's metering core (Admit then Settle, two transactions per
# call) on the PostgreSQL server at 127.0.0.1:5432. In the same run it
# measures pgbench on the same statements, then prints the figures that
# BENCHMARKS.md records. It drops and recreates its own database
# (tally_bench by default) and touches no other.
#
# Settings, from the environment:
#   BENCH_DATABASE  database to create and use          (tally_bench)
#   BENCH_SECONDS   measured seconds of each phase      (30)
#   BENCH_GUILDS    servers the members are spread over (64)
#   BENCH_RATE      open-loop calls offered per second  (1000)
set -euo pipefail
cd "$(dirname "$0")/.."

host=127.0.0.1
port=5432
user=postgres
database=${BENCH_DATABASE:-tally_bench}
seconds=${BENCH_SECONDS:-30}
guilds=${BENCH_GUILDS:-64}
rate=${BENCH_RATE:-1000}
warmup=2
clients=64
url="postgres://$user@$host:$port/$database?sslmode=disable"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run_psql() {
  psql -X -q -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U "$user" "$@"
}

# value KEY LINE prints the value of KEY=value in a loadmeter line.
value() {
  sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"
}

# summarize_pgbench LABEL PREFIX OFFERED_PER_S reads pgbench's
# per-transaction logs and prints a line in loadmeter's format. Only
# transactions started (or, with -R, scheduled) after the warm-up count.
# The latency column is measured from the scheduled start when -R is set.
# Percentiles are nearest-rank, as in internal/loadmeter.
summarize_pgbench() {
  local label=$1 prefix=$2 offered=$3
  cat "$prefix".* | awk -v warmup="$warmup" -v latencies="$work/latencies" '
    { end = $5 + $6 / 1e6; start[NR] = end - $3 / 1e6; finish[NR] = end; latency[NR] = $3; ok[NR] = ($3 ~ /^[0-9]+$/) }
    NR == 1 || start[NR] < t0 { t0 = start[NR] }
    END {
      from = t0 + warmup
      for (i = 1; i <= NR; i++) {
        if (start[i] < from) continue
        if (!ok[i]) { errors++; continue }
        print latency[i] > latencies
        calls++
        if (finish[i] > last) last = finish[i]
      }
      printf "%d %d %.3f\n", calls, errors, last - from
    }' >"$work/counts"
  read -r calls errors elapsed <"$work/counts"
  sort -n "$work/latencies" | awk -v calls="$calls" -v errors="$errors" -v elapsed="$elapsed" \
    -v label="$label" -v offered="$offered" -v seconds="$seconds" '
    { v[NR] = $1 }
    function rank(p,   r) { r = int(p / 100 * NR); if (r < p / 100 * NR) r++; if (r < 1) r = 1; return v[r] }
    END {
      extra = ""
      if (offered > 0) extra = sprintf(" offered=%d not_completed=%d", offered * seconds, offered * seconds - calls)
      printf "%s%s duration_s=%.2f calls=%d errors=%d calls_per_s=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
        label, extra, elapsed, calls, errors, calls / elapsed, rank(50) / 1000, rank(99) / 1000, v[NR] / 1000
    }'
  rm -f "$prefix".* "$work/latencies"
}

# run_pgbench LABEL OFFERED_PER_S CLIENTS [pgbench options...] runs the
# script for the warm-up and the measured seconds with fresh members.
run_pgbench() {
  local label=$1 offered=$2 clients=$3
  shift 3
  local day
  day=$(date -u +%F)
  pgbench -n -M simple -h "$host" -p "$port" -U "$user" \
    -f bench/admit-settle.sql \
    -D run="pgbench$(date +%s)" -D guilds="$guilds" -D day="$day" -D daystart="$day 00:00:00+00:00" \
    -c "$clients" -j "$(( clients < 2 ? 1 : 2 ))" -T $((seconds + warmup)) \
    -l --log-prefix="$work/pgbench" "$@" "$database" >"$work/pgbench-output.txt" 2>&1 ||
    { cat "$work/pgbench-output.txt" >&2; return 1; }
  summarize_pgbench "$label" "$work/pgbench" "$offered"
}

vacuum() {
  run_psql -d "$database" -c 'VACUUM ANALYZE'
}

echo "== machine"
echo "nproc: $(nproc)"
echo "memory: $(free -h | awk '/^Mem:/ { print $2 " total, " $7 " available" }')"
echo "postgresql: $(run_psql -d postgres -Atc 'SHOW server_version')"
echo "pgbench: $(pgbench --version)"
echo "go: $(go version)"
echo "load average before: $(cut -d ' ' -f 1-3 /proc/loadavg)"
echo "started: $(date -u +%FT%TZ)"

echo "== database $database"
run_psql -d postgres -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" -c "CREATE DATABASE $database"
go build -o "$work/loadmeter" ./internal/loadmeter
# The first loadmeter run migrates the database.
"$work/loadmeter" -database-url "$url" -mode sql -run sql >"$work/statements.sql"
echo "statements per call: $(grep -c ';$' "$work/statements.sql") (BEGIN and COMMIT included)"

loadmeter() {
  "$work/loadmeter" -database-url "$url" -guilds "$guilds" -warmup "${warmup}s" -duration "${seconds}s" "$@"
}

echo "== phases (${warmup}s warm-up, then ${seconds}s measured)"
vacuum
single=$(loadmeter -mode closed -callers 1 -members 1000)
echo "$single"
vacuum
pgbench_single=$(run_pgbench "mode=pgbench clients=1 guilds=$guilds" 0 1)
echo "$pgbench_single"
vacuum
open=$(loadmeter -mode open -rate "$rate" -workers "$clients" -members 1000)
echo "$open"
vacuum
closed=$(loadmeter -mode closed -callers "$clients" -members "$clients")
echo "$closed"
vacuum
pgbench_closed=$(run_pgbench "mode=pgbench clients=$clients guilds=$guilds" 0 "$clients")
echo "$pgbench_closed"
vacuum
pgbench_open=$(run_pgbench "mode=pgbench-open clients=$clients guilds=$guilds" "$rate" "$clients" -R "$rate")
echo "$pgbench_open"

echo "== go test -bench (one caller, SQLite and PostgreSQL)"
DATABASE_URL="$url" go test ./metering -run '^$' -bench AdmitSettle -benchtime 5s | grep '^Benchmark'

echo "== where one caller's time goes (client-side time per statement, 10s)"
vacuum
loadmeter -mode closed -callers 1 -members 1000 -duration 10s -statements

echo "== summary"
ratio=$(awk -v a="$(value calls_per_s "$closed")" -v b="$(value calls_per_s "$pgbench_closed")" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
verdict() { # verdict GOT LIMIT: met when GOT <= LIMIT
  awk -v got="$1" -v limit="$2" 'BEGIN { if (got <= limit) print "met"; else printf "missed by %.1fx\n", got / limit }'
}
printf '%-44s %10s %9s %9s  %s\n' "figure" "calls/s" "p50 ms" "p99 ms" "target"
printf '%-44s %10s %9s %9s  %s\n' "one caller, admit+settle" \
  "$(value calls_per_s "$single")" "$(value p50_ms "$single")" "$(value p99_ms "$single")" \
  "p50 <= 1.5: $(verdict "$(value p50_ms "$single")" 1.5); p99 <= 5: $(verdict "$(value p99_ms "$single")" 5)"
printf '%-44s %10s %9s %9s  %s\n' "pgbench, 1 client, same statements" \
  "$(value calls_per_s "$pgbench_single")" "$(value p50_ms "$pgbench_single")" "$(value p99_ms "$pgbench_single")" "reference"
printf '%-44s %10s %9s %9s  %s\n' "open loop, $rate/s offered, $(value dropped "$open") dropped" \
  "$(value calls_per_s "$open")" "$(value p50_ms "$open")" "$(value p99_ms "$open")" \
  "p99 <= 10: $(verdict "$(value p99_ms "$open")" 10)"
printf '%-44s %10s %9s %9s  %s\n' "closed loop, $clients callers" \
  "$(value calls_per_s "$closed")" "$(value p50_ms "$closed")" "$(value p99_ms "$closed")" \
  "ratio to pgbench $ratio (target >= 0.40: $(awk -v r="$ratio" 'BEGIN { print (r >= 0.4 ? "met" : "missed") }'))"
printf '%-44s %10s %9s %9s  %s\n' "pgbench, $clients clients, same statements" \
  "$(value calls_per_s "$pgbench_closed")" "$(value p50_ms "$pgbench_closed")" "$(value p99_ms "$pgbench_closed")" "reference"
printf '%-44s %10s %9s %9s  %s\n' "pgbench -R $rate, $(value not_completed "$pgbench_open") not completed" \
  "$(value calls_per_s "$pgbench_open")" "$(value p50_ms "$pgbench_open")" "$(value p99_ms "$pgbench_open")" "reference"
echo "load average after: $(cut -d ' ' -f 1-3 /proc/loadavg)"
