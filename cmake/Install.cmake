# install(): the library, the header, a CMake package (find_package(SparseFlow), target
# SparseFlow::sparseflow) and a pkg-config file.
include(CMakePackageConfigHelpers)

install(TARGETS sparseflow EXPORT SparseFlowTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/sparseflow DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(SF_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/SparseFlow)
install(EXPORT SparseFlowTargets NAMESPACE SparseFlow:: DESTINATION ${SF_CMAKE_DIR})
configure_package_config_file(cmake/SparseFlowConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/SparseFlowConfig.cmake INSTALL_DESTINATION ${SF_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/SparseFlowConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/SparseFlowConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/SparseFlowConfigVersion.cmake DESTINATION ${SF_CMAKE_DIR})

# The prefix is relative to the .pc file's own directory, so an install anywhere is found.
file(RELATIVE_PATH SF_PC_PREFIX_FROM_PCFILEDIR ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig
     ${CMAKE_INSTALL_PREFIX})
configure_file(cmake/sparseflow.pc.in ${CMAKE_CURRENT_BINARY_DIR}/sparseflow.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/sparseflow.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
