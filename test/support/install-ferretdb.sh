#!/usr/bin/env bash
# Builds FerretDB v1 (MongoDB wire-compatible, SQLite handler) once and caches it outside the repo.
# Prints the binary's path. `go install ...@v1.24.2` does not work here: the proxy refuses the
# deprecation look-up (403) and a module-cache build panics without build/version/version.txt,
# so we build from the downloaded module with that one file written.
set -euo pipefail
version=v1.24.2
gobin="$(go env GOPATH)/bin"
bin="$gobin/ferretdb-$version"
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
src_dir=$(go mod download -json "github.com/FerretDB/FerretDB@$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cp -r "$src_dir/." "$work/"
chmod -R u+w "$work"
echo "$version" > "$work/build/version/version.txt"
mkdir -p "$gobin"
(cd "$work" && GOFLAGS=-buildvcs=false go build -o "$bin.tmp" ./cmd/ferretdb) >&2
mv "$bin.tmp" "$bin"
echo "$bin"
