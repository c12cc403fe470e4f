# bpf_skeleton(NAME SOURCE): SOURCE (.bpf.c) -> NAME.bpf.o -> NAME.skel.h, as
# an INTERFACE target NAME_skel whose include directory holds the skeleton.
#
# Where the programs' "vmlinux.h" comes from (OBSERVER_VMLINUX_H):
#   minimal (default)  bpf/kernel_types/vmlinux.h, the few kernel types the
#                      programs read, with the UAPI from linux-libc-dev: builds
#                      with no kernel BTF at all (CI runners, image builders);
#   host               generated from VMLINUX_BTF (the build machine's
#                      /sys/kernel/btf/vmlinux) with bpftool, every type.
# Either way the reads are CO-RE relocations that libbpf resolves against the
# running kernel's BTF, so the object runs on any kernel with BTF.
find_program(CLANG_EXE NAMES clang clang-14)
find_program(BPFTOOL_EXE NAMES bpftool PATHS /usr/sbin /sbin)
find_program(LLVM_STRIP_EXE NAMES llvm-strip llvm-strip-14)
if(NOT CLANG_EXE)
  message(FATAL_ERROR "clang not found: it compiles the BPF programs (apt-get install clang, or run scripts/install-deps)")
endif()
if(NOT BPFTOOL_EXE)
  message(FATAL_ERROR "bpftool not found: it generates the BPF skeletons (apt-get install bpftool, or run scripts/install-deps)")
endif()

set(OBSERVER_VMLINUX_H minimal CACHE STRING "vmlinux.h for the BPF programs: minimal (bpf/kernel_types, no BTF needed) or host (dumped from VMLINUX_BTF)")
set_property(CACHE OBSERVER_VMLINUX_H PROPERTY STRINGS minimal host)
set(VMLINUX_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH "BTF that -DOBSERVER_VMLINUX_H=host dumps vmlinux.h from")

set(BPF_GENERATED_DIR ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${BPF_GENERATED_DIR})
if(OBSERVER_VMLINUX_H STREQUAL "host")
  if(NOT EXISTS ${VMLINUX_BTF})
    message(FATAL_ERROR "${VMLINUX_BTF} is missing: -DOBSERVER_VMLINUX_H=host needs a kernel with BTF (CONFIG_DEBUG_INFO_BTF=y) or -DVMLINUX_BTF=path; the default, -DOBSERVER_VMLINUX_H=minimal, needs none")
  endif()
  set(BPF_VMLINUX_DIR ${BPF_GENERATED_DIR}/vmlinux)
  file(MAKE_DIRECTORY ${BPF_VMLINUX_DIR})
  add_custom_command(OUTPUT ${BPF_VMLINUX_DIR}/vmlinux.h
    COMMAND ${BPFTOOL_EXE} btf dump file ${VMLINUX_BTF} format c > ${BPF_VMLINUX_DIR}/vmlinux.h
    COMMENT "Generating vmlinux.h from ${VMLINUX_BTF}")
  # A target, not just a file rule: skeletons in other directories order on it.
  add_custom_target(bpf_vmlinux_h DEPENDS ${BPF_VMLINUX_DIR}/vmlinux.h)
  set(BPF_VMLINUX_DEPENDS "")
  set(BPF_SYSTEM_INCLUDES "")
elseif(OBSERVER_VMLINUX_H STREQUAL "minimal")
  set(BPF_VMLINUX_DIR ${CMAKE_SOURCE_DIR}/bpf/kernel_types)
  add_custom_target(bpf_vmlinux_h)
  set(BPF_VMLINUX_DEPENDS ${BPF_VMLINUX_DIR}/vmlinux.h)
  # The minimal header includes the UAPI (<linux/bpf.h>), whose <asm/...>
  # headers sit in a per-architecture directory (/usr/include/x86_64-linux-gnu
  # on Debian) that clang does not search for -target bpf: add the host
  # compiler's search list after our own, as libbpf-bootstrap does.
  execute_process(COMMAND ${CLANG_EXE} -v -E -x c - INPUT_FILE /dev/null
                  OUTPUT_QUIET ERROR_VARIABLE clang_search)
  string(REGEX MATCH "#include <\\.\\.\\.> search starts here:\n(.*)\nEnd of search list" _ "${clang_search}")
  string(REGEX REPLACE "[ \t]*\n[ \t]*" ";" clang_dirs "${CMAKE_MATCH_1}")
  set(BPF_SYSTEM_INCLUDES "")
  foreach(dir IN LISTS clang_dirs)
    string(STRIP "${dir}" dir)
    if(dir)
      list(APPEND BPF_SYSTEM_INCLUDES -idirafter ${dir})
    endif()
  endforeach()
else()
  message(FATAL_ERROR "OBSERVER_VMLINUX_H is '${OBSERVER_VMLINUX_H}': use minimal (bpf/kernel_types/vmlinux.h) or host (dumped from VMLINUX_BTF)")
endif()
message(STATUS "BPF programs read kernel types from ${BPF_VMLINUX_DIR}/vmlinux.h (OBSERVER_VMLINUX_H=${OBSERVER_VMLINUX_H})")

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(BPF_TARGET_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(BPF_TARGET_ARCH arm64)
else()
  set(BPF_TARGET_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

function(bpf_skeleton name source)
  get_filename_component(source_abs ${source} ABSOLUTE)
  get_filename_component(source_dir ${source_abs} DIRECTORY)
  set(object ${BPF_GENERATED_DIR}/${name}.bpf.o)
  set(skeleton ${BPF_GENERATED_DIR}/${name}.skel.h)
  file(GLOB bpf_headers ${source_dir}/*.h)
  # INCLUDES: more include directories (e.g. bpf/, for the event record a
  # bench program sends in the daemon's size). DEFINES: macros, so that one
  # source builds more than one object (e.g. MPO_TYPED_READS).
  cmake_parse_arguments(ARG "" "" "INCLUDES;DEFINES" ${ARGN})
  set(extra_flags "")
  foreach(dir ${ARG_INCLUDES})
    get_filename_component(dir_abs ${dir} ABSOLUTE)
    list(APPEND extra_flags -I${dir_abs})
    file(GLOB more_headers ${dir_abs}/*.h)
    list(APPEND bpf_headers ${more_headers})
  endforeach()
  foreach(def ${ARG_DEFINES})
    list(APPEND extra_flags -D${def})
  endforeach()
  add_custom_command(OUTPUT ${object}
    COMMAND ${CLANG_EXE} -g -O2 -Wall -target bpf -D__TARGET_ARCH_${BPF_TARGET_ARCH}
            -I${BPF_VMLINUX_DIR} -I${source_dir} ${extra_flags} ${BPF_SYSTEM_INCLUDES} -c ${source_abs} -o ${object}
    DEPENDS ${source_abs} ${bpf_headers} ${BPF_VMLINUX_DEPENDS}
    COMMENT "Compiling BPF ${name}")
  add_custom_command(OUTPUT ${skeleton}
    COMMAND ${BPFTOOL_EXE} gen skeleton ${object} name ${name} > ${skeleton}
    DEPENDS ${object}
    COMMENT "Generating BPF skeleton ${name}.skel.h")
  add_custom_target(${name}_skel_gen DEPENDS ${skeleton})
  add_dependencies(${name}_skel_gen bpf_vmlinux_h)
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${BPF_GENERATED_DIR} ${source_dir})
endfunction()
