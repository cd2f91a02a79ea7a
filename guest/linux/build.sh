#!/bin/sh
# Build the small Linux kernel the linux_*.t tests boot (guest/linux/README.md)
# from Debian's linux-source-6.1 package: apt-get download, unpack, apply
# pvm.patch, tinyconfig + vmd.config, make bzImage.  The result is cached
# outside the clone, keyed by the package version and a hash of this
# recipe, so a machine builds it once.
#
# usage: build.sh [-n]	prints the cached kernel directory (bzImage,
#			vmlinux, System.map, config) on stdout, building it
#			first if missing; -n: never build, exit 1 if missing
# env:	VMD_LINUX_CACHE	cache directory (default /var/cache/vmd-linux as
#			root, else $XDG_CACHE_HOME/vmd-linux)
#	JOBS		parallel make jobs (2)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
pkg=linux-source-6.1
nobuild=0
[ "${1:-}" = -n ] && nobuild=1

if [ -n "${VMD_LINUX_CACHE:-}" ]; then
	cache=$VMD_LINUX_CACHE
elif [ "$(id -u)" = 0 ]; then
	cache=/var/cache/vmd-linux
else
	cache=${XDG_CACHE_HOME:-$HOME/.cache}/vmd-linux
fi
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

# The key: the package version (below) and a hash of what makes the
# kernel: the settings of vmd.config (not its comments), pvm.patch and the
# build steps' revision, to be raised when the steps below change.
steps=1
hash=$( (echo "steps $steps"
    grep -E '^(CONFIG_|# CONFIG_.* is not set)' "$here/vmd.config"
    cat "$here/pvm.patch") | sha256sum | cut -c1-12)

candidate() {
	apt-cache show --no-all-versions "$pkg" 2>/dev/null |
	    sed -n 's/^Version: //p' | head -1
}
ver=$(candidate)
if [ -z "$ver" ] && [ "$(id -u)" = 0 ] && [ "$nobuild" = 0 ]; then
	apt-get update -qq >&2 || true
	ver=$(candidate)
fi
if [ -z "$ver" ]; then
	# No apt lists (offline): the newest kernel built from this recipe.
	dir=$(ls -d "$cache"/*-"$hash" 2>/dev/null | tail -1)
	[ -n "$dir" ] && [ -s "$dir/bzImage" ] && { echo "$dir"; exit 0; }
	echo "build.sh: apt knows no $pkg (run apt-get update)" \
	    "and nothing is cached in $cache" >&2
	exit 1
fi
dir=$cache/$ver-$hash
if [ -s "$dir/bzImage" ]; then
	echo "$dir"
	exit 0
fi
if [ "$nobuild" = 1 ]; then
	echo "build.sh: no kernel built from this recipe in $dir" >&2
	exit 1
fi

# One builder per machine: a second caller waits, then finds the result.
exec 9>"$cache/lock"
flock 9
if [ -s "$dir/bzImage" ]; then
	echo "$dir"
	exit 0
fi
echo "build.sh: building Linux from $pkg $ver into $dir" \
    "(once per machine; several minutes)" >&2
start=$(date +%s)
work=$cache/work
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
deb=$cache/${pkg}_${ver}_all.deb
if [ ! -s "$deb" ]; then
	(cd "$work" && apt-get download -q -o APT::Sandbox::User=root \
	    "$pkg=$ver" >&2)
	mv "$work"/"$pkg"_*.deb "$deb"
fi
# Only the source tarball: nothing is installed.
dpkg-deb --fsys-tarfile "$deb" |
    tar -xO "./usr/src/$pkg.tar.xz" | tar -xJ -C "$work"
src=$work/$pkg
patch -s -p1 -d "$src" <"$here/pvm.patch"

log=$work/build.log
export KBUILD_BUILD_USER=vmd KBUILD_BUILD_HOST=vmd
export KBUILD_BUILD_TIMESTAMP="$ver"
jobs=${JOBS:-2}
kmake() {
	nice -n 10 make -C "$src" -j"$jobs" "$@" >>"$log" 2>&1 || {
		echo "build.sh: make $* failed; the end of $log:" >&2
		tail -30 "$log" >&2
		trap - EXIT
		exit 1
	}
}
kmake tinyconfig
(cd "$src" && scripts/kconfig/merge_config.sh -m .config \
    "$here/vmd.config" >>"$log" 2>&1)
kmake olddefconfig
# Every line of the fragment must have survived Kconfig's dependencies.
bad=$(grep -E '^(CONFIG_|# CONFIG_.* is not set)' "$here/vmd.config" |
    while read -r line; do
	opt=$(echo "$line" | sed -E 's/^# (CONFIG_[A-Za-z0-9_]*) is not set/\1/;
	    s/=.*//')
	have=$(grep -E "^($opt=|# $opt is not set)" "$src/.config" || true)
	case $line in
	\#*)	[ -z "$have" ] || [ "$have" = "$line" ] || echo "$line" ;;
	*)	[ "$have" = "$line" ] || echo "$line" ;;
	esac
    done)
if [ -n "$bad" ]; then
	echo "build.sh: Kconfig did not take these lines of vmd.config:" >&2
	echo "$bad" >&2
	exit 1
fi
kmake bzImage
mkdir -p "$work/out"
cp "$src/arch/x86/boot/bzImage" "$src/vmlinux" "$src/System.map" "$work/out/"
cp "$src/.config" "$work/out/config"
cp "$log" "$work/out/build.log"
rm -rf "$dir"
mv "$work/out" "$dir"
echo "build.sh: built $dir/bzImage in $(($(date +%s) - start)) s" >&2
echo "$dir"
