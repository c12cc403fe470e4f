# cmake --install: the binary, the systemd unit, the dashboards and alert
# rules in FHS places under CMAKE_INSTALL_PREFIX (/usr/local by default; the
# Debian package installs under /usr). `cpack -G DEB` in the build directory
# makes the package (scripts/test-package builds and installs it).
include(GNUInstallDirs)

install(TARGETS mptcp-observer RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The unit names /usr/bin/mptcp-observer, where the package puts it; an
# install under another prefix gets a unit that names the binary it
# installed. At install time, since cpack and `cmake --install --prefix`
# choose the prefix then.
set(OBSERVER_UNIT_SOURCE ${CMAKE_SOURCE_DIR}/deploy/systemd/mptcp-observer.service)
install(CODE "
  set(unit_dir \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
  message(STATUS \"Installing: \${unit_dir}/mptcp-observer.service\")
  file(READ \"${OBSERVER_UNIT_SOURCE}\" unit)
  string(REPLACE \"ExecStart=/usr/bin/mptcp-observer\"
         \"ExecStart=\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/mptcp-observer\" unit \"\${unit}\")
  file(MAKE_DIRECTORY \"\${unit_dir}\")
  file(WRITE \"\${unit_dir}/mptcp-observer.service\" \"\${unit}\")
")
install(DIRECTORY ${CMAKE_SOURCE_DIR}/dashboards/ DESTINATION ${CMAKE_INSTALL_DATADIR}/mptcp-observer/dashboards)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/prometheus/alerts.yml DESTINATION ${CMAKE_INSTALL_DATADIR}/mptcp-observer/prometheus)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/deploy/kubernetes DESTINATION ${CMAKE_INSTALL_DATADIR}/mptcp-observer)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The Debian package. Its dependencies are what the binary links, found by
# dpkg-shlibdeps (dpkg-dev): libbpf1, libcpp-httplib0.11,
# libprometheus-cpp-core1.0, libstdc++6, libc6 and whatever a library added
# later brings, at the versions the build linked against.
set(CPACK_PACKAGE_NAME mptcp-observer)
set(CPACK_PACKAGE_VENDOR "mptcp-observer")
set(CPACK_PACKAGE_CONTACT "mptcp-observer maintainers <maintainers@mptcp-observer.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "MPTCP checker, subflow tracing (eBPF) and Prometheus metrics")
set(CPACK_PACKAGE_DESCRIPTION "Tells clients whether their connection uses MPTCP, traces every MPTCP subflow on the host with a cgroup sock_ops BPF program, and exports the connection table and the kernel's MPTCP counters to Prometheus.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# systemd runs it (the unit); BPF tracing needs a kernel with BTF, which
# Debian's own kernels have.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_SOURCE_DIR}/deploy/debian/postinst
  ${CMAKE_SOURCE_DIR}/deploy/debian/prerm
  ${CMAKE_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Stage under DESTDIR with CMAKE_INSTALL_PREFIX=/usr (CPACK_INSTALL_PREFIX
# is the prefix when CPACK_SET_DESTDIR is on), so that the unit's ExecStart,
# written at install time above, names /usr/bin.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
# cpack (and `make install`) install what was built instead of building
# every target first (unit tests, bench tools): build mptcp-observer, then
# run cpack.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
include(CPack)
