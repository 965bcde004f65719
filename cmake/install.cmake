# SPDX-License-Identifier: MIT OR GPL-2.0-only
# Install rules (included from the top-level CMakeLists.txt when IOVA_INSTALL):
#   include/iova/*.h
#   lib/libiova.a, lib/libiova.so -> libiova.so.MAJOR -> libiova.so.X.Y.Z
#   lib/pkgconfig/libiova.pc
#   lib/cmake/iova/{iovaConfig,iovaConfigVersion,iovaTargets*}.cmake
#   share/doc/libiova/{LICENSE,README.md,CHANGELOG.md}
#   bin/iova-replay, bin/iova-tracegen (IOVA_BUILD_BENCH builds)
include(CMakePackageConfigHelpers)

set(IOVA_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/iova)

install(TARGETS ${IOVA_INSTALL_TARGETS} EXPORT iovaTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/iova
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(EXPORT iovaTargets NAMESPACE iova:: DESTINATION ${IOVA_CMAKE_DIR})

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/iovaConfig.cmake.in
  ${PROJECT_BINARY_DIR}/iovaConfig.cmake
  INSTALL_DESTINATION ${IOVA_CMAKE_DIR})
# The SONAME carries the major version: any 0.y.z satisfies a request for 0.x.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/iovaConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/iovaConfig.cmake
              ${PROJECT_BINARY_DIR}/iovaConfigVersion.cmake
        DESTINATION ${IOVA_CMAKE_DIR})

# libiova.pc names the prefix it is installed under, which is known only at
# install time (`cmake --install --prefix P`): the template is filled in
# twice, now (version, directories) and by the install script (the prefix).
set(prefix "@prefix@")
foreach(d LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${d}}")
    set(pc_${d} "${CMAKE_INSTALL_${d}}")
  else()
    set(pc_${d} "\${prefix}/${CMAKE_INSTALL_${d}}")
  endif()
endforeach()
set(IOVA_PC_URCU "")
foreach(l ${IOVA_URCU_LIBS})
  string(APPEND IOVA_PC_URCU " -l${l}")
endforeach()
configure_file(${CMAKE_CURRENT_LIST_DIR}/libiova.pc.in
               ${PROJECT_BINARY_DIR}/libiova.pc.in @ONLY)
install(CODE "
  set(prefix \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${PROJECT_BINARY_DIR}/libiova.pc.in\"
                 \"${PROJECT_BINARY_DIR}/pc-install/libiova.pc\" @ONLY)
  file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig\"
       TYPE FILE FILES \"${PROJECT_BINARY_DIR}/pc-install/libiova.pc\")
")

install(FILES ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/README.md
              ${PROJECT_SOURCE_DIR}/CHANGELOG.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

foreach(tool iova-replay iova-tracegen)
  if(TARGET ${tool})
    install(TARGETS ${tool} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()
