# SPDX-License-Identifier: MIT
# Dependencies through pkg-config. A missing one stops the configure step with the name of the
# Debian package that provides it, so a new user knows exactly what to install.
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
    message(FATAL_ERROR "pkg-config not found: install it with 'apt-get install pkg-config'")
endif()

# ss_require(<prefix> <pkg-config module> <Debian package>)
function(ss_require prefix module debpkg)
    pkg_check_modules(${prefix} QUIET IMPORTED_TARGET GLOBAL ${module})
    if(NOT ${prefix}_FOUND)
        message(FATAL_ERROR
            "${module} not found (pkg-config module '${module}'): "
            "install it with 'apt-get install ${debpkg}', or run ./setup.sh")
    endif()
    message(STATUS "${module} ${${prefix}_VERSION}")
endfunction()

ss_require(PCAP    libpcap  libpcap-dev)
ss_require(SQLITE  sqlite3  libsqlite3-dev)
ss_require(CRYPTO  libcrypto libssl-dev)
ss_require(JANSSON jansson  libjansson-dev)
ss_require(ZLIB    zlib     zlib1g-dev)
ss_require(INIH    inih     libinih-dev)
if(SS_WITH_NDPI)
    ss_require(NDPI libndpi libndpi-dev)
endif()
ss_require(CAP     libcap   libcap-dev)
