# syntax=docker/dockerfile:1@sha256:865e5dd094beca432e8c0a1d5e1c465db5f998dca4e439981029b3b81fb39ed5
# guard's own image: built with the toolchain in one stage, run from a
# minimal stage with only the shared libraries guard links, as a non-root
# user. Base images are pinned by digest, as guard pin would write them.

FROM debian:bookworm-slim@sha256:4b50eb66f977b4062683ff434ef18ac191da862dbe966961bc11990cf5791a8d AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       build-essential pkg-config libcurl4-openssl-dev libjansson-dev libssl-dev \
       libgit2-dev libarchive-dev libvectorscan-dev libpcre2-dev libyaml-dev zlib1g-dev \
       libdeflate-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile VERSION ./
COPY guard/ guard/
COPY hooks/ hooks/
RUN make -j"$(nproc)" build/guard && install -m 0755 build/guard /usr/local/bin/guard

FROM debian:bookworm-slim@sha256:4b50eb66f977b4062683ff434ef18ac191da862dbe966961bc11990cf5791a8d
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       ca-certificates git libcurl4 libjansson4 libssl3 libgit2-1.5 libarchive13 \
       libhs5 libpcre2-8-0 libyaml-0-2 libdeflate0 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /work --create-home guard
COPY --from=build /usr/local/bin/guard /usr/local/bin/guard
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/guard"]
CMD ["--help"]
