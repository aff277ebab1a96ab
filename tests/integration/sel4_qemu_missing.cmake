# `make sel4-qemu` without the seL4 sources says exactly what is missing
# and exits non-zero (it must never be needed by `make test`).
#   cmake -DSCRIPT=scripts/sel4-qemu.sh -DWORK=dir -P sel4_qemu_missing.cmake
cmake_minimum_required(VERSION 3.16)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/empty ${WORK}/partial/kernel)
set(cases
  "|SEL4_SRC is not set"
  "${WORK}/nonexistent|is not a directory"
  "${WORK}/empty|missing ${WORK}/empty/kernel"
  "${WORK}/partial|missing ${WORK}/partial/projects/musllibc")
set(failures "")
foreach(c ${cases})
  string(REPLACE "|" ";" parts "${c}")
  list(GET parts 0 src)
  list(GET parts 1 want)
  execute_process(COMMAND ${SCRIPT} "${src}" x86_64 ${WORK}/no-build RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(rc EQUAL 0)
    string(APPEND failures "SEL4_SRC='${src}': exited 0\n")
  elseif(NOT err MATCHES "${want}")
    string(APPEND failures "SEL4_SRC='${src}': no '${want}' in: ${out}${err}\n")
  endif()
endforeach()
execute_process(COMMAND ${SCRIPT} "${WORK}/empty" sparc ${WORK}/no-build RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "ARCH=sparc")
  string(APPEND failures "ARCH=sparc accepted or not named: ${err}\n")
endif()
if(failures)
  message(FATAL_ERROR "${failures}")
endif()
message("sel4-qemu names what is missing in every case")
