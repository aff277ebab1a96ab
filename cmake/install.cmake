# Install rules and the CMake package config of the core library: after
#   cmake --install BUILD --prefix PREFIX
# a project finds it with find_package(vspace CONFIG) (CMAKE_PREFIX_PATH=PREFIX)
# and links vspace::vspace; headers are installed as <vs/...>.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS vspace vspace_arch vspace_elf EXPORT vspaceTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION include)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/vs DESTINATION include FILES_MATCHING PATTERN "*.h")
install(EXPORT vspaceTargets NAMESPACE vspace:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vspace)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/vspaceConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/vspaceConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vspace)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/vspaceConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/vspaceConfig.cmake ${PROJECT_BINARY_DIR}/vspaceConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vspace)
