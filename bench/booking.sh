#!/usr/bin/env bash
# The finder and the day grid for 500 rooms, every EWS answer 100 ms late (issue 6: the grid
# under 400 ms). Prints each page's median and slowest answer over the runs, the EWS calls per
# answer, and the baseline beside them: one GetUserAvailability round trip, and the five calls
# for 500 rooms one after another.
#   bench/booking.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -q -p roombook-tests --bench booking -- "${1:-10}"
