# cmake -P: writes the man page the built binary generates from its command definitions.
execute_process(COMMAND "${DSPLAN_BIN}" completions man OUTPUT_FILE "${OUTPUT}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "dsplan completions man failed (${rc})")
endif()
