# Multi-stage build: a release `plinth` on a small Debian runtime, running as a non-root user.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin plinth

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --create-home plinth
WORKDIR /app
COPY --from=build /src/target/release/plinth /usr/local/bin/plinth
COPY config ./config
USER plinth
ENV HOST=0.0.0.0 PORT=8080
EXPOSE 8080
# SIGTERM drains in-flight requests (SHUTDOWN_GRACE) and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/plinth"]
CMD ["serve"]
