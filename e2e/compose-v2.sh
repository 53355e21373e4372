#!/usr/bin/env bash
# Install Docker Compose v2 as a docker CLI plugin, built from the Go module proxy.
#
#   bash e2e/compose-v2.sh [VERSION]
#
# Compose v2 is not packaged in Debian 12 (its docker-compose is the Python 1.29), and
# `go install github.com/docker/compose/v2/cmd@VERSION` refuses because compose's go.mod
# has exclude directives. A throwaway module that requires it does build. The binary is
# cached in $SHIM_E2E_CACHE (default /var/cache/shim-e2e) by version and Go version, so
# only the first run on a machine pays the few minutes the build takes.
set -euo pipefail

version=${1:-v2.40.3}
cache=${SHIM_E2E_CACHE:-/var/cache/shim-e2e}
plugin_dir=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
command -v go >/dev/null || export PATH=$PATH:/usr/local/go/bin
bin=$cache/docker-compose-$version-$(go env GOVERSION)

if [[ ! -x $bin ]]; then
	mod=$(mktemp -d /var/tmp/shim-e2e-compose.XXXXXX)
	trap 'rm -rf "$mod"' EXIT
	echo "compose: building github.com/docker/compose/v2@$version with $(go env GOVERSION)"
	(
		cd "$mod"
		export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
		go mod init shim-e2e-compose >/dev/null 2>&1
		printf 'package main\n\nimport _ "github.com/docker/compose/v2/cmd"\n' >tools.go
		go get "github.com/docker/compose/v2@$version" >build.log 2>&1 &&
			go mod tidy >>build.log 2>&1 &&
			go build -trimpath -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$version" \
				-o "$mod/docker-compose" github.com/docker/compose/v2/cmd >>build.log 2>&1 || {
			tail -30 build.log >&2
			exit 1
		}
	)
	mkdir -p "$cache"
	mv "$mod/docker-compose" "$bin.tmp"
	mv "$bin.tmp" "$bin"
	# binaries of other versions belong to older recipes
	find "$cache" -maxdepth 1 -name 'docker-compose-*' ! -name "${bin##*/}" -delete
fi
mkdir -p "$plugin_dir"
if ! cmp -s "$bin" "$plugin_dir/docker-compose"; then
	cp "$bin" "$plugin_dir/docker-compose.tmp"
	mv "$plugin_dir/docker-compose.tmp" "$plugin_dir/docker-compose"
fi
echo "compose: $("$plugin_dir/docker-compose" version 2>/dev/null || echo "$plugin_dir/docker-compose")"
