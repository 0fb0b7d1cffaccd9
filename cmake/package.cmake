# Installing and packaging: the binary, its man page (from --help, by help2man, when found),
# bash completion, the README and samples under share/doc; `cpack -G DEB` makes
# devreset_<version>_amd64.deb with its runtime dependencies from dpkg-shlibdeps.
include(GNUInstallDirs)

install(TARGETS devreset RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/devreset.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME devreset)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/packaging/copyright
              ${PROJECT_SOURCE_DIR}/Containerfile
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/devreset)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/samples/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/devreset/samples)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/devreset/docs
        PATTERN "*.png" EXCLUDE)

find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(man ${CMAKE_CURRENT_BINARY_DIR}/devreset.1)
  add_custom_command(
    OUTPUT ${man}.gz
    COMMAND ${HELP2MAN} --no-info --no-discard-stderr --section=1
            "--name=reset the registered MFA devices of many users on PingOne AIC and PingAM"
            --include=${PROJECT_SOURCE_DIR}/packaging/devreset.h2m
            --output=${man} $<TARGET_FILE:devreset>
    COMMAND gzip -9nf ${man}
    DEPENDS devreset ${PROJECT_SOURCE_DIR}/packaging/devreset.h2m
    COMMENT "man page from devreset --help (help2man)"
    VERBATIM)
  add_custom_target(man ALL DEPENDS ${man}.gz)
  install(FILES ${man}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

set(CPACK_PACKAGE_NAME devreset)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "devreset maintainers <devreset@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "bulk reset of registered MFA devices on PingOne Advanced Identity Cloud and PingAM")
set(CPACK_PACKAGE_DESCRIPTION
    "devreset resets the registered MFA devices (OATH, push, WebAuthn, bound devices) of many users at once, at the tenant's rate, and keeps a per-user ledger of what was done.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Boost, fmt, OpenSSL, libstdc++ as the binary links them
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.com/devreset")
set(CPACK_STRIP_FILES ON)
include(CPack)
