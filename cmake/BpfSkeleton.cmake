# bpf_skeleton(NAME SOURCE): SOURCE (.bpf.c) -> NAME.bpf.o -> NAME.skel.h, as
# an INTERFACE target NAME_skel whose include directory holds the skeleton.
# vmlinux.h is generated once from the build machine's BTF; CO-RE makes the
# object run on other kernels with BTF.
find_program(CLANG_EXE NAMES clang clang-14)
find_program(BPFTOOL_EXE NAMES bpftool PATHS /usr/sbin /sbin)
find_program(LLVM_STRIP_EXE NAMES llvm-strip llvm-strip-14)
if(NOT CLANG_EXE)
  message(FATAL_ERROR "clang not found: it compiles the BPF programs (apt-get install clang, or run scripts/install-deps)")
endif()
if(NOT BPFTOOL_EXE)
  message(FATAL_ERROR "bpftool not found: it generates vmlinux.h and the BPF skeletons (apt-get install bpftool, or run scripts/install-deps)")
endif()
set(VMLINUX_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH "BTF used to generate vmlinux.h")
if(NOT EXISTS ${VMLINUX_BTF})
  message(FATAL_ERROR "${VMLINUX_BTF} is missing: building the BPF programs needs a kernel with BTF (CONFIG_DEBUG_INFO_BTF=y), or -DVMLINUX_BTF=path")
endif()

set(BPF_GENERATED_DIR ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${BPF_GENERATED_DIR})
add_custom_command(OUTPUT ${BPF_GENERATED_DIR}/vmlinux.h
  COMMAND ${BPFTOOL_EXE} btf dump file ${VMLINUX_BTF} format c > ${BPF_GENERATED_DIR}/vmlinux.h
  COMMENT "Generating vmlinux.h from ${VMLINUX_BTF}")
# A target, not just a file rule: skeletons in other directories order on it.
add_custom_target(bpf_vmlinux_h DEPENDS ${BPF_GENERATED_DIR}/vmlinux.h)

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
  add_custom_command(OUTPUT ${object}
    COMMAND ${CLANG_EXE} -g -O2 -Wall -target bpf -D__TARGET_ARCH_${BPF_TARGET_ARCH}
            -I${BPF_GENERATED_DIR} -I${source_dir} -c ${source_abs} -o ${object}
    DEPENDS ${source_abs} ${bpf_headers}
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
