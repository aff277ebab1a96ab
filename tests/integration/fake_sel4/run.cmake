# Configures and builds fake_sel4/ (CMakeLists.txt there) from scratch:
# vspace_sel4 (with the core) and a root task's source using it must build.
#   cmake -DVS_SOURCE_DIR=... -DCC=... -DWORK=... -P run.cmake
file(REMOVE_RECURSE ${WORK})
execute_process(COMMAND ${CMAKE_COMMAND} -S ${CMAKE_CURRENT_LIST_DIR} -B ${WORK} -DCMAKE_C_COMPILER=${CC}
                        -DVS_SOURCE_DIR=${VS_SOURCE_DIR}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configure failed:\n${out}${err}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK} --target vspace_sel4 roottask_objects
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "build inside the seL4-style project failed:\n${out}${err}")
endif()
message("vspace_sel4 and a root task using it built with -nostdinc, muslc, sel4_autoconf and libsel4's asm")
