# mptcp-observer in a container.
#
# The checker must own the socket the client reached: a proxy in front of it
# (Docker's userland proxy, a TLS terminator) ends the client's MPTCP
# connection, so run it in the host's network namespace. Tracing attaches to
# the cgroup v2 root it finds in /proc/mounts: on a cgroup v2 host a container
# gets its own cgroup namespace by default, whose root is the container's own
# cgroup, and the daemon would trace nothing but itself. --cgroupns host gives
# it the host's hierarchy. /run/netns (rslave, so that namespaces made later
# appear) lets sock_diag reconcile the host's named network namespaces too:
#
#   docker run --rm --network host --cgroupns host \
#     -v /run/netns:/run/netns:ro,rslave \
#     --cap-add BPF --cap-add PERFMON --cap-add NET_ADMIN --cap-add SYS_ADMIN \
#     mptcp-observer
#
# Build stage and run stage both come from Debian 12 packages only. The build
# generates vmlinux.h from the build host's /sys/kernel/btf/vmlinux (CO-RE:
# the result runs on any kernel with BTF), so build on a kernel with BTF.
FROM debian:12 AS build
WORKDIR /src
COPY scripts/install-deps scripts/install-deps
# git: CMake reads the revision --version prints from .git (kept in the
# context, see .dockerignore); without it the revision is "unknown".
RUN ./scripts/install-deps --build-only \
 && apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git >/dev/null
COPY . .
# A fresh build tree: .dockerignore keeps host build directories out.
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
 && cmake --build build -j"$(nproc)" --target mptcp-observer

FROM debian:12
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libcpp-httplib0.11 libbpf1 libprometheus-cpp-core1.0 libssl3 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/mptcp-observer /usr/local/bin/mptcp-observer
EXPOSE 8684 8685
ENTRYPOINT ["/usr/local/bin/mptcp-observer"]
# In the host network namespace the admin listener stays on the host's
# loopback; open it wider only behind a firewall: it names client addresses.
CMD ["--admin-listen", "127.0.0.1:8685"]
