# plusk: build with Rust, run on a slim Debian.
#
#   docker build -t plusk .
#   docker run --rm -p 8080:8080 plusk                      # SQLite in /var/lib/plusk (ephemeral)
#   docker run --rm -p 8080:8080 -v plusk-data:/var/lib/plusk plusk   # SQLite kept in a volume
#   docker run --rm -p 8080:8080 -e DATABASE_URL=postgres://user:pass@db:5432/plusk plusk
#
# libpq and SQLite are compiled into the binary (see Cargo.toml), so the builder needs only
# Rust and a C compiler (rust:1-bookworm has gcc) and the runtime needs nothing but glibc.

FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
    && install -m 0755 target/release/plusk /usr/local/bin/plusk

FROM debian:bookworm-slim
RUN groupadd --system --gid 10001 plusk \
    && useradd --system --uid 10001 --gid plusk \
        --home-dir /var/lib/plusk --create-home --shell /usr/sbin/nologin plusk
COPY --from=builder /usr/local/bin/plusk /usr/local/bin/plusk
USER 10001:10001
# The default DATABASE_URL (sqlite://plusk.db) is relative: it lands here, in a directory plusk owns.
WORKDIR /var/lib/plusk
ENV PLUSK_BIND=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["plusk"]
CMD ["serve"]
