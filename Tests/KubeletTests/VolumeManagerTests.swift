import Foundation
import KubeAPI
import KubeClient
import KubeJSON
@testable import Kubelet
import Synchronization
import Testing

/// The volume manager against a FakeClient: upstream's layout, configMap/secret/downwardAPI/projected content and
/// its resync, FailedMount reasons, service account tokens and their renewal, claims, subPath and tear-down.
@Suite struct VolumeManagerTests {
    static func pod(uid: String = "uid-1", volumes: [Volume], mounts: [VolumeMount] = [], serviceAccount: String? = nil) -> KubeletPod {
        var container = Container(name: "c", image: "busybox", command: ["sleep", "1"])
        container.volumeMounts = mounts
        var spec = PodSpec(containers: [container])
        spec.volumes = volumes
        spec.serviceAccountName = serviceAccount
        var meta = ObjectMeta(name: "web", namespace: "default")
        meta.uid = uid
        meta.labels = ["app": "web", "tier": "front\"end"]
        return KubeletPod(pod: Pod(metadata: meta, spec: spec), uid: uid, sourcePath: "", source: .api)
    }

    static func configMap(_ name: String, _ data: [String: String]) -> JSONValue {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": "default"],
         "data": .object(data.mapValues { .string($0) })]
    }

    func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    @Test func configMapAndSecretVolumesFollowTheirObjects() async throws {
        let dir = try TempDir()
        let client = FakeClient([
            (.configMaps, Self.configMap("settings", ["mode": "blue", "size": "3"])),
            (.secrets, ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "creds", "namespace": "default"],
                        "data": ["password": .string(Data("s3cret".utf8).base64EncodedString())]]),
        ])
        var cm = Volume(name: "config")
        cm.configMap = ConfigMapVolumeSource(name: "settings")
        var secret = Volume(name: "creds")
        secret.secret = SecretVolumeSource(secretName: "creds", items: [KeyToPath(key: "password", path: "db/password", mode: 0o400)])
        let pod = Self.pod(volumes: [cm, secret], mounts: [VolumeMount(name: "config", mountPath: "/etc/app"),
                                                           VolumeMount(name: "creds", mountPath: "/etc/app/creds")])
        let manager = VolumeManager(rootDir: dir.path, api: client, logger: testLogger)
        let failures = await manager.setUp(pod)
        #expect(failures.isEmpty)

        let cmDir = "\(dir.path)/pods/uid-1/volumes/kubernetes.io~configmap/config"
        let secretDir = "\(dir.path)/pods/uid-1/volumes/kubernetes.io~secret/creds"
        #expect(read("\(cmDir)/mode") == "blue")
        #expect(read("\(secretDir)/db/password") == "s3cret")
        var st = stat()
        #expect(stat("\(cmDir)/mode", &st) == 0 && st.st_mode & 0o7777 == 0o644)
        #expect(stat("\(secretDir)/db/password", &st) == 0 && st.st_mode & 0o7777 == 0o400)
        #expect(stat(secretDir, &st) == 0 && st.st_mode & 0o022 == 0)

        // What the runtime mounts: API data read-only, parents before what lies under them.
        let mounts = try await manager.mounts(for: pod, container: pod.pod.spec.containers[0])
        #expect(mounts == [ContainerMount(hostPath: cmDir, containerPath: "/etc/app", readOnly: true),
                           ContainerMount(hostPath: secretDir, containerPath: "/etc/app/creds", readOnly: true)])

        // An edit reaches the file on the next resync; a removed key disappears.
        _ = try await client.update(.configMaps, namespace: "default", object: Self.configMap("settings", ["mode": "green"]), subresource: nil)
        await manager.resync()
        #expect(read("\(cmDir)/mode") == "green")
        #expect(!FileManager.default.fileExists(atPath: "\(cmDir)/size"))

        // Tear-down removes the pod's volumes, and its dir with nothing else in it.
        await manager.tearDown(podUID: "uid-1")
        #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/pods/uid-1"))
    }

    @Test func missingObjectsAndKeysAreFailedMountsUnlessOptional() async throws {
        let dir = try TempDir()
        let client = FakeClient([(.configMaps, Self.configMap("present", ["a": "1"]))])
        var missing = Volume(name: "x")
        missing.configMap = ConfigMapVolumeSource(name: "y")
        var optional = Volume(name: "maybe")
        optional.configMap = ConfigMapVolumeSource(name: "y", optional: true)
        var missingKey = Volume(name: "key")
        missingKey.configMap = ConfigMapVolumeSource(name: "present", items: [KeyToPath(key: "nope", path: "p")])
        var missingSecret = Volume(name: "s")
        missingSecret.secret = SecretVolumeSource(secretName: "gone")
        let manager = VolumeManager(rootDir: dir.path, api: client, logger: testLogger)
        let failures = await manager.setUp(Self.pod(volumes: [missing, optional, missingKey, missingSecret]))
        #expect(failures.map { "MountVolume.SetUp failed for volume \"\($0.volume)\" : \($0.error)" } == [
            "MountVolume.SetUp failed for volume \"x\" : configmap \"y\" not found",
            "MountVolume.SetUp failed for volume \"key\" : configmap references non-existent config key: nope",
            "MountVolume.SetUp failed for volume \"s\" : secret \"gone\" not found",
        ])
        // The optional one is there, empty.
        #expect(FileManager.default.fileExists(atPath: "\(dir.path)/pods/uid-1/volumes/kubernetes.io~configmap/maybe/..data"))

        // Once the ConfigMap exists, the volume sets up.
        _ = try client.insert(.configMaps, Self.configMap("y", ["k": "v"]))
        let again = await manager.setUp(Self.pod(volumes: [missing]))
        #expect(again.isEmpty)
        #expect(read("\(dir.path)/pods/uid-1/volumes/kubernetes.io~configmap/x/k") == "v")
    }

    /// The kube-api-access volume the ServiceAccount admission plugin adds: a bound token (3607 s), the cluster CA
    /// and the namespace; the token is requested again after 80% of its life and not before.
    @Test func projectedServiceAccountTokenIsBoundToThePodAndRenewed() async throws {
        let dir = try TempDir()
        let client = FakeClient([(.configMaps, Self.configMap("kube-root-ca.crt", ["ca.crt": "CA PEM"]))])
        let requests = Mutex<[JSONValue]>([])
        client.onCreate(.serviceAccounts) { request in
            let n = requests.withLock { $0.append(request); return $0.count }
            return ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": request["spec"] ?? .null,
                    "status": ["token": .string("token-\(n)"), "expirationTimestamp": "2026-05-28T21:06:40Z"]]
        }
        let clock = Mutex<Double>(RFC3339.parse("2026-05-28T20:06:33Z")?.timeIntervalSince1970 ?? 0)
        var access = Volume(name: "kube-api-access-abcde")
        access.projected = ProjectedVolumeSource(sources: [
            VolumeProjection(serviceAccountToken: ServiceAccountTokenProjection(expirationSeconds: 3607, path: "token")),
            VolumeProjection(configMap: ConfigMapProjection(name: "kube-root-ca.crt", items: [KeyToPath(key: "ca.crt", path: "ca.crt")])),
            VolumeProjection(downwardAPI: DownwardAPIProjection(items: [
                DownwardAPIVolumeFile(path: "namespace", fieldRef: ObjectFieldSelector(apiVersion: "v1", fieldPath: "metadata.namespace"))])),
        ], defaultMode: 420)
        let pod = Self.pod(volumes: [access], serviceAccount: "builder")
        let manager = VolumeManager(rootDir: dir.path, api: client, logger: testLogger, now: { clock.withLock { $0 } })
        #expect(await manager.setUp(pod).isEmpty)
        let volume = "\(dir.path)/pods/uid-1/volumes/kubernetes.io~projected/kube-api-access-abcde"
        #expect(read("\(volume)/token") == "token-1")
        #expect(read("\(volume)/ca.crt") == "CA PEM")
        #expect(read("\(volume)/namespace") == "default")

        let request = try #require(requests.withLock { $0.first })
        #expect(request[path: ["metadata", "name"]]?.string == "builder")
        #expect(request[path: ["spec", "expirationSeconds"]]?.int == 3607)
        #expect(request[path: ["spec", "boundObjectRef"]] == ["apiVersion": "v1", "kind": "Pod", "name": "web", "uid": "uid-1"])
        #expect(request[path: ["spec", "audiences"]] == nil)
        #expect(client.actions.contains { $0.resource == "serviceaccounts" && $0.namespace == "default" })

        // At 79% of its life the token is kept; past 80% it is renewed.
        clock.withLock { $0 += 3607 * 0.79 }
        await manager.resync()
        #expect(read("\(volume)/token") == "token-1")
        clock.withLock { $0 += 3607 * 0.02 }
        await manager.resync()
        #expect(read("\(volume)/token") == "token-2")
        #expect(requests.withLock { $0.count } == 2)
    }

    @Test func downwardAPIFilesAndTheirFormat() async throws {
        let dir = try TempDir()
        var downward = Volume(name: "info")
        downward.downwardAPI = DownwardAPIVolumeSource(items: [
            DownwardAPIVolumeFile(path: "labels", fieldRef: ObjectFieldSelector(fieldPath: "metadata.labels")),
            DownwardAPIVolumeFile(path: "name", fieldRef: ObjectFieldSelector(fieldPath: "metadata.name"), mode: 0o600),
            DownwardAPIVolumeFile(path: "uid", fieldRef: ObjectFieldSelector(fieldPath: "metadata.uid")),
            DownwardAPIVolumeFile(path: "app", fieldRef: ObjectFieldSelector(fieldPath: "metadata.labels['app']")),
        ])
        let manager = VolumeManager(rootDir: dir.path, api: nil, logger: testLogger)
        #expect(await manager.setUp(Self.pod(volumes: [downward])).isEmpty)
        let volume = "\(dir.path)/pods/uid-1/volumes/kubernetes.io~downward-api/info"
        #expect(read("\(volume)/labels") == "app=\"web\"\ntier=\"front\\\"end\"")
        #expect(read("\(volume)/name") == "web")
        #expect(read("\(volume)/uid") == "uid-1")
        #expect(read("\(volume)/app") == "web")
        var st = stat()
        #expect(stat("\(volume)/name", &st) == 0 && st.st_mode & 0o7777 == 0o600)
    }

    @Test func claimsMountTheirBoundHostPathVolume() async throws {
        let dir = try TempDir()
        let data = "\(dir.path)/pv-data"
        let client = FakeClient([
            (.persistentVolumeClaims, ["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": ["name": "data", "namespace": "default"],
                                       "spec": ["volumeName": "pv1"], "status": ["phase": "Bound"]]),
            (.persistentVolumeClaims, ["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": ["name": "waiting", "namespace": "default"],
                                       "spec": [:], "status": ["phase": "Pending"]]),
            (.persistentVolumes, ["apiVersion": "v1", "kind": "PersistentVolume", "metadata": ["name": "pv1"],
                                  "spec": ["hostPath": ["path": .string(data), "type": "DirectoryOrCreate"], "accessModes": ["ReadWriteOnce"]]]),
        ])
        var claim = Volume(name: "data")
        claim.persistentVolumeClaim = PersistentVolumeClaimVolumeSource(claimName: "data", readOnly: true)
        var pending = Volume(name: "later")
        pending.persistentVolumeClaim = PersistentVolumeClaimVolumeSource(claimName: "waiting")
        var unknown = Volume(name: "nope")
        unknown.persistentVolumeClaim = PersistentVolumeClaimVolumeSource(claimName: "absent")
        let pod = Self.pod(volumes: [claim, pending, unknown], mounts: [VolumeMount(name: "data", mountPath: "/data", subPath: "app")])
        let manager = VolumeManager(rootDir: dir.path, api: client, logger: testLogger)
        let failures = await manager.setUp(pod)
        #expect(failures.map(\.volume) == ["later", "nope"])
        #expect(failures.last?.error.description == "persistentvolumeclaim \"absent\" not found")
        #expect(failures.first?.error.description.contains("non-bound phase (\"Pending\")") == true)
        // The PV's hostPath was made (DirectoryOrCreate), the subPath inside it; the claim's readOnly holds.
        let mounts = try await manager.mounts(for: pod, container: pod.pod.spec.containers[0])
        #expect(mounts == [ContainerMount(hostPath: "\(data)/app", containerPath: "/data", readOnly: true)])
        #expect(FileManager.default.fileExists(atPath: "\(data)/app"))

        // Tear-down leaves the node's directory alone.
        await manager.tearDown(podUID: "uid-1")
        #expect(FileManager.default.fileExists(atPath: "\(data)/app"))
    }

    @Test func subPathMayNotLeaveItsVolume() async throws {
        let dir = try TempDir()
        let outside = "\(dir.path)/outside"
        try FileManager.default.createDirectory(atPath: "\(dir.path)/vol", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: "\(dir.path)/vol/link", withDestinationPath: outside)
        #expect(throws: VolumeError.self) { try VolumeManager.resolve(subPath: "link", in: "\(dir.path)/vol") }
        #expect(throws: VolumeError.self) { try VolumeManager.resolve(subPath: "../outside", in: "\(dir.path)/vol") }
        #expect(throws: VolumeError.self) { try VolumeManager.resolve(subPath: "/etc", in: "\(dir.path)/vol") }
        #expect(try VolumeManager.resolve(subPath: "a/b", in: "\(dir.path)/vol").hasSuffix("/vol/a/b"))
    }

    @Test func tearDownNeverFollowsSymlinksOutOfThePod() async throws {
        let dir = try TempDir()
        let precious = "\(dir.path)/precious"
        try FileManager.default.createDirectory(atPath: precious, withIntermediateDirectories: true)
        try dir.write("precious/keep", "x")
        var scratch = Volume(name: "scratch")
        scratch.emptyDir = EmptyDirVolumeSource()
        let manager = VolumeManager(rootDir: dir.path, api: nil, logger: testLogger)
        #expect(await manager.setUp(Self.pod(volumes: [scratch])).isEmpty)
        let scratchDir = "\(dir.path)/pods/uid-1/volumes/kubernetes.io~empty-dir/scratch"
        var st = stat()
        #expect(stat(scratchDir, &st) == 0 && st.st_mode & 0o7777 == 0o777)
        try FileManager.default.createSymbolicLink(atPath: "\(scratchDir)/escape", withDestinationPath: precious)
        await manager.tearDown(podUID: "uid-1")
        #expect(!FileManager.default.fileExists(atPath: scratchDir))
        #expect(FileManager.default.fileExists(atPath: "\(precious)/keep"))
    }

    @Test func subPathExprExpandsTheContainersEnvironment() async throws {
        let dir = try TempDir()
        var scratch = Volume(name: "logs")
        scratch.emptyDir = EmptyDirVolumeSource()
        var mount = VolumeMount(name: "logs", mountPath: "/var/log/app")
        mount.subPathExpr = "$(POD_NAME)/app"
        var pod = Self.pod(volumes: [scratch], mounts: [mount])
        let env = try JSONDecoder().decode(EnvVar.self, from: Data(#"{"name":"POD_NAME","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}"#.utf8))
        pod.pod.spec.containers[0].env = [env]
        let manager = VolumeManager(rootDir: dir.path, api: nil, logger: testLogger)
        #expect(await manager.setUp(pod).isEmpty)
        // The runtime passes the container's resolved environment (ContainerEnvironment.resolve: POD_NAME=web here).
        let mounts = try await manager.mounts(for: pod, container: pod.pod.spec.containers[0], environment: [("POD_NAME", "web")])
        #expect(mounts.map(\.hostPath) == ["\(dir.path)/pods/uid-1/volumes/kubernetes.io~empty-dir/logs/web/app"])
    }

    @Test func volumesOfPodsThatAreGoneAreRemoved() async throws {
        let dir = try TempDir()
        var scratch = Volume(name: "s")
        scratch.emptyDir = EmptyDirVolumeSource()
        let manager = VolumeManager(rootDir: dir.path, api: nil, logger: testLogger)
        #expect(await manager.setUp(Self.pod(uid: "kept", volumes: [scratch])).isEmpty)
        // A pod dir left by an earlier kubelet.
        try FileManager.default.createDirectory(atPath: "\(dir.path)/pods/old/volumes/kubernetes.io~empty-dir/s", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(dir.path)/pods/old/containers/c", withIntermediateDirectories: true)
        await manager.cleanUpOrphans(active: [])
        #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/pods/old/volumes"))
        #expect(FileManager.default.fileExists(atPath: "\(dir.path)/pods/old/containers/c"))   // the checkpoint store's
        #expect(FileManager.default.fileExists(atPath: "\(dir.path)/pods/kept/volumes/kubernetes.io~empty-dir/s"))
    }
}
