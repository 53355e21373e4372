# syntax=docker/dockerfile:1
# Builds a static shim and ships it alone in a scratch image, for
#   COPY --from=shim /shim /usr/local/bin/shim
# in any other image. With vendor/ in the build context (go mod vendor) the
# build needs no network.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY . .
ARG VERSION=
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags="-w -X main.version=${VERSION}" -o /out/shim .
# Smoke tests: the binary runs, expands a _FILE into the command's
# environment, and reports a missing command as 127.
RUN /out/shim --version
RUN SECRET_FILE=/src/go.mod /out/shim sh -c 'test "$SECRET" = "$(cat /src/go.mod)"'
RUN /out/shim /nonexistent 2>/dev/null; test $? -eq 127

FROM scratch
COPY --from=build /out/shim /shim
ENTRYPOINT ["/shim"]
