# Multi-stage build: a release `plinth` on a small Debian runtime, running as a non-root user.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin plinth

FROM debian:bookworm-slim
# ca-certificates for TLS to PostgreSQL/S3/SMTP; curl only for the health check below.
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --create-home plinth \
    && mkdir -p /app/data && chown plinth:plinth /app/data
WORKDIR /app
COPY --from=build /src/target/release/plinth /usr/local/bin/plinth
COPY config ./config
USER plinth
# Production by default: the image refuses to start until JWT_SECRET is set to a value of your
# own (`docker run -e JWT_SECRET="$(openssl rand -base64 48)" …`). No environment listens on a
# non-loopback HOST with a secret shipped in config/, so APP_ENV=development here would not start
# on the development secret either.
ENV APP_ENV=production HOST=0.0.0.0 PORT=8080
EXPOSE 8080
# The default SQLite database and local files live here; mount a volume to keep them.
VOLUME ["/app/data"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${PORT}/health" >/dev/null || exit 1
# SIGTERM drains in-flight requests (SHUTDOWN_GRACE, 30 s by default) and exits 0: run with a
# stop timeout above it (`docker run --stop-timeout 40`, compose `stop_grace_period: 40s`).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/plinth"]
CMD ["serve"]
