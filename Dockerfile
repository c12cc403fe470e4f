# mptcp-observer in a container.
#
# The checker must own the socket the client reached: a proxy in front of it
# (Docker's userland proxy, a port mapping through NAT is fine, a TLS
# terminator is not) ends the client's MPTCP connection. Run it with the
# host's network namespace:
#
#   docker run --rm --network host --cap-add BPF --cap-add PERFMON \
#     --cap-add NET_ADMIN --cap-add SYS_ADMIN mptcp-observer
#
# Build stage and run stage both come from Debian 12 packages only.
FROM debian:12 AS build
WORKDIR /src
COPY scripts/install-deps scripts/install-deps
RUN ./scripts/install-deps --build-only
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
 && cmake --build build -j"$(nproc)"

FROM debian:12
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libcpp-httplib0.11 libbpf1 libprometheus-cpp-core1.0 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/mptcp-observer /usr/local/bin/mptcp-observer
EXPOSE 8684 8685
ENTRYPOINT ["/usr/local/bin/mptcp-observer"]
# In the host network namespace the admin listener stays on the host's
# loopback; open it wider only behind a firewall: it names client addresses.
CMD ["--admin-listen", "127.0.0.1:8685"]
