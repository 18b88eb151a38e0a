#!/bin/sh
# Regenerates Sources/CRIClient/Generated/CRIMessages.generated.swift from upstream's CRI definition
# (k8s.io/cri-api pkg/apis/runtime/v1/api.proto) at one tag. Nothing is generated at build time; the output is
# committed. See generate-cri-swift.py for why this is not swift-protobuf.
# Usage: tools/cri/generate.sh CRI-API.git [TAG]
#   CRI-API.git  a git directory of github.com/kubernetes/cri-api (e.g. from `git clone --bare`)
#   TAG          default v0.32.9 (Kubernetes 1.32's CRI)
set -eu
repo=$1
tag=${2:-v0.32.9}
here=$(cd "$(dirname "$0")" && pwd)
out="$(cd "$here/../.." && pwd)/Sources/CRIClient/Generated/CRIMessages.generated.swift"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git --git-dir="$repo" show "$tag:pkg/apis/runtime/v1/api.proto" > "$work/api.proto"
python3 "$here/generate-cri-swift.py" "$work/api.proto" > "$work/out.swift"
mv "$work/out.swift" "$out"
echo "wrote $out from cri-api $tag"
