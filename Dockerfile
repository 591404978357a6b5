# syntax=docker/dockerfile:1.7
#
# Shoal's container image: one static binary (API, dashboard and workers)
# on an empty base, run as uid/gid 65532 ("nonroot").
#
#   docker build \
#     --build-arg VERSION=1.0.0 --build-arg COMMIT=$(git rev-parse --short HEAD) \
#     --build-arg DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ) \
#     -t ghcr.io/shoalhq/shoal:1.0.0 .
#
# Without a container engine, scripts/build/build_image.sh builds the same
# image (same files, user, entrypoint, labels and health check) with
# tools/ociimage. The image has no shell, no package manager and no curl:
# the health check is `shoal healthcheck`.
#
# The root file system is meant to be read-only. An image cannot enforce
# that itself; the runtime does: docker-compose.prod.yml sets
# `read_only: true` (with a tmpfs on /tmp and a volume on /data) and the
# Helm chart sets `readOnlyRootFilesystem: true`. The only writable paths
# are the mounted /tmp and /data (a SQLite store; production uses
# PostgreSQL). Configuration is mounted at /etc/shoal/config.yaml and
# secrets come from the environment or mounted files, never from the image.
#
# Base images are pinned to exact versions, the ones CI builds with.

ARG GO_VERSION=1.26.8
ARG NODE_VERSION=20.20.2

# ---- 1. the dashboard (web/dist, embedded into the binary) ----
FROM node:${NODE_VERSION}-bookworm-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# ---- 2. the static binary ----
FROM golang:${GO_VERSION}-bookworm AS build
ARG VERSION=dev
ARG COMMIT=none
ARG DATE=unknown
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /src/web/dist ./web/dist
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${DATE}" \
      -o /out/shoal ./cmd/shoal \
 && /out/shoal version
# The nonroot account, and the directories the runtime mounts over.
RUN mkdir -p /out/rootfs/etc /out/rootfs/data /out/rootfs/tmp /out/rootfs/home/nonroot \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > /out/rootfs/etc/passwd \
 && printf 'root:x:0:\nnonroot:x:65532:\n' > /out/rootfs/etc/group \
 && chown 65532:65532 /out/rootfs/data /out/rootfs/tmp /out/rootfs/home/nonroot \
 && chmod 1777 /out/rootfs/tmp \
 && chmod 0700 /out/rootfs/home/nonroot

# ---- 3. the image ----
FROM scratch
ARG VERSION=dev
ARG COMMIT=none
ARG DATE=unknown
LABEL org.opencontainers.image.title="shoal" \
      org.opencontainers.image.description="Finds and merges small files in Hive warehouses" \
      org.opencontainers.image.source="https://github.com/shoalhq/shoal" \
      org.opencontainers.image.url="https://github.com/shoalhq/shoal" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="Shoal" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.created="${DATE}"
COPY --from=build /out/rootfs/ /
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/shoal /shoal
ENV PATH=/ \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    TMPDIR=/tmp
USER 65532:65532
WORKDIR /
# 8080: API, dashboard, /healthz, /readyz, /metrics (shoal serve).
# 9090: /healthz, /readyz, /metrics of `shoal worker`.
EXPOSE 8080 9090
VOLUME /data
STOPSIGNAL SIGTERM
# For `shoal worker` override with: shoal healthcheck --url http://127.0.0.1:9090/healthz
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["/shoal", "healthcheck"]
ENTRYPOINT ["/shoal"]
CMD ["serve"]
