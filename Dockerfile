# syntax=docker/dockerfile:1
# apify-webhooks in a small image: only the static binary, CA certificates and a non-root user.
#   docker build -t apify-webhooks .
#   docker run --rm -e APIFY_TOKEN -v "$PWD:/work" apify-webhooks plan webhooks/

FROM rust:1.89-alpine AS build
# musl-dev for the static binary; cmake, make, perl and g++ for aws-lc (rustls' crypto).
# The packages follow the pinned base image; they never reach the final image.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev cmake make perl g++
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY schemas ./schemas
COPY benches ./benches
RUN cargo build --locked --release --bin apify-webhooks \
 && strip target/release/apify-webhooks

FROM alpine:3.20 AS certs
# hadolint ignore=DL3018
RUN apk add --no-cache ca-certificates

FROM scratch
COPY --from=certs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /src/target/release/apify-webhooks /usr/local/bin/apify-webhooks
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
WORKDIR /work
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/apify-webhooks"]
CMD ["--help"]
