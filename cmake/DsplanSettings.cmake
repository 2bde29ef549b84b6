# INTERFACE target dsplan_settings: sanitizers (DSPLAN_SANITIZE) and _GLIBCXX_ASSERTIONS in Debug.
add_library(dsplan_settings INTERFACE)
target_compile_definitions(dsplan_settings INTERFACE $<$<CONFIG:Debug>:_GLIBCXX_ASSERTIONS>)
# fmt's CI flags; without no-recover UBSan reports but does not fail the test. `undefined` leaves
# out float-cast-overflow (a double beyond 2^64 cast to an integer), which fuzzing found, so add it.
set(_san -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer)
if(DSPLAN_FUZZ)
  # clang + libFuzzer: every library instrumented for coverage; the harnesses link -fsanitize=fuzzer.
  target_compile_options(dsplan_settings INTERFACE -fsanitize=fuzzer-no-link ${_san})
  target_link_options(dsplan_settings INTERFACE ${_san})
elseif(DSPLAN_SANITIZE)
  target_compile_options(dsplan_settings INTERFACE ${_san})
  target_link_options(dsplan_settings INTERFACE ${_san})
endif()
