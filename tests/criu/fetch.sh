#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A private CRIU 4.1 for the checkpoint tests.  Debian 12's CRIU 3.17.1
# cannot dump on newer kernels ("vdso: Unexpected rt vDSO area bounds");
# Debian 13's 4.1.1 can, run with trixie's own loader and libraries.  The
# packages come from this machine's own Debian mirror (read from its apt
# sources) with suite trixie and a private apt configuration; they are
# only unpacked under DIR, never installed.
#
#   tests/criu/fetch.sh [DIR]   (default build/criu)
#
# Prints the wrapper's path (DIR/criu) on success.  Exits 1 with one line
# on stderr when it cannot fetch.
set -eu

dir=${1:-build/criu}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
wrapper=$dir/criu
root=$dir/root

if [ -x "$wrapper" ] && [ -x "$root/usr/sbin/criu" ]; then
	echo "$wrapper"
	exit 0
fi

fail() {
	echo "criu-fetch: $*" >&2
	exit 1
}

# The first Debian archive URI of the host's sources, in either format
# (one-line .list or deb822 .sources); the security archive is not it.
uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	/etc/apt/sources.list.d/*.sources 2>/dev/null |
	awk '/^[[:space:]]*#/ { next }
	     $1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { print $i; break } }
	     $1 == "URIs:" { for (i = 2; i <= NF; i++) print $i }' |
	grep -v -- '-security' | grep -E '/debian/?$' | head -n 1) || true
[ -n "$uri" ] || fail "no Debian archive URI in /etc/apt/sources.list*"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || fail "$keyring missing (package debian-archive-keyring)"

apt=$dir/apt
rm -rf "$apt" "$dir/debs" "$root.tmp"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc/preferences.d" \
	"$dir/debs" "$root.tmp"
echo "deb [signed-by=$keyring] $uri trixie main" >"$apt/etc/sources.list"
: >"$apt/status"
cat >"$apt/apt.conf" <<CONF
Dir::Etc::SourceList "$apt/etc/sources.list";
Dir::Etc::SourceParts "$apt/etc/sources.list.d";
Dir::Etc::Preferences "$apt/etc/preferences";
Dir::Etc::PreferencesParts "$apt/etc/preferences.d";
Dir::State "$apt";
Dir::State::Lists "$apt/lists";
Dir::State::status "$apt/status";
Dir::Cache "$apt/cache";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
APT::Install-Recommends "false";
Debug::NoLocking "true";
APT::Sandbox::User "root";
CONF
mkdir -p "$apt/etc/sources.list.d"
export APT_CONFIG="$apt/apt.conf"

apt-get -qq update >"$dir/fetch.log" 2>&1 ||
	fail "apt-get update of $uri trixie failed (see $dir/fetch.log)"
# criu and the libraries it loads, recursively: with an empty status file
# every dependency counts as missing.
pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests \
	--no-conflicts --no-breaks --no-replaces --no-enhances --no-pre-depends criu 2>>"$dir/fetch.log" |
	awk '/^[a-z0-9]/ { print $1 }' | grep -E '^(criu|lib)' | sort -u)
echo "$pkgs" | grep -qx criu || fail "criu not found in $uri trixie"
(cd "$dir/debs" && apt-get -qq download $pkgs >>"$dir/fetch.log" 2>&1) ||
	fail "apt-get download failed (see $dir/fetch.log)"
for deb in "$dir"/debs/*.deb; do
	dpkg-deb -x "$deb" "$root.tmp" || fail "dpkg-deb -x $deb failed"
done
rm -rf "$root"
mv "$root.tmp" "$root"

lib=$root/usr/lib/x86_64-linux-gnu
[ -x "$lib/ld-linux-x86-64.so.2" ] || fail "no loader in the trixie libc6"
cat >"$wrapper.tmp" <<WRAP
#!/bin/sh
# CRIU from Debian trixie, run with its own loader and libraries.
exec "$lib/ld-linux-x86-64.so.2" --library-path "$lib" "$root/usr/sbin/criu" "\$@"
WRAP
chmod 0755 "$wrapper.tmp"
mv "$wrapper.tmp" "$wrapper"
rm -rf "$dir/debs" "$apt/cache"
echo "$wrapper"
