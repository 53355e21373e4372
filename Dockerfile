# syntax=docker/dockerfile:1
# Builds a static shim and ships it alone in a scratch image, for
#   COPY --from=shim /shim /usr/local/bin/shim
# in any other image. For every platform at once:
#   docker buildx build --platform linux/amd64,linux/arm64,linux/arm/v7 -t shim .
#   podman build --platform linux/amd64,linux/arm64,linux/arm/v7 --manifest shim .
# The build stage always runs on the machine's own platform and cross-compiles
# (Go needs no C toolchain for it), so no platform is built under emulation.
# With vendor/ in the build context (go mod vendor) the build needs no network;
# GO_IMAGE names another builder image (a local stand-in, a mirror). The
# context is what .dockerignore lets through: sources, go.mod, vendor/ and the
# smoke test, never .git, secrets or local binaries.
# BuildKit (docker buildx) always sets BUILDPLATFORM; the classic builder
# (DOCKER_BUILDKIT=0) and podman 4.3 do not set it for FROM, hence the
# default: the machine these builds run on. Elsewhere pass
# --build-arg BUILDPLATFORM=linux/arm64 (podman).
ARG GO_IMAGE=golang:1.26-bookworm
FROM --platform=${BUILDPLATFORM:-linux/amd64} ${GO_IMAGE} AS build
WORKDIR /src
COPY . .
# TARGETOS, TARGETARCH and TARGETVARIANT come from --platform (empty with the
# classic builder, which builds for the machine it runs on); the variant is
# GOARM for arm (v6, v7; v7 when not given) and GOAMD64 for amd64 (v2, v3).
ARG TARGETOS TARGETARCH TARGETVARIANT
# VERSION is stamped into the binary as release/build stamps it; empty, shim
# reports the module version from its build info.
ARG VERSION=
RUN set -eu; \
    goarm=; goamd64=; \
    variant=${TARGETVARIANT:-}; \
    case "${TARGETARCH:-}" in \
      arm) goarm=${variant#v}; goarm=${goarm:-7} ;; \
      amd64) goamd64=${variant:-v1} ;; \
    esac; \
    CGO_ENABLED=0 GOOS=${TARGETOS:-$(go env GOOS)} GOARCH=${TARGETARCH:-$(go env GOARCH)} GOARM=${goarm} GOAMD64=${goamd64} \
      go build -trimpath -buildvcs=false -ldflags="-w -X main.version=${VERSION}" -o /out/shim . ; \
    go version -m /out/shim | sed -n '1p;/GOARCH\|GOARM\|GOAMD64/p'
# Smoke test of the binary just built (release/smoke: a secret expanded, the
# URLs assembled, exec in place, the exit statuses). A foreign binary runs only
# where the kernel can emulate it (qemu-user through binfmt_misc): SMOKE=auto
# skips it with a note when it cannot, SMOKE=require fails the build instead,
# SMOKE=skip never runs it.
ARG SMOKE=auto
RUN set -u; \
    if [ "${SMOKE}" = skip ]; then echo "smoke: skipped (SMOKE=skip)"; exit 0; fi; \
    if ! /out/shim --version >/dev/null 2>&1; then \
      if [ "${SMOKE}" = require ]; then echo "smoke: this machine cannot run a ${TARGETOS:-}/${TARGETARCH:-}${TARGETVARIANT:+/$TARGETVARIANT} binary (no qemu-user binfmt_misc handler)" >&2; exit 1; fi; \
      echo "smoke: skipped, this machine cannot run a ${TARGETOS:-}/${TARGETARCH:-}${TARGETVARIANT:+/$TARGETVARIANT} binary"; exit 0; \
    fi; \
    sh release/smoke /out/shim "${VERSION}"

FROM scratch
ARG VERSION= REVISION= SOURCE=
LABEL org.opencontainers.image.title="shim" \
      org.opencontainers.image.description="Reads secret files into environment variables, assembles DATABASE_URL and REDIS_URL, then execs the command" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /out/shim /shim
ENTRYPOINT ["/shim"]
