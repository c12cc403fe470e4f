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
# The daemon runs as a user of its own (uid 65532), not root. Its binary
# carries exactly those four capabilities as file capabilities, which the
# kernel grants at exec from the container's bounding set (the --cap-add
# above). All four are needed, whatever the user and even with --no-bpf: the
# kernel refuses to execute a binary whose file capabilities it cannot grant
# ("operation not permitted").
#
# Both stages come from Debian 12 packages only. The BPF programs build from
# the kernel types in bpf/kernel_types (no BTF on the build host needed);
# CO-RE makes the object run on any kernel with BTF. The run stage installs
# the project's own Debian package (cpack), so the image holds what the .deb
# holds, with the dependencies dpkg-shlibdeps found.
FROM debian:12 AS build
WORKDIR /src
COPY scripts/install-deps scripts/install-deps
# git: CMake reads the revision --version prints from .git (kept in the
# context, see .dockerignore); without it the revision is "unknown".
# dpkg-dev and file: cpack's dependency list (dpkg-shlibdeps).
RUN ./scripts/install-deps --build-only \
 && apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git dpkg-dev file >/dev/null
COPY . .
# A fresh build tree: .dockerignore keeps host build directories out. cpack
# strips the binary.
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
 && cmake --build build -j"$(nproc)" --target mptcp-observer \
 && cd build && cpack -G DEB >/dev/null && mv mptcp-observer_*.deb /mptcp-observer.deb

FROM debian:12
# The project version (CMakeLists.txt; tests/deploy/kubernetes_test.py checks
# they agree) and what scripts/test-image passes.
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="mptcp-observer" \
      org.opencontainers.image.description="MPTCP checker, subflow tracing (eBPF) and Prometheus metrics" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="debian:12" \
      org.opencontainers.image.documentation="/usr/share/doc/mptcp-observer/README.md"
COPY --from=build /mptcp-observer.deb /tmp/mptcp-observer.deb
# libcap2-bin only for setcap, purged after. The user owns nothing: the
# daemon writes no file, and the root file system may be read-only.
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      /tmp/mptcp-observer.deb libcap2-bin >/dev/null \
 && setcap cap_bpf,cap_perfmon,cap_net_admin,cap_sys_admin=ep /usr/bin/mptcp-observer \
 && DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq --auto-remove libcap2-bin >/dev/null \
 && rm -rf /var/lib/apt/lists/* /tmp/mptcp-observer.deb \
 && groupadd --system --gid 65532 mptcp-observer \
 && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin mptcp-observer
USER 65532:65532
EXPOSE 8684 8685
# /healthz on the admin listener (plain TCP; on the checker port every
# probe would count as an inbound fallback), with bash's /dev/tcp rather than
# curl or wget in the image. It follows the CMD's --admin-listen: if you
# move or disable the admin listener, override or disable this check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8685 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && read -r -t 5 status <&3 && [[ $status == *' 200 '* ]]"]
ENTRYPOINT ["/usr/bin/mptcp-observer"]
# In the host network namespace the admin listener stays on the host's
# loopback; open it wider only behind a firewall: it names client addresses.
CMD ["--admin-listen", "127.0.0.1:8685"]
