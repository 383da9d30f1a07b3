#!/usr/bin/env bash
# Copies crates of the cargo registry (NAME-VERSION, pinned) into DEST/NAME-VERSION, fetching
# each with `cargo fetch` into the registry when it is missing there. A crate already in DEST
# is left as it is.
#
#   benchmarks/crates.sh DEST CRATE...
set -euo pipefail
dest=$1
shift
registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
mkdir -p "$dest"
for crate in "$@"; do
    [ -d "$dest/$crate" ] && continue
    source=$(find "$registry" -mindepth 2 -maxdepth 2 -type d -name "$crate" | head -1)
    if [ -z "$source" ]; then
        fetch=$(mktemp -d)
        cargo new --quiet --lib "$fetch/fetch"
        echo "${crate%-*} = \"=${crate##*-}\"" >> "$fetch/fetch/Cargo.toml"
        (cd "$fetch/fetch" && cargo fetch --quiet)
        rm -rf "$fetch"
        source=$(find "$registry" -mindepth 2 -maxdepth 2 -type d -name "$crate" | head -1)
    fi
    cp -r "$source" "$dest/$crate"
done
