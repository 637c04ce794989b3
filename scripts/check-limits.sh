#!/usr/bin/env bash
# Lists what breaks the size limits of issue 13 in the library folders: files over 700 lines and
# functions over 120 lines (a function's lines run from its name to its closing brace, as
# Universal Ctags reports them; lambdas count towards the function that holds them).
# Usage: scripts/check-limits.sh [folder...]   (default: copier drivers scheduler tools)
# Exits 1 when anything is over, so CI or a hook can use it; needs `ctags` (Debian:
# universal-ctags).
set -euo pipefail
cd "$(dirname "$0")/.."

max_file_lines=700
max_function_lines=120
folders=("$@")
[ ${#folders[@]} -gt 0 ] || folders=(copier drivers scheduler tools)

if ! ctags --version 2>/dev/null | grep -q 'Universal Ctags'; then
  echo "check-limits: needs Universal Ctags (apt-get install universal-ctags)" >&2
  exit 2
fi

mapfile -t files < <(find "${folders[@]}" -type f \( -name '*.cpp' -o -name '*.hpp' \) | sort)
over=0

for file in "${files[@]}"; do
  lines=$(wc -l < "$file")
  if [ "$lines" -gt "$max_file_lines" ]; then
    echo "file     $file: $lines lines (limit $max_file_lines)"
    over=1
  fi
done

# One tag a function definition, with its first and last line; the scope names the class.
while IFS=$'\t' read -r name file start end scope; do
  length=$((end - start + 1))
  if [ "$length" -gt "$max_function_lines" ]; then
    echo "function $file:$start ${scope:+$scope::}$name: $length lines (limit $max_function_lines)"
    over=1
  fi
done < <(ctags --languages=C++ --kinds-C++=f --fields=+ne --extras=-F -o - "${files[@]}" 2>/dev/null |
  awk -F'\t' '{
    start = ""; end = ""; scope = ""
    for (i = 4; i <= NF; i++) {
      if ($i ~ /^line:/) start = substr($i, 6)
      else if ($i ~ /^end:/) end = substr($i, 5)
      else if ($i ~ /^(class|struct|namespace):/) { scope = $i; sub(/^[a-z]+:/, "", scope) }
    }
    if (start != "" && end != "") printf "%s\t%s\t%s\t%s\t%s\n", $1, $2, start, end, scope
  }' | grep -v "^__anon")

if [ "$over" -eq 0 ]; then
  echo "check-limits: nothing over $max_file_lines lines a file or $max_function_lines a function in ${folders[*]}"
fi
exit "$over"
