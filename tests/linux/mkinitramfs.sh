#!/bin/sh
# Build a newc initramfs holding static busybox (with its applet links),
# tests/linux/init and, in the order given, kernel modules that init loads
# (/lib/modules/order: Debian's kernel has its virtio drivers as modules).
# Usage: mkinitramfs.sh BUSYBOX INIT OUT.cpio [MODULE.ko ...]
set -eu
busybox=${1:?usage: mkinitramfs.sh BUSYBOX INIT OUT [MODULE.ko ...]}
init=${2:?}
out=${3:?}
shift 3
command -v cpio >/dev/null || {
	echo "mkinitramfs.sh: cpio not found (make deps installs it)" >&2
	exit 1
}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmd-initramfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/sbin" "$tmp/usr/bin" "$tmp/usr/sbin" \
    "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/tmp" "$tmp/root" "$tmp/etc"
cp "$busybox" "$tmp/bin/busybox"
mkdir -p "$tmp/lib/modules"
: >"$tmp/lib/modules/order"
for m in "$@"; do
	cp "$m" "$tmp/lib/modules/"
	basename "$m" >>"$tmp/lib/modules/order"
done
cp "$init" "$tmp/init"
chmod 755 "$tmp/bin/busybox" "$tmp/init"
# busybox is static, so the host can ask it for its applet list.
"$tmp/bin/busybox" --list-full | while read -r a; do
	[ -e "$tmp/$a" ] || ln -s /bin/busybox "$tmp/$a"
done
# The kernel opens /dev/console for init before devtmpfs exists; a node in
# the archive needs root (init copes without it).
mknod -m 600 "$tmp/dev/console" c 5 1 2>/dev/null || true
(cd "$tmp" && find . -mindepth 1 | LC_ALL=C sort |
    cpio --quiet -o -H newc -R 0:0) > "$out.tmp"
mv "$out.tmp" "$out"
