# Installation layout and the Debian package (CPack DEB): `scripts/package` runs cpack on the
# main build directory, so the package reuses the binary the tests ran against.
#
#   /usr/bin/thaw
#   /usr/sbin/mount.fuse.thaw -> ../bin/thaw    mount(8) helper for `-t fuse.thaw` and fstab
#                                               (/sbin is /usr/sbin on Debian 12, merged /usr)
#   /lib/systemd/system/thaw-serve@.service, thaw-mount@.service
#   /etc/thaw/config.toml                       commented example policy (a conffile)
#   /usr/share/doc/thaw/                        copyright, changelog.gz, install.md,
#                                               examples/ (serve and mount env files, fstab)
#   /usr/share/man/man1/*.1.gz                  whatever build/man/*.1 the build generated
#                                               (mount.fuse.thaw(8) links to thaw-mount(1))
#   /usr/share/bash-completion/completions/thaw build/completion/thaw.bash, if generated
include(GNUInstallDirs)

install(TARGETS thaw RUNTIME DESTINATION bin)
install(CODE "
  file(MAKE_DIRECTORY \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/sbin\")
  file(CREATE_LINK ../bin/thaw \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/sbin/mount.fuse.thaw\"
       SYMBOLIC)")

# Debian 12 keeps units in /lib/systemd/system (lintian's systemd-service-file-outside-lib).
install(FILES deploy/systemd/thaw-serve@.service deploy/systemd/thaw-mount@.service
        DESTINATION /lib/systemd/system)
install(FILES deploy/debian/config.toml DESTINATION /etc/thaw)

set(THAW_DOC_DIR share/doc/thaw)
install(FILES deploy/debian/copyright docs/install.md DESTINATION ${THAW_DOC_DIR})
install(FILES deploy/systemd/serve-example.env deploy/systemd/mount-example.env
              deploy/debian/fstab.example
        DESTINATION ${THAW_DOC_DIR}/examples)

# Debian wants man pages and the changelog compressed with gzip -9n (no name or time stamp, so
# the package is reproducible). The man pages and completion are generated at build time by
# their own targets; what exists in build/man and build/completion is installed.
# The version has no Debian revision (thaw packages itself), so dpkg sees a native package, whose
# changelog is changelog.gz.
set(THAW_CHANGELOG ${CMAKE_BINARY_DIR}/package/changelog)
file(CONFIGURE OUTPUT ${THAW_CHANGELOG} CONTENT "thaw (${THAW_VERSION}) unstable; urgency=medium

  * Built from commit ${THAW_COMMIT}; see the git history for changes.

 -- thaw maintainers <maintainers@users.noreply.r-seed-89ca56d4.example>  ${THAW_COMMIT_DATE}
")
install(CODE "
  set(doc \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${THAW_DOC_DIR}\")
  set(man \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/share/man/man1\")
  file(MAKE_DIRECTORY \"\${doc}\")
  execute_process(COMMAND gzip -9n -c \"${THAW_CHANGELOG}\"
                  OUTPUT_FILE \"\${doc}/changelog.gz\" COMMAND_ERROR_IS_FATAL ANY)
  file(GLOB pages \"${CMAKE_BINARY_DIR}/man/*.1\")
  foreach(page \${pages})
    get_filename_component(name \"\${page}\" NAME)
    file(MAKE_DIRECTORY \"\${man}\")
    execute_process(COMMAND gzip -9n -c \"\${page}\" OUTPUT_FILE \"\${man}/\${name}.gz\"
                    COMMAND_ERROR_IS_FATAL ANY)
  endforeach()
  # The mount helper is documented by thaw-mount(1) (its -o options are that page's options).
  if(EXISTS \"${CMAKE_BINARY_DIR}/man/thaw-mount.1\")
    file(MAKE_DIRECTORY \"\${man}/../man8\")
    file(CREATE_LINK ../man1/thaw-mount.1.gz \"\${man}/../man8/mount.fuse.thaw.8.gz\" SYMBOLIC)
  endif()")
install(CODE "
  if(EXISTS \"${CMAKE_BINARY_DIR}/completion/thaw.bash\")
    # file(INSTALL) would prefix DESTDIR a second time: copy to the staged path as the man
    # pages above are written.
    set(completions \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/share/bash-completion/completions\")
    file(MAKE_DIRECTORY \"\${completions}\")
    file(COPY_FILE \"${CMAKE_BINARY_DIR}/completion/thaw.bash\" \"\${completions}/thaw\")
  endif()")

# lintian: no errors (tests/package/package_test.sh checks). Warnings kept:
#   no-manual-page [usr/bin/thaw], [usr/sbin/mount.fuse.thaw]: only when the build generated no
#     man pages (they come from the docs generator into build/man; without it there are none).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME thaw)
set(CPACK_PACKAGE_VERSION ${THAW_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_CONTACT "thaw maintainers <maintainers@users.noreply.r-seed-89ca56d4.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "makes data archived in S3 Glacier usable again")
# The extended description; CPack indents it and puts the summary above as the synopsis.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "thaw mounts an S3 bucket with FUSE and restores archived objects (Glacier
Flexible Retrieval, Deep Archive, Intelligent-Tiering archive tiers) when
they are opened. It also restores from S3 and CloudTrail events (an SQS
consumer run as a systemd service), from operator commands with a cost
policy and a crash-safe journal, and includes a local S3-compatible
endpoint with archive tiers for testing.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # thaw_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: the shared libraries thaw links, found by dpkg-shlibdeps, plus fuse3 for
# fusermount3 and mount.fuse3 (libfuse3 alone cannot unmount as a user).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fuse3")
# The architecture of the build machine, as dpkg names it (amd64, arm64, ...).
execute_process(COMMAND dpkg --print-architecture OUTPUT_VARIABLE CPACK_DEBIAN_PACKAGE_ARCHITECTURE
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
set(CPACK_STRIP_FILES ON)  # debug info stays in the build tree
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_SOURCE_DIR}/deploy/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
