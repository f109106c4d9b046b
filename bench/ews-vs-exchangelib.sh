#!/usr/bin/env bash
# Parses the same EWS responses with our `ews` crate and with Python's exchangelib, one after the
# other on this machine, and prints the throughput ratio. Issue 3 targets 20x or better.
#   bench/ews-vs-exchangelib.sh
# Needs python3 with venv and PyPI access (exchangelib is installed into target/bench-venv once).
set -euo pipefail
cd "$(dirname "$0")/.."
EXCHANGELIB_VERSION=5.6.0
inputs="$PWD/target/bench-inputs"
venv="target/bench-venv"

echo "==> ews crate (cargo bench -p roombook-ews --bench throughput)"
rust_out="$(ROOMBOOK_BENCH_INPUTS="$inputs" cargo bench -q -p roombook-ews --bench throughput 2>/dev/null)"
echo "$rust_out"

if ! [ -f "$venv/.exchangelib-$EXCHANGELIB_VERSION" ]; then
  echo "==> installing exchangelib $EXCHANGELIB_VERSION into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "exchangelib==$EXCHANGELIB_VERSION"
  touch "$venv/.exchangelib-$EXCHANGELIB_VERSION"
fi
echo "==> exchangelib $EXCHANGELIB_VERSION (same input files)"
py_out="$("$venv/bin/python" bench/exchangelib_parse.py "$inputs")"
echo "$py_out"

# MiB/s is the last field of the Rust lines and the second of the Python lines.
rust_rate() { echo "$rust_out" | grep -F "$1" | awk '{print $NF == "MiB/s" ? $(NF-1) : $NF}'; }
py_rate() { echo "$py_out" | awk -v n="$1" '$1 == n {print $2}'; }
echo
printf '%-38s %12s %14s %8s\n' "input" "ews MiB/s" "exchangelib" "ratio"
for pair in "parse FindItem response (1000 items)|find-item-1000" "parse GetUserAvailability (100 rooms)|availability-100"; do
  label="${pair%%|*}"; name="${pair##*|}"
  r="$(rust_rate "$label")"; p="$(py_rate "$name")"
  awk -v l="$label" -v r="$r" -v p="$p" 'BEGIN { printf "%-38s %12.1f %14.2f %7.1fx\n", l, r, p, r / p }'
done
