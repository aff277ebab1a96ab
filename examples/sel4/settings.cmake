# Kernel configuration of this example, in the style of seL4's own projects
# (sel4test, sel4-tutorials): read before project() by CMakeLists.txt.
#
#   PLATFORM    x86_64 or ia32 (pc99), qemu-arm-virt (with -DAARCH64=ON),
#               qemu-riscv-virt (with -DRISCV64=ON)
#   SIMULATION  ON: a kernel QEMU can run
#   SEL4_SRC    the seL4 sources: kernel/, projects/{musllibc,sel4runtime,
#               util_libs}/, tools/seL4/, tools/opensbi/ (RISC-V)
cmake_minimum_required(VERSION 3.16.0)

set(SEL4_SRC "" CACHE PATH "Directory holding kernel/, projects/ and tools/seL4/")
if(NOT IS_DIRECTORY "${SEL4_SRC}/kernel" OR NOT IS_DIRECTORY "${SEL4_SRC}/tools/seL4/cmake-tool")
  message(FATAL_ERROR "SEL4_SRC='${SEL4_SRC}' has no kernel/ and tools/seL4/cmake-tool/ "
                      "(see examples/sel4/README.md)")
endif()

file(GLOB project_modules ${SEL4_SRC}/projects/*)
list(APPEND CMAKE_MODULE_PATH
  ${SEL4_SRC}/kernel
  ${SEL4_SRC}/tools/seL4/cmake-tool/helpers/
  ${SEL4_SRC}/tools/seL4/elfloader-tool/
  ${project_modules}
)
set(OPENSBI_PATH "${SEL4_SRC}/tools/opensbi" CACHE STRING "OpenSBI source tree" FORCE)

set(PLATFORM "x86_64" CACHE STRING "seL4 platform: x86_64, ia32, qemu-arm-virt, qemu-riscv-virt")
set(SIMULATION ON CACHE BOOL "Build a kernel QEMU can run")

include(application_settings)
correct_platform_strings()

find_package(seL4 REQUIRED)
sel4_configure_platform_settings()

# A debug kernel that prints (the root tasks write to its debug console),
# without the mixed-criticality scheduler.
set(KernelDebugBuild ON CACHE BOOL "" FORCE)
set(KernelPrinting ON CACHE BOOL "" FORCE)
set(KernelVerificationBuild OFF CACHE BOOL "" FORCE)
set(KernelIsMCS OFF CACHE BOOL "" FORCE)
if(KernelPlatformQEMUArmVirt)
  set(KernelArmCPU cortex-a53 CACHE STRING "" FORCE)
endif()
if(SIMULATION)
  ApplyCommonSimulationSettings(${KernelSel4Arch})
endif()
