# Installation and CMake package config, so that a downstream project can do
#   find_package(portlab CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE portlab::model portlab::script portlab::sim)
# Included at the end of the top-level CMakeLists.txt, once every target exists.
#
# Layout under the prefix:
#   include/portlab/{model,sim,sim/script}/*.h   (consumers write #include <model/errno.h>)
#   lib/libportlab_*.a
#   lib/cmake/portlab/portlab{Config,ConfigVersion,Targets}.cmake
#   bin/portlab

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(PORTLAB_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/portlab")
set(PORTLAB_INSTALL_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}/portlab")

# Packages that portlabConfig.cmake find_dependency()s: one entry per package, with the
# find_package arguments after the name. Every package whose targets an exported library
# links -- PUBLIC, INTERFACE, or (since the libraries are static) PRIVATE -- must be here.
# A package missing from this list is detected below and added without a version.
set(PORTLAB_PACKAGE_DEPENDENCIES
  "fmt"
  "nlohmann_json 3.10"
  "Boost 1.74"
  "Threads"
)

# Libraries: <target> <source dir of its headers, relative to the project root>.
# model is always there; the others are guarded while they are being written.
set(_portlab_libraries portlab_model)
set(_portlab_header_dirs model)
if(TARGET portlab_script)
  list(APPEND _portlab_libraries portlab_script)
  list(APPEND _portlab_header_dirs sim/script)
endif()
if(TARGET portlab_sim)
  list(APPEND _portlab_libraries portlab_sim)
  list(APPEND _portlab_header_dirs sim)
endif()

install(TARGETS ${_portlab_libraries}
  EXPORT portlabTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
  INCLUDES DESTINATION "${PORTLAB_INSTALL_INCLUDEDIR}")

if(TARGET portlab)
  install(TARGETS portlab RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
endif()

# Headers live beside their sources. Non-recursive per directory; *_test.h excluded.
# CONFIGURE_DEPENDS: a header added later is picked up by the next build.
foreach(_dir IN LISTS _portlab_header_dirs)
  file(GLOB _headers CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/${_dir}/*.h")
  list(FILTER _headers EXCLUDE REGEX "_test\\.h$")
  if(_headers)
    install(FILES ${_headers} DESTINATION "${PORTLAB_INSTALL_INCLUDEDIR}/${_dir}")
  endif()
endforeach()

# A sanitized static library can't be linked without the sanitizer runtimes: make the
# installed package say so itself, so any consumer of a PORTLAB_SANITIZE install links.
if(PORTLAB_SANITIZE)
  foreach(_lib IN LISTS _portlab_libraries)
    target_link_options(${_lib} INTERFACE
      "$<INSTALL_INTERFACE:-fsanitize=address,undefined>")
  endforeach()
endif()

# Safety net for PORTLAB_PACKAGE_DEPENDENCIES: every "Ns::target" an exported library
# links is assumed to come from find_package(Ns) (true for fmt::, nlohmann_json::,
# Boost::, CLI11::, GTest::, benchmark::, rapidcheck).
set(_portlab_dep_names "")
foreach(_dep IN LISTS PORTLAB_PACKAGE_DEPENDENCIES)
  string(REGEX MATCH "^[^ ]+" _name "${_dep}")
  list(APPEND _portlab_dep_names "${_name}")
endforeach()
foreach(_lib IN LISTS _portlab_libraries)
  get_target_property(_links ${_lib} LINK_LIBRARIES)
  get_target_property(_ilinks ${_lib} INTERFACE_LINK_LIBRARIES)
  string(REGEX MATCHALL "[A-Za-z0-9_.+-]+::" _namespaces "${_links};${_ilinks}")
  list(REMOVE_DUPLICATES _namespaces)
  foreach(_ns IN LISTS _namespaces)
    string(REGEX REPLACE "::$" "" _ns "${_ns}")
    if(NOT _ns STREQUAL "portlab" AND NOT _ns IN_LIST _portlab_dep_names)
      message(WARNING "cmake/install.cmake: ${_lib} links ${_ns}:: targets but "
        "'${_ns}' is not in PORTLAB_PACKAGE_DEPENDENCIES; adding find_dependency(${_ns}). "
        "Add it to the list (with its minimum version) to silence this.")
      list(APPEND PORTLAB_PACKAGE_DEPENDENCIES "${_ns}")
      list(APPEND _portlab_dep_names "${_ns}")
    endif()
  endforeach()
endforeach()

set(PORTLAB_FIND_DEPENDENCIES "")
foreach(_dep IN LISTS PORTLAB_PACKAGE_DEPENDENCIES)
  string(APPEND PORTLAB_FIND_DEPENDENCIES "find_dependency(${_dep})\n")
endforeach()

install(EXPORT portlabTargets
  FILE portlabTargets.cmake
  NAMESPACE portlab::
  DESTINATION "${PORTLAB_INSTALL_CMAKEDIR}")

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/portlabConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/portlabConfig.cmake"
  INSTALL_DESTINATION "${PORTLAB_INSTALL_CMAKEDIR}")
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/portlabConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMajorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/portlabConfig.cmake"
  "${PROJECT_BINARY_DIR}/portlabConfigVersion.cmake"
  DESTINATION "${PORTLAB_INSTALL_CMAKEDIR}")

unset(_portlab_libraries)
unset(_portlab_header_dirs)
unset(_portlab_dep_names)
unset(_headers)
unset(_links)
unset(_ilinks)
unset(_namespaces)
