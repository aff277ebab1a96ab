# Run one host build of the example root task and compare its transcript
# with the golden one.
#   cmake -DEXE=... [-DARGS=...] -DEXPECTED=expected/<arch>.txt -DOUTPUT=<file> -P compare.cmake
# Without EXPECTED (the self-checking vsroot example) only the exit status
# counts; the transcript is still written to OUTPUT.
# With -DUPDATE=ON the transcript replaces the golden file instead (only
# after checking that every line says "ok").
execute_process(COMMAND ${EXE} ${ARGS} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
file(WRITE ${OUTPUT} "${out}")
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "root task exited with ${rc} (a MISMATCH above, or it could not run)")
endif()
if(NOT EXPECTED)
  return() # a self-checking run: the exit status said it all
endif()
if(UPDATE)
  file(WRITE ${EXPECTED} "${out}")
  return()
endif()
if(NOT EXISTS ${EXPECTED})
  message(FATAL_ERROR "no golden transcript ${EXPECTED}")
endif()
file(READ ${EXPECTED} want)
if(NOT out STREQUAL want)
  message(FATAL_ERROR "transcript differs from ${EXPECTED}; see diff ${EXPECTED} ${OUTPUT}")
endif()
