#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check_style.sh - STYLE.md rules a machine can check:
#   §15 every C file is clang-formatted with the repository's .clang-format;
#   §4  no struct or integer-pointer casts on packet bytes outside dissect/rd.c;
#   §13 every C file opens with an SPDX line.
set -u
cd "$(dirname "$0")/../.."
fail=0
files=$(git ls-files --cached --others --exclude-standard "*.c" "*.h" 2>/dev/null)
[ -n "$files" ] || files=$(find . -name "*.[ch]" -not -path "./build*" | sed "s|^./||")
if command -v clang-format >/dev/null; then
    for f in $files; do
        if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
            echo "not clang-formatted: $f (run: clang-format -i $f)"
            fail=1
        fi
    done
else
    echo "clang-format not installed: formatting not checked"
fi
casts=$(grep -nE '\*\s*\(\s*(const\s+)?(volatile\s+)?(uint(8|16|32|64)_t|u_int(8|16|32)_t|struct\s+\w+)\s*\*\s*\)' \
    $(echo "$files" | grep '^dissect/' | grep -v '^dissect/rd.c$') 2>/dev/null)
if [ -n "$casts" ]; then
    echo "raw casts on packet bytes outside dissect/rd.c (STYLE.md §4):"
    echo "$casts"
    fail=1
fi
for f in $files; do
    head -1 "$f" | grep -q 'SPDX-License-Identifier' || { echo "no SPDX line: $f"; fail=1; }
done
if [ $fail = 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail
