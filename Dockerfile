# The playbooks server as a container image: a static binary on an empty
# base (FROM scratch), run as the non-root user 65532, its SQLite file (the
# default; point PLAYBOOKS_DATABASE_URL at Postgres in production) on the
# /data volume.
#
#   docker build --build-arg VERSION="$(git describe --tags --always --dirty)" -t playbooks .
#   docker run -p 8080:8080 -v playbooks-data:/data playbooks
#
# It needs BuildKit (docker build's default since Docker 23) or podman/
# buildah, for the cache mounts; no syntax directive, so that nothing but
# the golang image is pulled (scratch is no image).
#
# scripts/container-check verifies what can be verified without a registry:
# it runs this file's `go build` line as it is, and builds the final stage
# below (with the layout it copies, made the same way) with podman.

# GO_VERSION is the go line of go.mod (scripts/container-check keeps the two
# in step): the image's toolchain is used as it is (GOTOOLCHAIN=local).
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-trixie AS build
WORKDIR /src
# Modules first, so that a change of code does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# VERSION is what `playbooks version` prints; empty, the binary falls back
# to its build information.
ARG VERSION=
# A static binary (CGO_ENABLED=0: the SQLite driver is pure Go), without
# paths of this machine (-trimpath) or debug symbols (-s -w).
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /rootfs/playbooks ./cmd/playbooks
# Everything the final image holds, made here because scratch has no shell:
# CA certificates for https to Mattermost, Slack and webhook receivers; the
# user's name (for ps and logs of tools); /data owned by the user (a new
# volume mounted there takes this ownership); /tmp for SQLite's temporary
# files. A COPY of this tree keeps the owners and modes set here.
RUN mkdir -p /rootfs/etc/ssl/certs /rootfs/data /rootfs/tmp \
    && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
    && echo 'nonroot:x:65532:65532:playbooks:/data:/sbin/nologin' > /rootfs/etc/passwd \
    && echo 'nonroot:x:65532:' > /rootfs/etc/group \
    && chown 65532:65532 /rootfs/data && chmod 0700 /rootfs/data \
    && chmod 1777 /rootfs/tmp

FROM scratch
COPY --from=build /rootfs/ /
USER 65532:65532
WORKDIR /data
ENV PLAYBOOKS_DATABASE_URL=/data/playbooks.db PLAYBOOKS_LISTEN=:8080
EXPOSE 8080
VOLUME /data
# `playbooks health` asks this server's /readyz (database reachable,
# migrations applied) and exits 0 on 200.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["/playbooks", "health"]
# docker stop sends SIGTERM: serve stops accepting, finishes what is in
# flight within PLAYBOOKS_SHUTDOWN_GRACE (30s by default), and exits. Give it
# the time: docker stop -t 40, compose's stop_grace_period.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/playbooks"]
CMD ["serve"]
