# What sf_build_info() reports: the git commit (with -dirty for local changes) at configure time,
# and the CUDA architectures compiled in. A tree copied without .git (as to a GPU machine) can
# name its commit in the environment variable SF_GIT_DESCRIPTION.
find_package(Git QUIET)
set(SF_GIT_DESCRIPTION "unknown")
if(DEFINED ENV{SF_GIT_DESCRIPTION})
  set(SF_GIT_DESCRIPTION "$ENV{SF_GIT_DESCRIPTION}")
elseif(GIT_FOUND AND EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --short=12 HEAD
    WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
    OUTPUT_VARIABLE _sf_hash OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _sf_rc)
  if(_sf_rc EQUAL 0)
    execute_process(COMMAND "${GIT_EXECUTABLE}" status --porcelain --untracked-files=no
      WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
      OUTPUT_VARIABLE _sf_status OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    set(SF_GIT_DESCRIPTION "${_sf_hash}")
    if(NOT _sf_status STREQUAL "")
      string(APPEND SF_GIT_DESCRIPTION "-dirty")
    endif()
  endif()
endif()
string(REPLACE ";" "," SF_ARCH_LIST "${CMAKE_CUDA_ARCHITECTURES}")
message(STATUS "SparseFlow ${PROJECT_VERSION} (git ${SF_GIT_DESCRIPTION}), CUDA architectures ${SF_ARCH_LIST}")
