import AtomicFile
import FoundationEssentials
import Glibc
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// A volume mount as a container runtime needs it: the directory (or file) on the host, with `subPath` already
/// resolved inside the volume, where the container sees it, and whether it is read-only.
public struct ContainerMount: Sendable, Equatable {
    public var hostPath: String
    public var containerPath: String
    public var readOnly: Bool

    public init(hostPath: String, containerPath: String, readOnly: Bool) {
        self.hostPath = hostPath
        self.containerPath = containerPath
        self.readOnly = readOnly
    }
}

/// The kubelet's volume manager: sets up each pod's volumes under upstream's layout
/// `<root-dir>/pods/<uid>/volumes/kubernetes.io~<plugin>/<name>` (hostPath and claims bound to a hostPath or local
/// PersistentVolume stay where they are on the node), keeps the API-data volumes (configMap, secret, downwardAPI,
/// projected with service account tokens) in step with the API on each resync, and removes a pod's volumes when
/// the pod is gone. What pods reference is read through the node's API client; a standalone kubelet has none, and
/// its (static) pods can only use hostPath and emptyDir.
public actor VolumeManager {
    public let rootDir: String
    private let api: (any KubernetesClient)?
    private let tokens: ServiceAccountTokenManager?
    private let logger: Logger
    private var pods: [String: PodVolumes] = [:]

    struct PodVolumes {
        var pod: KubeletPod
        var volumes: [String: SetUpVolume]
    }

    /// Where a volume is on the host, once set up.
    struct SetUpVolume: Equatable {
        var path: String
        /// API data is read-only in containers (as upstream's ReadOnlyAPIDataVolumes), a claim may be.
        var readOnly: Bool
        /// Rewritten on each resync (its content comes from the API or from the pod's metadata).
        var refreshes: Bool
    }

    init(rootDir: String, api: (any KubernetesClient)?, logger: Logger,
         now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.rootDir = rootDir
        self.api = api
        self.tokens = api.map { ServiceAccountTokenManager(client: $0, now: now) }
        self.logger = logger
    }

    nonisolated func podDir(_ uid: String) -> String { "\(rootDir)/pods/\(uid)" }

    /// The plugin directory name of a volume kept under the pod's dir (nil for hostPath and claims).
    static func pluginName(of volume: Volume) -> String? {
        if volume.emptyDir != nil { return "kubernetes.io~empty-dir" }
        if volume.configMap != nil { return "kubernetes.io~configmap" }
        if volume.secret != nil { return "kubernetes.io~secret" }
        if volume.projected != nil { return "kubernetes.io~projected" }
        if volume.downwardAPI != nil { return "kubernetes.io~downward-api" }
        return nil
    }

    nonisolated func volumeDir(podUID: String, volume: Volume) -> String? {
        Self.pluginName(of: volume).map { "\(podDir(podUID))/volumes/\($0)/\(volume.name)" }
    }

    /// Sets up every volume of the pod (again: content is rewritten only when it changed) and keeps the pod for
    /// resyncs. Returns the volumes that could not be set up, with why; the pod's containers wait for them.
    func setUp(_ pod: KubeletPod) async -> [(volume: String, error: VolumeError)] {
        var entry = pods[pod.uid] ?? PodVolumes(pod: pod, volumes: [:])
        entry.pod = pod
        var failures: [(volume: String, error: VolumeError)] = []
        for volume in pod.pod.spec.volumes ?? [] {
            do {
                entry.volumes[volume.name] = try await setUp(volume, of: pod)
            } catch {
                failures.append((volume.name, error))
            }
        }
        pods[pod.uid] = entry
        return failures
    }

    private func setUp(_ volume: Volume, of pod: KubeletPod) async throws(VolumeError) -> SetUpVolume {
        if let hostPath = volume.hostPath {
            try HostPathVolumes.prepare(hostPath)
            return SetUpVolume(path: hostPath.path, readOnly: false, refreshes: false)
        }
        if let claim = volume.persistentVolumeClaim {
            let (path, readOnly) = try await claimPath(claim, namespace: pod.namespace)
            return SetUpVolume(path: path, readOnly: readOnly || claim.readOnly == true, refreshes: false)
        }
        guard let dir = volumeDir(podUID: pod.uid, volume: volume) else {
            throw VolumeError("volume \"\(volume.name)\" has no volume source this kubelet can set up (hostPath, emptyDir, configMap, secret, downwardAPI, projected, persistentVolumeClaim)")
        }
        do { try AtomicFile.makeDirectories(AtomicFile.directoryName(of: dir), mode: 0o750) } catch {
            throw VolumeError("\(error)")
        }
        if let emptyDir = volume.emptyDir {
            if emptyDir.medium == "Memory" {
                logger.debug("emptyDir medium Memory is a directory on the node's disk here", metadata: ["volume": "\(volume.name)"])
            }
            if !AtomicWriter.exists(dir) {
                guard mkdir(dir, 0o777) == 0 || errno == EEXIST else {
                    throw VolumeError("mkdir \(dir): \(String(cString: strerror(errno)))")
                }
                // World-writable as upstream's, so that a container of any user may write its scratch space.
                chmod(dir, 0o777)
            }
            return SetUpVolume(path: dir, readOnly: false, refreshes: false)
        }
        let payload = try await content(of: volume, pod: pod)
        let wrote = try AtomicWriter(targetDir: dir).write(payload)
        if wrote { logger.debug("wrote volume content", metadata: ["pod": "\(pod.fullName)", "volume": "\(volume.name)"]) }
        return SetUpVolume(path: dir, readOnly: true, refreshes: true)
    }

    /// The files of an API-data volume.
    private func content(of volume: Volume, pod: KubeletPod) async throws(VolumeError) -> [String: FileProjection] {
        if let source = volume.configMap {
            let mode = VolumeContent.mode(source.defaultMode, default: VolumeContent.defaultMode)
            let name = source.name ?? ""
            guard let object = try await read(.configMaps, "configmap", namespace: pod.namespace, name: name) else { return [:] }
            return try VolumeContent.configMap(object, name: name, items: source.items, optional: source.optional == true, mode: mode)
        }
        if let source = volume.secret {
            let mode = VolumeContent.mode(source.defaultMode, default: VolumeContent.defaultMode)
            let name = source.secretName ?? ""
            guard let object = try await read(.secrets, "secret", namespace: pod.namespace, name: name) else { return [:] }
            return try VolumeContent.secret(object, name: name, items: source.items, optional: source.optional == true, mode: mode)
        }
        if let source = volume.downwardAPI {
            let mode = VolumeContent.mode(source.defaultMode, default: VolumeContent.defaultMode)
            return try VolumeContent.downwardAPI(source.items ?? [], pod: pod, mode: mode)
        }
        if let source = volume.projected {
            let mode = VolumeContent.mode(source.defaultMode, default: VolumeContent.defaultMode)
            var payload: [String: FileProjection] = [:]
            for projection in source.sources ?? [] {
                if let cm = projection.configMap {
                    let name = cm.name ?? ""
                    guard let object = try await read(.configMaps, "configmap", namespace: pod.namespace, name: name) else { continue }
                    payload.merge(try VolumeContent.configMap(object, name: name, items: cm.items, optional: cm.optional == true, mode: mode)) { _, new in new }
                } else if let secret = projection.secret {
                    let name = secret.name ?? ""
                    guard let object = try await read(.secrets, "secret", namespace: pod.namespace, name: name) else { continue }
                    payload.merge(try VolumeContent.secret(object, name: name, items: secret.items, optional: secret.optional == true, mode: mode)) { _, new in new }
                } else if let downward = projection.downwardAPI {
                    payload.merge(try VolumeContent.downwardAPI(downward.items ?? [], pod: pod, mode: mode)) { _, new in new }
                } else if let token = projection.serviceAccountToken {
                    guard let tokens else { continue }
                    let serviceAccount = (pod.pod.spec.serviceAccountName ?? "").isEmpty ? "default" : (pod.pod.spec.serviceAccountName ?? "default")
                    let value = try await tokens.token(for: pod, serviceAccount: serviceAccount, audience: token.audience,
                                                       expirationSeconds: token.expirationSeconds)
                    payload[token.path] = FileProjection(value, mode: mode)
                }
            }
            return payload
        }
        return [:]
    }

    /// An object a volume references: `.some(nil)` when it does not exist, nil when there is no API to ask (a
    /// kubelet without a client is only ever given static pods, which cannot reference API objects).
    private func read(_ resource: ResourceType, _ kind: String, namespace: String, name: String) async throws(VolumeError) -> JSONValue?? {
        guard let api else {
            logger.warning("no API client to read the \(kind) a volume references; the volume stays empty",
                           metadata: ["namespace": "\(namespace)", "name": "\(name)"])
            return nil
        }
        do {
            return .some(try await api.get(resource, namespace: namespace, name: name, subresource: nil))
        } catch let error as APIError where error.isNotFound {
            return .some(nil)
        } catch {
            throw VolumeError("failed to get \(kind) \"\(name)\": \(error)")
        }
    }

    /// A claim's directory: the claim must be bound, and its PersistentVolume a hostPath or local one.
    private func claimPath(_ claim: PersistentVolumeClaimVolumeSource, namespace: String) async throws(VolumeError) -> (String, Bool) {
        guard let api else { throw VolumeError("persistentvolumeclaim \"\(claim.claimName)\": no API client to read it") }
        let pvcJSON: JSONValue
        do { pvcJSON = try await api.get(.persistentVolumeClaims, namespace: namespace, name: claim.claimName, subresource: nil) }
        catch let error as APIError where error.isNotFound {
            throw VolumeError("persistentvolumeclaim \"\(claim.claimName)\" not found")
        } catch { throw VolumeError("failed to get persistentvolumeclaim \"\(claim.claimName)\": \(error)") }
        guard let pvc = try? JSONValueDecoder().decode(PersistentVolumeClaim.self, from: pvcJSON) else {
            throw VolumeError("persistentvolumeclaim \"\(claim.claimName)\" could not be decoded")
        }
        guard pvc.status.phase == "Bound", !pvc.spec.volumeName.isEmpty else {
            throw VolumeError("PVC \(namespace)/\(claim.claimName) has non-bound phase (\"\(pvc.status.phase)\") or empty pvc.Spec.VolumeName (\"\(pvc.spec.volumeName)\")")
        }
        let pvJSON: JSONValue
        do { pvJSON = try await api.get(.persistentVolumes, namespace: nil, name: pvc.spec.volumeName, subresource: nil) }
        catch let error as APIError where error.isNotFound {
            throw VolumeError("persistentvolume \"\(pvc.spec.volumeName)\" not found")
        } catch { throw VolumeError("failed to get persistentvolume \"\(pvc.spec.volumeName)\": \(error)") }
        guard let pv = try? JSONValueDecoder().decode(PersistentVolume.self, from: pvJSON) else {
            throw VolumeError("persistentvolume \"\(pvc.spec.volumeName)\" could not be decoded")
        }
        let readOnly = pv.spec.accessModes == ["ReadOnlyMany"]
        if let hostPath = pv.spec.hostPath {
            try HostPathVolumes.prepare(hostPath)
            return (hostPath.path, readOnly)
        }
        if let local = pv.spec.local {
            var st = stat()
            guard stat(local.path, &st) == 0 else {
                throw VolumeError("path \"\(local.path)\" does not exist")
            }
            return (local.path, readOnly)
        }
        throw VolumeError("persistentvolume \"\(pvc.spec.volumeName)\" is neither a hostPath nor a local volume; this kubelet mounts only those")
    }

    /// Rewrites the API-data volumes of every pod (upstream's periodic sync): a changed ConfigMap or Secret, and a
    /// token near the end of its life, reach the files within one sync period.
    func resync() async {
        for (uid, entry) in pods {
            for volume in entry.pod.pod.spec.volumes ?? [] where entry.volumes[volume.name]?.refreshes ?? false {
                do {
                    _ = try await setUp(volume, of: entry.pod)
                } catch {
                    logger.warning("MountVolume.SetUp failed for volume \"\(volume.name)\" : \(error)",
                                   metadata: ["pod": "\(entry.pod.fullName)", "uid": "\(uid)"])
                }
            }
        }
    }

    /// Runs `resync` every `period` seconds until cancelled.
    func run(period: Double) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: .milliseconds(Int64(max(period, 1) * 1000))) } catch { return }
            await resync()
        }
    }

    /// The container's mounts, in the order they must be made (a path after the paths it lies under). A `subPath`
    /// is resolved inside its volume and made a directory when missing; one that leaves the volume is refused.
    /// `environment` is the container's resolved environment, for `subPathExpr`.
    func mounts(for pod: KubeletPod, container: Container, environment: [(String, String)] = []) throws(VolumeError) -> [ContainerMount] {
        let volumes = pods[pod.uid]?.volumes ?? [:]
        var out: [ContainerMount] = []
        for mount in container.volumeMounts ?? [] {
            guard let volume = volumes[mount.name] else {
                throw VolumeError("volume \"\(mount.name)\" of container \(container.name) is not set up")
            }
            var hostPath = volume.path
            if let subPath = mount.subPath, !subPath.isEmpty {
                hostPath = try Self.resolve(subPath: subPath, in: volume.path)
            } else if let expression = mount.subPathExpr, !expression.isEmpty {
                // `$(VAR)` from the container's environment (typically a fieldRef such as the pod's name).
                let subPath = ContainerEnvironment.expand(expression) { name in environment.last { $0.0 == name }?.1 }
                hostPath = try Self.resolve(subPath: subPath, in: volume.path)
            }
            out.append(ContainerMount(hostPath: hostPath, containerPath: mount.mountPath,
                                      readOnly: volume.readOnly || mount.readOnly == true))
        }
        return Self.ordered(out)
    }

    static func ordered(_ mounts: [ContainerMount]) -> [ContainerMount] {
        func depth(_ path: String) -> Int { path.split(separator: "/").count }
        return mounts.enumerated().sorted {
            let (a, b) = (depth($0.element.containerPath), depth($1.element.containerPath))
            return a != b ? a < b : $0.offset < $1.offset
        }.map(\.element)
    }

    /// `<volume>/<subPath>`, which must stay inside the volume once symlinks are followed (upstream's subpath checks).
    static func resolve(subPath: String, in volumePath: String) throws(VolumeError) -> String {
        let parts = subPath.split(separator: "/")
        if subPath.hasPrefix("/") || parts.contains("..") {
            throw VolumeError("subPath \"\(subPath)\": must be a relative path without '..'")
        }
        let candidate = "\(volumePath)/\(parts.joined(separator: "/"))"
        if !AtomicWriter.exists(candidate) {
            do { try AtomicFile.makeDirectories(candidate, mode: 0o755) } catch {
                throw VolumeError("failed to create subPath directory for \"\(subPath)\": \(error)")
            }
        }
        guard let root = realPath(volumePath), let resolved = realPath(candidate) else {
            throw VolumeError("subPath \"\(subPath)\": cannot resolve \(candidate)")
        }
        guard resolved == root || resolved.hasPrefix(root == "/" ? "/" : root + "/") else {
            throw VolumeError("subpath \"\(resolved)\" not within volume path \"\(root)\"")
        }
        return resolved
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Forgets the pod and removes its volume directories (never following a symlink or leaving the pod's dir;
    /// hostPath and claim directories are the node's and stay).
    func tearDown(podUID: String) async {
        pods[podUID] = nil
        await tokens?.forget(podUID: podUID)
        do { try AtomicFile.removeTree("\(podDir(podUID))/volumes") } catch {
            logger.warning("could not remove the pod's volumes: \(error)", metadata: ["uid": "\(podUID)"])
        }
        // The pod's dir goes too once nothing else (container checkpoints) is in it.
        rmdir(podDir(podUID))
    }

    /// Removes the volumes of pod dirs under the root dir that belong to no pod in `active` (pods removed while the
    /// kubelet was down, or that never got past their volumes); the rest of such a dir (its container checkpoints)
    /// is the checkpoint store's.
    func cleanUpOrphans(active: Set<String>) async {
        for uid in AtomicFile.listDirectory("\(rootDir)/pods") ?? [] where !active.contains(uid) && pods[uid] == nil {
            guard AtomicWriter.exists("\(podDir(uid))/volumes") else { continue }
            logger.info("removing the volumes of an orphaned pod", metadata: ["uid": "\(uid)"])
            await tearDown(podUID: uid)
        }
    }

    /// Whether the pod's volumes were set up (for tests and the runtime).
    func isSetUp(_ uid: String) -> Bool { pods[uid] != nil }
}
