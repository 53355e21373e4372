#!/usr/bin/env bash
# Build the Debian root filesystem every e2e image starts from, offline from the
# project's point of view: only Debian's package mirror is used, no image registry.
#
#   bash e2e/rootfs.sh IMAGE [ENGINE]
#
# The result is imported into ENGINE (podman, the default, or docker) as IMAGE with the
# label shim.e2e.rootfs=<hash of the recipe>, so an unchanged recipe on the same machine
# costs nothing. The tarball is kept in $SHIM_E2E_CACHE (default /var/cache/shim-e2e), so
# a wiped image store, or the other engine, imports it instead of running debootstrap.
set -euo pipefail

image=${1:?usage: rootfs.sh IMAGE [ENGINE]}
engine=${2:-podman}
cache=${SHIM_E2E_CACHE:-/var/cache/shim-e2e}
# packages the e2e images need, nothing more: redis for the redis image, PostgreSQL for
# the stand-in of the official postgres image, Python with the two client libraries for
# the backend; all images share one rootfs so it is built once
packages="redis-server redis-tools postgresql python3-psycopg2 python3-redis"

# build_rootfs TARBALL: debootstrap, install $packages, trim, tar
build_rootfs() {
	local tarball=$1 mirror dir
	mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	mirror=${mirror:-http://deb.debian.org/debian}
	dir=$(mktemp -d /var/tmp/shim-e2e-rootfs.XXXXXX)
	trap 'rm -rf "$dir"' EXIT
	echo "rootfs: debootstrap bookworm from $mirror"
	debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$dir.log" 2>&1 || {
		tail -30 "$dir.log" >&2
		exit 1
	}
	rm -f "$dir.log"

	# apt inside the chroot: the host's sources (same mirror, same snapshot), no
	# service starts, no default PostgreSQL cluster (the stand-in entrypoint runs initdb)
	cp /etc/resolv.conf "$dir/etc/resolv.conf"
	if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
		rm -f "$dir/etc/apt/sources.list"
		cp /etc/apt/sources.list.d/debian.sources "$dir/etc/apt/sources.list.d/"
	fi
	printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
	chmod 755 "$dir/usr/sbin/policy-rc.d"
	mkdir -p "$dir/etc/postgresql-common"
	echo 'create_main_cluster = false' >"$dir/etc/postgresql-common/createcluster.conf"
	# uid/gid 999 for redis, as in the official redis image, so the permission case runs
	# as the uid a real deployment uses
	chroot "$dir" groupadd --system --gid 999 redis
	chroot "$dir" useradd --system --uid 999 --gid 999 --home-dir /var/lib/redis \
		--shell /usr/sbin/nologin redis

	echo "rootfs: apt-get install $packages"
	chroot "$dir" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c "
		apt-get update -q &&
		apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confold $packages &&
		apt-get clean" >"$dir.log" 2>&1 || {
		tail -30 "$dir.log" >&2
		exit 1
	}
	rm -f "$dir.log"

	# trim what no test uses: docs, manuals, locales, apt lists, and the LLVM JIT that
	# postgresql-15 depends on (about 100 MB; PostgreSQL runs without it, jit is off)
	rm -rf "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* \
		"$dir"/usr/share/locale/* "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/* \
		"$dir"/var/cache/debconf/*-old "$dir"/var/log/*.log \
		"$dir"/usr/lib/postgresql/*/lib/llvmjit* "$dir"/usr/lib/postgresql/*/lib/bitcode \
		"$dir"/usr/lib/x86_64-linux-gnu/libLLVM-*.so* "$dir"/usr/sbin/policy-rc.d
	: >"$dir/etc/resolv.conf"

	mkdir -p "$cache"
	tar --numeric-owner -C "$dir" -cf "$tarball.tmp" .
	mv "$tarball.tmp" "$tarball"
	rm -rf "$dir"
	trap - EXIT
}

# the cache key: the package list and the recipe itself
hash=$( (echo "$packages"; declare -f build_rootfs) | sha256sum | cut -c1-16)
tarball=$cache/rootfs-$hash.tar

if [[ $($engine image inspect --format '{{index .Config.Labels "shim.e2e.rootfs"}}' "$image" 2>/dev/null) == "$hash" ]]; then
	echo "rootfs: $image is current ($hash)"
	exit 0
fi
if [[ ! -s $tarball ]]; then
	build_rootfs "$tarball"
	# older tarballs belong to older recipes
	find "$cache" -maxdepth 1 -name 'rootfs-*.tar' ! -name "rootfs-$hash.tar" -delete
fi

echo "rootfs: $engine import $image"
$engine import \
	--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	--change 'ENV LANG=C.UTF-8' \
	--change "LABEL shim.e2e.rootfs=$hash" \
	--change 'CMD ["/bin/bash"]' \
	"$tarball" "$image" >/dev/null
# docker keeps the previous image of that name as an untagged one
if [[ $engine == docker ]]; then docker image prune -f >/dev/null; fi
