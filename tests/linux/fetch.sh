#!/bin/sh
# Fetch Debian's cloud kernel and busybox-static with apt-get download and
# unpack them (dpkg-deb -x) into a cache directory; nothing is installed on
# the host.  Usage: fetch.sh CACHEDIR.  Prints the kernel version on success.
set -eu
cache=${1:?usage: fetch.sh CACHEDIR}
mkdir -p "$cache/debs" "$cache/root"
cache=$(cd "$cache" && pwd)	# absolute: we cd below
cd "$cache/debs"

# Resolve the metapackage to the versioned image package it depends on.
resolve() {
	apt-cache depends linux-image-cloud-amd64 2>/dev/null |
	    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-cloud-amd64$/ \
		{ print $2; exit }'
}
kpkg=$(resolve)
# A fresh system may have no apt lists yet: fetch them once, as root.
if [ -z "$kpkg" ] && [ "$(id -u)" = 0 ] &&
    ! ls linux-image-[0-9]*-cloud-amd64_*.deb >/dev/null 2>&1; then
	apt-get update -qq >&2 && kpkg=$(resolve)
fi
if [ -z "$kpkg" ]; then
	# No apt lists (offline, or apt-get update never ran): use the cache.
	deb=$(ls linux-image-[0-9]*-cloud-amd64_*.deb 2>/dev/null | tail -1)
	[ -n "$deb" ] || {
		echo "fetch.sh: cannot resolve linux-image-cloud-amd64" \
		    "(run apt-get update) and nothing is cached" >&2
		exit 1
	}
	kpkg=${deb%%_*}
fi

# apt-get download as root warns that _apt cannot write here: harmless,
# so run it unsandboxed on purpose.
for p in "$kpkg" busybox-static; do
	if ! ls "${p}"_*.deb >/dev/null 2>&1; then
		apt-get download -q -o APT::Sandbox::User=root "$p" >&2 || {
			echo "fetch.sh: apt-get download $p failed" >&2
			exit 1
		}
	fi
done

kdeb=$(ls "${kpkg}"_*.deb | tail -1)
bdeb=$(ls busybox-static_*.deb | tail -1)
kver=${kpkg#linux-image-}
# Unpack only when the .deb is newer than the stamp.
stamp="$cache/root/.unpacked-$kver"
if [ ! -e "$stamp" ] || [ "$kdeb" -nt "$stamp" ] || [ "$bdeb" -nt "$stamp" ]
then
	rm -rf "$cache/root"
	mkdir -p "$cache/root"
	dpkg-deb -x "$kdeb" "$cache/root"
	dpkg-deb -x "$bdeb" "$cache/root"
	touch "$stamp"
fi
test -s "$cache/root/boot/vmlinuz-$kver"
test -x "$cache/root/bin/busybox"
echo "$kver"
