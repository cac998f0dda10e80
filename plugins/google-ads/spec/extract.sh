#!/usr/bin/env bash
# Copies the Data Manager API protos the google-ads connector and its fake use, verbatim, from a
# clone of github.com/googleapis/googleapis at a pinned commit, with every file they import (the
# closure: google/api annotations too), and records repository, path, commit and sha256 of each in
# SOURCES.json. google/protobuf/*.proto are not copied: protobufjs ships them (its "common" protos).
#
#   plugins/google-ads/spec/extract.sh [path-to-googleapis-git-dir] [commit]
set -euo pipefail
REPO_DIR="${1:-/work/.mirror/googleapis+googleapis/repo}"
COMMIT="${2:-f8291d2b89f0017ab078a4c7378069bae5686f6f}"
OUT="$(cd "$(dirname "$0")" && pwd)/protos"
ROOTS=(google/ads/datamanager/v1/ingestion_service.proto google/ads/datamanager/v1/user_list_service.proto google/ads/datamanager/v1/error.proto)
rm -rf "$OUT" && mkdir -p "$OUT"
declare -A seen=()
queue=("${ROOTS[@]}")
while ((${#queue[@]})); do
  path="${queue[0]}"; queue=("${queue[@]:1}")
  [[ -n "${seen[$path]:-}" ]] && continue
  seen[$path]=1
  mkdir -p "$OUT/$(dirname "$path")"
  git --git-dir="$REPO_DIR" show "$COMMIT:$path" > "$OUT/$path"
  while read -r dep; do
    [[ "$dep" == google/protobuf/* ]] || queue+=("$dep")
  done < <(sed -n 's/^import "\(.*\)";/\1/p' "$OUT/$path")
done
{
  echo '{'
  echo '  "repository": "https://github.com/googleapis/googleapis",'
  echo "  \"commit\": \"$COMMIT\","
  echo '  "files": ['
  first=1
  for path in $(printf '%s\n' "${!seen[@]}" | sort); do
    sum=$(sha256sum "$OUT/$path" | cut -d' ' -f1)
    [[ $first == 1 ]] || echo ','
    printf '    { "path": "%s", "sha256": "%s" }' "$path" "$sum"
    first=0
  done
  echo
  echo '  ]'
  echo '}'
} > "$(dirname "$OUT")/SOURCES.json"
echo "copied ${#seen[@]} files at $COMMIT"
