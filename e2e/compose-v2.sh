#!/usr/bin/env bash
# Install Docker Compose v2 as a docker CLI plugin:
#
#   bash e2e/compose-v2.sh [VERSION]
#
# Debian 12 has no Compose v2 (its docker-compose is the Python 1.29), but Debian 13
# (trixie) packages it, as a binary that needs only glibc 2.34 and so runs on Debian 12:
# the plugin is taken from trixie's docker-compose package, its archive signature checked
# with Debian 12's keyring (gpgv), its Packages index and .deb by their SHA256. That is a
# download of 13 MB where building Compose took 7 CPU-minutes, the largest single cost of
# a cold .ci/run. Only when Debian's cannot be had is VERSION (default v2.40.3) built
# from the Go module proxy: `go install github.com/docker/compose/v2/cmd@VERSION`
# refuses because compose's go.mod has exclude directives, but a throwaway module that
# requires it builds. Either is cached in $SHIM_E2E_CACHE (default /var/cache/shim-e2e);
# remove $SHIM_E2E_CACHE/docker-compose to take a newer one.
set -euo pipefail

version=${1:-v2.40.3}
cache=${SHIM_E2E_CACHE:-/var/cache/shim-e2e}
plugin_dir=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
bin=$cache/docker-compose
mirror=http://deb.debian.org/debian
work=$(mktemp -d /var/tmp/shim-e2e-compose.XXXXXX)
trap 'rm -rf "$work"' EXIT

# from_debian OUT: trixie's docker-compose plugin, every download checked
from_debian() {
	local arch deb
	arch=$(dpkg --print-architecture)
	curl -fsS --retry 3 -o "$work/InRelease" "$mirror/dists/trixie/InRelease" &&
		gpgv --keyring /usr/share/keyrings/debian-archive-keyring.gpg --output "$work/Release" "$work/InRelease" 2>/dev/null &&
		curl -fsS --retry 3 -o "$work/Packages.xz" "$mirror/dists/trixie/main/binary-$arch/Packages.xz" &&
		grep -q "^ $(sha256sum <"$work/Packages.xz" | cut -d' ' -f1) .* main/binary-$arch/Packages.xz\$" "$work/Release" || return 1
	# the docker-compose stanza: "Filename SHA256"
	deb=$(xz -dc "$work/Packages.xz" | awk '/^Package: /{p = $2 == "docker-compose"} p && /^Filename: /{f = $2} p && /^SHA256: /{print f, $2; exit}')
	[[ -n $deb ]] && curl -fsS --retry 3 -o "$work/compose.deb" "$mirror/${deb% *}" &&
		[[ $(sha256sum <"$work/compose.deb" | cut -d' ' -f1) == "${deb#* }" ]] &&
		dpkg-deb -x "$work/compose.deb" "$work/deb" &&
		cp "$work/deb/usr/libexec/docker/cli-plugins/docker-compose" "$1" &&
		"$1" version >/dev/null &&
		echo "compose: from Debian trixie's ${deb% *}"
}

# from_source OUT: VERSION built from the Go module proxy
from_source() {
	command -v go >/dev/null || export PATH=$PATH:/usr/local/go/bin
	echo "compose: building github.com/docker/compose/v2@$version with $(go env GOVERSION)"
	(
		mkdir "$work/mod" && cd "$work/mod"
		export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
		go mod init shim-e2e-compose >/dev/null 2>&1
		printf 'package main\n\nimport _ "github.com/docker/compose/v2/cmd"\n' >tools.go
		go get "github.com/docker/compose/v2@$version" >build.log 2>&1 &&
			go mod tidy >>build.log 2>&1 &&
			go build -trimpath -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$version" \
				-o "$1" github.com/docker/compose/v2/cmd >>build.log 2>&1 || {
			tail -30 build.log >&2
			exit 1
		}
	)
}

if [[ ! -x $bin ]]; then
	mkdir -p "$cache"
	from_debian "$work/docker-compose" || {
		echo "compose: Debian trixie's package could not be had; building instead"
		from_source "$work/docker-compose"
	}
	mv "$work/docker-compose" "$bin"
	# binaries of the earlier recipe, cached by version
	find "$cache" -maxdepth 1 -name 'docker-compose-*' -delete
fi
mkdir -p "$plugin_dir"
if ! cmp -s "$bin" "$plugin_dir/docker-compose"; then
	cp "$bin" "$plugin_dir/docker-compose.tmp"
	mv "$plugin_dir/docker-compose.tmp" "$plugin_dir/docker-compose"
fi
echo "compose: $("$plugin_dir/docker-compose" version 2>/dev/null || echo "$plugin_dir/docker-compose")"
