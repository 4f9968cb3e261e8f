# SPDX-License-Identifier: MIT
# ss_warnings: the warning set of STYLE.md §14, as an interface target every library links.
add_library(ss_warnings INTERFACE)
target_compile_options(ss_warnings INTERFACE
    -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith
    -Wformat=2 -Wvla -Wimplicit-fallthrough -Wundef -Wcast-align)
if(SS_WERROR)
    target_compile_options(ss_warnings INTERFACE -Werror)
endif()
