#!/bin/sh
# make bench: see bench/bench.py (ward, crun, runc and the floor side by
# side), then the isolated-idmap lines: registry allocation with 15 000 live
# entries and idmapped layers against ward.idmap.chown through ctr.
set -e
cd "$(dirname "$0")/.."
/usr/bin/python3 bench/bench.py
for b in bench/idmap_registry.py bench/idmap_layers.py; do
	[ -f "$b" ] && /usr/bin/python3 "$b"
done
exit 0
