#!/bin/sh
# make bench: see bench/bench.py.
set -e
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/bench.py
