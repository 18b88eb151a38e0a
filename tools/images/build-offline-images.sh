#!/bin/sh
# Builds OCI images from Debian's busybox-static, with nothing downloaded, and imports them into containerd's
# k8s.io namespace (where the CRI looks):
#   docker.io/library/busybox:1.36  a shell, httpd, nc, wget… for workloads
#   registry.k8s.io/pause:3.6       the pod sandbox image containerd 1.6's CRI plugin uses by default (and :3.10,
#                                   kubeadm 1.32's); busybox `sleep` stands in for the pause binary
# Needs: busybox-static, umoci, containerd running (apt-get install busybox-static umoci containerd runc).
# Usage: tools/images/build-offline-images.sh [WORKDIR]
set -eu
work=${1:-$(mktemp -d)}
busybox=$(command -v busybox || echo /bin/busybox)
[ -x "$busybox" ] || { echo "busybox not found: apt-get install busybox-static" >&2; exit 1; }
command -v umoci >/dev/null || { echo "umoci not found: apt-get install umoci" >&2; exit 1; }

build() { # NAME TAG ENTRYPOINT-JSON-ARGS...
    name=$1; tag=$2; shift 2
    layout="$work/$name-layout"; bundle="$work/$name-bundle"
    rm -rf "$layout" "$bundle"
    umoci init --layout "$layout"
    umoci new --image "$layout:$tag"
    umoci unpack --rootless --image "$layout:$tag" "$bundle" >/dev/null
    root="$bundle/rootfs"
    mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/var/www" "$root/root"
    cp "$busybox" "$root/bin/busybox"
    for applet in $("$busybox" --list); do [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"; done
    echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
    echo 'root:x:0:' > "$root/etc/group"
    echo 'hello from busybox httpd' > "$root/var/www/index.html"
    umoci repack --image "$layout:$tag" "$bundle" >/dev/null
    umoci config --image "$layout:$tag" "$@" >/dev/null
    (cd "$layout" && tar cf "$work/$name.tar" .)
}

# --base-name names each image <base>:<tag> from the layout's tag; without it ctr adds an `import-<date>:<tag>`
# name, which containerd 1.6's CRI may pick as the image's reference and then fail to resolve.
build busybox 1.36 --config.cmd /bin/sh --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
build pause 3.6 --config.entrypoint /bin/sleep --config.cmd 2147483647
ctr -n k8s.io images import --base-name docker.io/library/busybox "$work/busybox.tar"
ctr -n k8s.io images import --base-name registry.k8s.io/pause "$work/pause.tar"
ctr -n k8s.io images tag --force registry.k8s.io/pause:3.6 registry.k8s.io/pause:3.10 >/dev/null
echo "imported: docker.io/library/busybox:1.36 registry.k8s.io/pause:3.6 registry.k8s.io/pause:3.10 (archives in $work)"
