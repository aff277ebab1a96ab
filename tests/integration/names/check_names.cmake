# Our names next to libsel4vspace's (issue 1 of docs/sel4-backend.md
# "Embedding"): a translation unit including both compiles, in both include
# orders, and passing their vspace_t * to our functions is a compile error.
#   cmake -DCC=... -DVS_SOURCE_DIR=... -DWORK=... -P check_names.cmake
cmake_minimum_required(VERSION 3.16)
set(here ${CMAKE_CURRENT_LIST_DIR})
set(theirs -I${here}/libsel4vspace)
set(ours -I${VS_SOURCE_DIR}/include -I${VS_SOURCE_DIR}/backends/sel4/include -I${VS_SOURCE_DIR}/sim/include)
set(flags -std=c11 -Wall -Wextra -Werror -c)
file(MAKE_DIRECTORY ${WORK})
set(failures "")

foreach(order theirs_first ours_first)
  if(order STREQUAL "theirs_first")
    set(incs ${theirs} ${ours})
  else()
    set(incs ${ours} ${theirs})
  endif()
  execute_process(COMMAND ${CC} ${flags} ${incs} ${here}/coexist.c -o ${WORK}/coexist_${order}.o
                  ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(APPEND failures "coexist.c (${order}) does not compile:\n${err}\n")
  endif()
  execute_process(COMMAND ${CC} ${flags} ${incs} ${here}/mixup.c -o ${WORK}/mixup_${order}.o
                  ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(rc EQUAL 0)
    string(APPEND failures "mixup.c (${order}) compiled: a vspace_t * is accepted as our handle\n")
  elseif(NOT err MATCHES "incompatible pointer type")
    string(APPEND failures "mixup.c (${order}) failed, but not for the pointer type:\n${err}\n")
  endif()
endforeach()

# The core's API must not pull in libsel4: <vs/space.h> and the other core
# headers compile with no libsel4 on the include path at all, and do not
# define seL4 names.
file(WRITE ${WORK}/core_only.c "#include <vs/space.h>\n#include <vs/kernel.h>\n#include <vs/arch.h>\n"
     "#include <vs/alloc.h>\n#include <vs/result.h>\n#ifdef SEL4SIM_SEL4_SEL4_H\n#error sel4.h included\n#endif\n"
     "int core_only(void);\nint core_only(void) { return 0; }\n")
execute_process(COMMAND ${CC} ${flags} -I${VS_SOURCE_DIR}/include -M ${WORK}/core_only.c
                OUTPUT_VARIABLE deps ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  string(APPEND failures "the core headers need more than include/:\n${err}\n")
elseif(deps MATCHES "sel4")
  string(APPEND failures "the core headers pull in an seL4 header:\n${deps}\n")
endif()

if(failures)
  message(FATAL_ERROR "${failures}")
endif()
message("names: both include orders compile; vspace_t * refused as vs_space *; core API free of libsel4")
