import FoundationEssentials
import Glibc
import KubeAPI

/// Checks and prepares a hostPath directory according to its `type`, as the kubelet's hostPath plugin does; the
/// same checks apply to a PersistentVolume's hostPath.
enum HostPathVolumes {
    static func prepare(_ hostPath: HostPathVolumeSource) throws(VolumeError) {
        let path = hostPath.path
        var st = stat()
        let exists = stat(path, &st) == 0
        let kind = st.st_mode & S_IFMT
        switch hostPath.type ?? "" {
        case "DirectoryOrCreate":
            if !exists {
                do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                             attributes: [.posixPermissions: 0o755]) }
                catch { throw VolumeError("cannot create directory \(path): \(error)") }
            } else if kind != S_IFDIR {
                throw VolumeError("hostPath type check failed: \(path) is not a directory")
            }
        case "Directory":
            if !exists || kind != S_IFDIR { throw VolumeError("hostPath type check failed: \(path) is not a directory") }
        case "FileOrCreate":
            if !exists {
                if !FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644]) {
                    throw VolumeError("cannot create file \(path)")
                }
            } else if kind != S_IFREG {
                throw VolumeError("hostPath type check failed: \(path) is not a file")
            }
        case "File":
            if !exists || kind != S_IFREG { throw VolumeError("hostPath type check failed: \(path) is not a file") }
        case "Socket":
            if !exists || kind != S_IFSOCK { throw VolumeError("hostPath type check failed: \(path) is not a socket file") }
        case "CharDevice":
            if !exists || kind != S_IFCHR { throw VolumeError("hostPath type check failed: \(path) is not a character device") }
        case "BlockDevice":
            if !exists || kind != S_IFBLK { throw VolumeError("hostPath type check failed: \(path) is not a block device") }
        default:
            break
        }
    }
}
