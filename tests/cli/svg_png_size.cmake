# Process-level --svg check (cmake -P): runs the real binary with --svg FILE from an empty
# directory, renders the file with rsvg-convert (librsvg2-bin) to a PNG, and requires the PNG's
# width and height (its IHDR chunk) to equal the SVG's width and height attributes: the picture
# parses in a real SVG renderer and has the size it declares.
#   -DDSPLAN_BIN=<binary> -DRSVG=<rsvg-convert> -DARGS=<args separated by |> -DWORKDIR=<dir>
string(REPLACE "|" ";" args "${ARGS}")
if(NOT RSVG OR NOT EXISTS "${RSVG}")
  message(FATAL_ERROR "rsvg-convert not found (Debian package librsvg2-bin; scripts/install-deps.sh installs it)")
endif()
file(REMOVE_RECURSE "${WORKDIR}")
file(MAKE_DIRECTORY "${WORKDIR}")
execute_process(COMMAND "${DSPLAN_BIN}" ${args} --svg picture.svg WORKING_DIRECTORY "${WORKDIR}"
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "dsplan ${args} --svg picture.svg: exit ${rc}\n${err}")
endif()
file(READ "${WORKDIR}/picture.svg" svg)
if(NOT svg MATCHES "<svg [^>]*width=\"([0-9]+)\" height=\"([0-9]+)\"")
  message(FATAL_ERROR "no width and height attributes on <svg>")
endif()
set(svg_width ${CMAKE_MATCH_1})
set(svg_height ${CMAKE_MATCH_2})
execute_process(COMMAND "${RSVG}" -o picture.png picture.svg WORKING_DIRECTORY "${WORKDIR}"
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "rsvg-convert rejected the SVG (exit ${rc}): ${err}")
endif()
# PNG: 8-byte signature, then the IHDR chunk (length 4, type 4), width and height big-endian.
file(READ "${WORKDIR}/picture.png" head LIMIT 24 HEX)
string(SUBSTRING "${head}" 24 8 ihdr)
if(NOT ihdr STREQUAL "49484452")
  message(FATAL_ERROR "picture.png has no IHDR chunk first: ${head}")
endif()
string(SUBSTRING "${head}" 32 8 w_hex)
string(SUBSTRING "${head}" 40 8 h_hex)
math(EXPR png_width "0x${w_hex}")
math(EXPR png_height "0x${h_hex}")
if(NOT png_width EQUAL svg_width OR NOT png_height EQUAL svg_height)
  message(FATAL_ERROR "PNG is ${png_width}x${png_height}, the SVG says ${svg_width}x${svg_height}")
endif()
message(STATUS "picture.svg ${svg_width}x${svg_height} renders to a PNG of the same size")
