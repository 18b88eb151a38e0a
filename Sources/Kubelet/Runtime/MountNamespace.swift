import FoundationEssentials
import Glibc
import CKubeletShims

/// How a host-process container sees its volumes: it runs in a mount namespace of its own (made by the C shim
/// between fork and exec) in which each volume mount's host directory or file is bound at its `mountPath`,
/// read-only where asked. The namespace is a recursive slave of the host's, so the host's later mounts still show
/// and nothing made inside leaks out. A hostPath mounted at another path (etcd's data dir restored to
/// /var/lib/etcd-from-backup and mounted at /var/lib/etcd) is therefore what the process finds at its mount path.
/// The process's namespace stays reachable as /proc/<pid>/ns/mnt for as long as it runs.
enum MountNamespace {
    struct Bind: Equatable {
        var source: String
        var target: String
        var readOnly: Bool
        var sourceIsDirectory: Bool
    }

    /// The binds for `mounts`: a missing host path is made a directory (as containerd does for a hostPath). A path
    /// mounted onto itself is bound only to make a directory read-only: a file bound onto itself would keep showing
    /// its old inode once the host replaces it by a rename (a renewed kubeconfig or certificate).
    static func prepare(_ mounts: [ContainerMount]) throws(RuntimeError) -> [Bind] {
        var binds: [Bind] = []
        for mount in mounts {
            guard mount.containerPath.hasPrefix("/") else {
                throw RuntimeError("mount path \(mount.containerPath) must be absolute")
            }
            var st = stat()
            if stat(mount.hostPath, &st) != 0 {
                do { try FileManager.default.createDirectory(atPath: mount.hostPath, withIntermediateDirectories: true) } catch {
                    throw RuntimeError("failed to create the host path \(mount.hostPath) of mount \(mount.containerPath): \(error)")
                }
                st.st_mode = S_IFDIR
            }
            let isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
            if mount.hostPath == mount.containerPath && !(mount.readOnly && isDirectory) { continue }
            binds.append(Bind(source: mount.hostPath, target: mount.containerPath, readOnly: mount.readOnly,
                              sourceIsDirectory: isDirectory))
        }
        return binds
    }

    /// Where `path` (as the container sees it) is on the host: under the deepest mount that holds it.
    static func hostPath(of path: String, in mounts: [ContainerMount]) -> String {
        var best: ContainerMount?
        for mount in mounts where path == mount.containerPath || path.hasPrefix(mount.containerPath.hasSuffix("/") ? mount.containerPath : mount.containerPath + "/") {
            if best.map({ mount.containerPath.count >= $0.containerPath.count }) ?? true { best = mount }
        }
        guard let best else { return path }
        return best.hostPath + path.dropFirst(best.containerPath.count)
    }

    static func withBindMounts<R>(_ binds: [Bind], _ body: (UnsafePointer<ks_bind_mount>?, Int32) -> R) -> R {
        var strings: [UnsafeMutablePointer<CChar>?] = []
        defer { for s in strings { free(s) } }
        var cMounts: [ks_bind_mount] = []
        for bind in binds {
            let source = strdup(bind.source)
            let target = strdup(bind.target)
            strings += [source, target]
            cMounts.append(ks_bind_mount(source: source.map { UnsafePointer($0) }, target: target.map { UnsafePointer($0) },
                                         read_only: bind.readOnly ? 1 : 0, source_is_dir: bind.sourceIsDirectory ? 1 : 0))
        }
        return cMounts.withUnsafeBufferPointer { body($0.baseAddress, Int32($0.count)) }
    }

    static func describe(_ failure: ks_spawn_failure, errno code: Int32, path: String, workingDir: String?, mounts: [Bind]) -> String {
        let reason = String(cString: strerror(code))
        let mount = failure.index >= 0 && Int(failure.index) < mounts.count ? mounts[Int(failure.index)] : nil
        switch Int(failure.stage) {
        case Int(KS_STAGE_UNSHARE): return "failed to create the container's mount namespace: unshare: \(reason)"
        case Int(KS_STAGE_PROPAGATION): return "failed to make the container's mount namespace private: \(reason)"
        case Int(KS_STAGE_MOUNT_TARGET):
            return "failed to create mount point \(mount?.target ?? "?") for \(mount?.source ?? "?"): \(reason)"
        case Int(KS_STAGE_BIND): return "failed to mount \(mount?.source ?? "?") at \(mount?.target ?? "?"): \(reason)"
        case Int(KS_STAGE_READ_ONLY): return "failed to make mount \(mount?.target ?? "?") read-only: \(reason)"
        case Int(KS_STAGE_SETNS): return "failed to enter the container's mount namespace: setns: \(reason)"
        case Int(KS_STAGE_CHDIR): return "chdir \(workingDir ?? ""): \(reason)"
        case Int(KS_STAGE_EXEC): return "failed to start \(path): \(reason)"
        default: return "failed to start \(path): \(reason)"
        }
    }
}
