import AtomicFile
import FoundationEssentials
import KubeAPI

/// The bind mounts a CRI container gets from its pod's volumes: hostPath volumes at their path, emptyDir volumes
/// under the pod's directory in upstream's layout (`<root-dir>/pods/<uid>/volumes/kubernetes.io~empty-dir/<name>`).
enum VolumeMounts {
    static func podVolumeDir(rootDir: String, podUID: String, plugin: String, name: String) -> String {
        "\(rootDir)/pods/\(podUID)/volumes/kubernetes.io~\(plugin)/\(name)"
    }

    static func mounts(for container: Container, pod: KubeletPod, rootDir: String) -> [ContainerMount] {
        let volumes = Dictionary((pod.pod.spec.volumes ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [ContainerMount] = []
        for mount in container.volumeMounts ?? [] {
            guard let volume = volumes[mount.name] else { continue }
            var source: String
            if let hostPath = volume.hostPath {
                source = hostPath.path
            } else if volume.emptyDir != nil {
                source = podVolumeDir(rootDir: rootDir, podUID: pod.uid, plugin: "empty-dir", name: volume.name)
                try? AtomicFile.makeDirectories(source)
            } else {
                continue
            }
            if let sub = mount.subPath, !sub.isEmpty, !sub.split(separator: "/").contains("..") {
                source += "/" + sub
                if volume.emptyDir != nil { try? AtomicFile.makeDirectories(source) }
            }
            out.append(ContainerMount(hostPath: source, containerPath: mount.mountPath, readOnly: mount.readOnly ?? false))
        }
        return out
    }
}
