# Run at test time with `cmake -P` by the c_find_package and c_pkg_config tests
# (bindings/c/CMakeLists.txt), inside the environment of sf_add_binding_test. It checks the
# library the way a user gets it: installed. Steps, each failing the test loudly:
#   1. cmake --install <build dir> --prefix $SF_BINDING_BUILD_DIR/prefix (the library must
#      already be built: tests run after the build)
#   2. MODE=find_package: configure bindings/c/find_package with CMAKE_PREFIX_PATH=<prefix>
#      (the main build's generator), check that it found the package in <prefix>, build it
#      MODE=pkg_config:   with PKG_CONFIG_PATH=<prefix>/<libdir>/pkgconfig only (the INSTALLED
#      sparseflow.pc, not the build tree's), check that the .pc points into <prefix>, then
#      cc main.c $(pkg-config --cflags --libs sparseflow)
#   3. run the program with LD_LIBRARY_PATH=<prefix>/<libdir> only, after checking with ldd
#      that it resolves libsparseflow.so.0 inside <prefix>.
#
# -D arguments: MODE, SF_BUILD_DIR, SF_CONFIG, SF_CONSUMERS_DIR, SF_LIBDIR (CMAKE_INSTALL_LIBDIR),
# SF_C_COMPILER, and SF_GENERATOR, SF_MAKE_PROGRAM (find_package) or PKG_CONFIG (pkg_config).
cmake_minimum_required(VERSION 3.24)

foreach(variable MODE SF_BUILD_DIR SF_CONSUMERS_DIR SF_LIBDIR SF_C_COMPILER)
  if(NOT DEFINED ${variable} OR "${${variable}}" STREQUAL "")
    message(FATAL_ERROR "run_consumers.cmake needs -D${variable}=...")
  endif()
endforeach()
if("$ENV{SF_BINDING_BUILD_DIR}" STREQUAL "")
  message(FATAL_ERROR "SF_BINDING_BUILD_DIR is not set (run this through CTest)")
endif()
if(IS_ABSOLUTE "${SF_LIBDIR}")
  message(FATAL_ERROR "CMAKE_INSTALL_LIBDIR is absolute (${SF_LIBDIR}): an install with "
                      "--prefix cannot move it, so this test cannot install into a scratch prefix")
endif()

set(scratch "$ENV{SF_BINDING_BUILD_DIR}")
set(prefix "${scratch}/prefix")
set(libdir "${prefix}/${SF_LIBDIR}")
file(REMOVE_RECURSE "${scratch}")
file(MAKE_DIRECTORY "${scratch}")

# sf_run(<what> <command...>): runs a command, its output going to the test log; stops the test
# when it fails.
function(sf_run what)
  list(JOIN ARGN " " shown)
  message(STATUS "[${MODE}] ${what}: ${shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
  if(NOT result STREQUAL "0")
    message(FATAL_ERROR "[${MODE}] ${what} failed (${result}): ${shown}")
  endif()
endfunction()

# sf_output(<variable> <what> <command...>): like sf_run, and returns the command's stdout.
function(sf_output variable what)
  list(JOIN ARGN " " shown)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out
                  ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT result STREQUAL "0")
    message(FATAL_ERROR "[${MODE}] ${what} failed (${result}): ${shown}\n${out}\n${err}")
  endif()
  message(STATUS "[${MODE}] ${what}: ${shown}\n  -> ${out}")
  set(${variable} "${out}" PARENT_SCOPE)
endfunction()

# sf_require_inside(<path> <directory> <what>): fails unless <path> lies in <directory>.
function(sf_require_inside path directory what)
  file(REAL_PATH "${path}" real_path)
  file(REAL_PATH "${directory}" real_directory)
  string(FIND "${real_path}/" "${real_directory}/" at)
  if(NOT at EQUAL 0)
    message(FATAL_ERROR "[${MODE}] ${what} is ${path}, outside ${directory}")
  endif()
endfunction()

# sf_run_consumer(<executable>): checks which libsparseflow it loads, then runs it.
function(sf_run_consumer executable)
  find_program(LDD ldd)
  if(LDD)
    sf_output(linked "ldd" "${LDD}" "${executable}")
    if(NOT linked MATCHES "libsparseflow\\.so\\.0 => ([^ \t\n]+)")
      message(FATAL_ERROR "[${MODE}] ${executable} does not resolve libsparseflow.so.0:\n${linked}")
    endif()
    sf_require_inside("${CMAKE_MATCH_1}" "${libdir}" "the libsparseflow.so.0 it loads")
  else()
    message(STATUS "[${MODE}] no ldd: not checking which libsparseflow.so.0 the program loads")
  endif()
  sf_run("run the consumer" "${executable}")
endfunction()

# 1. Install the build tree.
set(config_arguments)
if(DEFINED SF_CONFIG AND NOT SF_CONFIG STREQUAL "")
  set(config_arguments --config "${SF_CONFIG}")
endif()
sf_run("install" "${CMAKE_COMMAND}" --install "${SF_BUILD_DIR}" --prefix "${prefix}"
       ${config_arguments})
foreach(file include/sparseflow/sparseflow.h ${SF_LIBDIR}/libsparseflow.so.0
             ${SF_LIBDIR}/cmake/SparseFlow/SparseFlowConfig.cmake
             ${SF_LIBDIR}/pkgconfig/sparseflow.pc)
  if(NOT EXISTS "${prefix}/${file}")
    message(FATAL_ERROR "[${MODE}] the install did not produce ${prefix}/${file}")
  endif()
endforeach()

# The consumer must see the installed library only, not the build tree's that CTest points at.
set(ENV{LD_LIBRARY_PATH} "${libdir}")
set(ENV{PKG_CONFIG_PATH} "${libdir}/pkgconfig")
unset(ENV{PKG_CONFIG_LIBDIR})
unset(ENV{SPARSEFLOW_LIBRARY})

if(MODE STREQUAL "find_package")
  if(NOT DEFINED SF_GENERATOR OR SF_GENERATOR STREQUAL "")
    message(FATAL_ERROR "MODE=find_package needs -DSF_GENERATOR=...")
  endif()
  set(build "${scratch}/build")
  set(configure_arguments -G "${SF_GENERATOR}")
  if(DEFINED SF_MAKE_PROGRAM AND NOT SF_MAKE_PROGRAM STREQUAL "")
    list(APPEND configure_arguments "-DCMAKE_MAKE_PROGRAM=${SF_MAKE_PROGRAM}")
  endif()
  sf_run("configure" "${CMAKE_COMMAND}" -S "${SF_CONSUMERS_DIR}/find_package" -B "${build}"
         ${configure_arguments} "-DCMAKE_C_COMPILER=${SF_C_COMPILER}"
         "-DCMAKE_PREFIX_PATH=${prefix}" -DCMAKE_BUILD_TYPE=Release)
  file(STRINGS "${build}/CMakeCache.txt" found REGEX "^SparseFlow_DIR:")
  string(REGEX REPLACE "^[^=]*=" "" found "${found}")
  sf_require_inside("${found}" "${prefix}" "the SparseFlow package found (SparseFlow_DIR)")
  sf_run("build" "${CMAKE_COMMAND}" --build "${build}" --config Release)
  set(executable "${build}/sf_find_package_consumer")
  if(NOT EXISTS "${executable}")  # multi-config generators
    set(executable "${build}/Release/sf_find_package_consumer")
  endif()
  sf_run_consumer("${executable}")
elseif(MODE STREQUAL "pkg_config")
  if(NOT DEFINED PKG_CONFIG OR PKG_CONFIG STREQUAL "")
    message(FATAL_ERROR "MODE=pkg_config needs -DPKG_CONFIG=...")
  endif()
  sf_output(pc_dir "the .pc file used" "${PKG_CONFIG}" --variable=pcfiledir sparseflow)
  sf_require_inside("${pc_dir}" "${libdir}/pkgconfig" "the sparseflow.pc pkg-config reads")
  # The installed .pc must describe where it was installed, or a consumer compiles against
  # another copy (or none) of the header and library.
  sf_output(pc_prefix "the prefix the installed .pc names" "${PKG_CONFIG}" --variable=prefix
            sparseflow)
  file(REAL_PATH "${prefix}" real_prefix)
  if(EXISTS "${pc_prefix}")
    file(REAL_PATH "${pc_prefix}" pc_prefix)
  endif()
  if(NOT pc_prefix STREQUAL real_prefix)
    message(FATAL_ERROR
      "[${MODE}] the installed sparseflow.pc says prefix=${pc_prefix}, but "
      "`cmake --install --prefix ${prefix}` put it in ${prefix}: cmake/sparseflow.pc.in takes "
      "CMAKE_INSTALL_PREFIX at configure time, so an install with --prefix (or DESTDIR "
      "staging, or a moved prefix) yields a .pc that points elsewhere. Make it relocatable, "
      "e.g. prefix=\${pcfiledir}/<path from <libdir>/pkgconfig to the prefix>.")
  endif()
  sf_output(flags "flags" "${PKG_CONFIG}" --cflags --libs sparseflow)
  separate_arguments(flags UNIX_COMMAND "${flags}")
  set(executable "${scratch}/sf_pkg_config_consumer")
  sf_run("compile" "${SF_C_COMPILER}" -std=c11 -Wall -Wextra -Werror
         "${SF_CONSUMERS_DIR}/pkg_config/main.c" ${flags} -o "${executable}")
  sf_run_consumer("${executable}")
else()
  message(FATAL_ERROR "MODE must be find_package or pkg_config, got '${MODE}'")
endif()
message(STATUS "[${MODE}] consumer of the installed library: passed")
