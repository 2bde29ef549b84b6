#!/bin/sh
# Recompute the speed accuracy tables (docs/validation.md section 6.10) and the speed bands
# (data/speed_bands.json) from tests/data/measurements.json, then rebuild so the bands are embedded.
# Usage: scripts/calibrate.sh [BUILD_DIR]   (default: build)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$root/build"}
cmake --build "$build" --target dsplan_calibrate
"$build/tests/dsplan_calibrate" "$root" --write
cmake --build "$build"
