import Testing
import Crypto
import Foundation
@testable import Kubelet
import KubeAPI

@Suite struct StaticPodParserTests {
    let manifest = podYAML(name: "kube-apiserver", namespace: "kube-system", script: "sleep 1")

    @Test func givesUpstreamIdentityAndDefaults() throws {
        let (pod, warnings) = try StaticPodParser.parse(path: "/m/a.yaml", text: manifest, nodeName: "Node1")
        #expect(warnings.isEmpty)
        #expect(pod.name == "kube-apiserver-node1")
        #expect(pod.namespace == "kube-system")
        #expect(pod.fullName == "kube-apiserver-node1_kube-system")
        #expect(pod.uid.count == 32)
        let annotations = pod.pod.metadata.annotations ?? [:]
        #expect(annotations["kubernetes.io/config.hash"] == pod.uid)
        #expect(annotations["kubernetes.io/config.source"] == "file")
        #expect(annotations["kubernetes.io/config.seen"]?.hasSuffix("Z") == true)
        #expect(pod.pod.spec.nodeName == "node1")
        #expect(pod.pod.spec.restartPolicy == "Always")
        #expect(pod.pod.spec.terminationGracePeriodSeconds == 2)
        #expect(pod.pod.spec.dnsPolicy == "ClusterFirst")
        #expect(pod.pod.spec.containers[0].imagePullPolicy == "IfNotPresent")
        #expect(pod.pod.spec.tolerations?.contains { $0.operator == "Exists" && $0.effect == "NoExecute" } == true)
    }

    @Test func uidDependsOnNodePathAndContent() throws {
        let a = try StaticPodParser.parse(path: "/m/a.yaml", text: manifest, nodeName: "n1").0.uid
        #expect(try StaticPodParser.parse(path: "/m/a.yaml", text: manifest, nodeName: "n1").0.uid == a)
        #expect(try StaticPodParser.parse(path: "/m/b.yaml", text: manifest, nodeName: "n1").0.uid != a)
        #expect(try StaticPodParser.parse(path: "/m/a.yaml", text: manifest, nodeName: "n2").0.uid != a)
        let changed = manifest.replacingOccurrences(of: "sleep 1", with: "sleep 2")
        #expect(try StaticPodParser.parse(path: "/m/a.yaml", text: changed, nodeName: "n1").0.uid != a)
    }

    @Test func jsonManifestsWork() throws {
        let json = #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"},"spec":{"containers":[{"name":"c","image":"i","command":["true"]}]}}"#
        let (pod, _) = try StaticPodParser.parse(path: "/m/j.json", text: json, nodeName: "n1")
        #expect(pod.name == "j-n1")
        #expect(pod.namespace == "default")
    }

    @Test func badManifestsAreRejectedWithTheReason() {
        let cases: [(String, String)] = [
            ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers: []\n", "spec.containers: Required value"),
            ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: c\n    image: i\n", "spec.containers[0].command: Required value"),
            ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: X\nspec:\n  containers:\n  - {name: c, image: i, command: [a]}\n", "metadata.name: Invalid value: \"X-n1\""),
            ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  restartPolicy: Sometimes\n  containers:\n  - {name: c, image: i, command: [a]}\n", "spec.restartPolicy: Unsupported value: \"Sometimes\""),
            ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n", "expected apiVersion v1 and kind Pod"),
            ("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: i, command: [a]}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: c, image: i, command: [a]}]}\n", "holds 2 documents"),
            ("apiVersion: v1\nkind: Pod\nspec:\n  containers: [\n", "invalid YAML"),
            ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: c\n    image: i\n    command: [a]\n    livenessProbe:\n      periodSeconds: 1\n", "livenessProbe: Required value: must specify a handler type"),
        ]
        for (text, expected) in cases {
            let error = #expect(throws: ManifestError.self) { try StaticPodParser.parse(path: "/m/bad.yaml", text: text, nodeName: "n1") }
            #expect(error?.description.contains(expected) == true, "expected \(expected) in \(String(describing: error))")
            #expect(error?.path == "/m/bad.yaml")
        }
    }

    /// A static pod may use downwardAPI volumes, not the sources that reference API objects.
    @Test func staticPodsMayUseDownwardAPIButNotConfigMaps() throws {
        func manifest(_ volume: String) -> String {
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: x}
            spec:
              volumes:
              - \(volume)
              containers:
              - {name: c, image: i, command: [a]}
            """
        }
        let (pod, _) = try StaticPodParser.parse(
            path: "/m/x.yaml", text: manifest("{name: info, downwardAPI: {items: [{path: name, fieldRef: {fieldPath: metadata.name}}]}}"),
            nodeName: "n1")
        #expect(pod.pod.spec.volumes?.first?.downwardAPI?.items?.first?.path == "name")
        #expect(throws: ManifestError.self) {
            try StaticPodParser.parse(path: "/m/x.yaml", text: manifest("{name: cfg, configMap: {name: settings}}"), nodeName: "n1")
        }
    }

    /// A hostPath mounted at another path is no warning any more: the container's mount namespace honours it.
    @Test func unknownFieldsAreWarningsAndRemappedMountsAreNot() throws {
        let text = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: x
            spec:
              volumes:
              - name: certs
                hostPath: {path: /etc/ssl/certs, type: DirectoryOrCreate}
              containers:
              - name: c
                image: i
                command: [a]
                volumeMounts:
                - {name: certs, mountPath: /certs}
                colour: blue
            """
        let (_, warnings) = try StaticPodParser.parse(path: "/m/x.yaml", text: text, nodeName: "n1")
        #expect(warnings.contains("unknown field \"spec.containers[0].colour\" is ignored"))
        #expect(warnings == ["unknown field \"spec.containers[0].colour\" is ignored"])
    }
}

@Suite struct SupportTypeTests {
    @Test func crashLoopBackOffDoublesToFiveMinutesAndResets() {
        var backoff = CrashLoopBackOff()
        #expect(backoff.delay(afterRunning: 0.1) == 0)          // first restart is immediate
        #expect(backoff.delay(afterRunning: 0) == 10)
        #expect(backoff.delay(afterRunning: 5) == 15)           // measured from the last start
        #expect(backoff.delay(afterRunning: 0) == 40)
        for _ in 0..<10 { _ = backoff.delay(afterRunning: 0) }
        #expect(backoff.current == 300)
        #expect(backoff.delay(afterRunning: 601) == 0)          // ten clean minutes forget the backoff
        #expect(backoff.current == 10)
    }

    @Test func variableExpansionFollowsUpstream() {
        let env = ["A": "1", "B": "two"]
        let lookup: (String) -> String? = { env[$0] }
        #expect(ContainerEnvironment.expand("x$(A)y$(B)", lookup) == "x1ytwo")
        #expect(ContainerEnvironment.expand("$(MISSING)", lookup) == "$(MISSING)")
        #expect(ContainerEnvironment.expand("$$(A)", lookup) == "$(A)")
        #expect(ContainerEnvironment.expand("cost $5", lookup) == "cost $5")
    }

    @Test func fieldRefsReadTheDownwardAPI() async throws {
        let manifest = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: idx
          namespace: jobs
          labels: {app: web}
          annotations: {batch.kubernetes.io/job-completion-index: "2"}
        spec:
          serviceAccountName: runner
          containers:
          - name: c
            image: busybox
            command: [sh]
            env:
            - {name: INDEX, valueFrom: {fieldRef: {fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}}
            - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
            - {name: NONE, valueFrom: {fieldRef: {fieldPath: "metadata.labels['missing']"}}}
            - {name: SA, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}
            - {name: NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
        """
        let (pod, _) = try StaticPodParser.parse(path: "/m/idx.yaml", text: manifest, nodeName: "n1")
        let container = try #require(pod.pod.spec.containers.first)
        let dir = try TempDir()
        let context = try EnvironmentResolverTests.context(dir, api: nil)
        let env = Dictionary(try await ContainerEnvironment.resolve(container: container, pod: pod, context: context), uniquingKeysWith: { $1 })
        #expect(env["INDEX"] == "2" && env["APP"] == "web" && env["NONE"] == "" && env["SA"] == "runner" && env["NS"] == "jobs")
    }

    @Test func backupNamesAreRecognised() {
        for name in ["kube-apiserver.yaml.bak", "a.yaml~", "a.orig", "a.yaml.swp", "notes.txt", "noext"] {
            #expect(StaticPodSource.looksLikeBackup(name), "\(name)")
        }
        for name in ["a.yaml", "b.yml", "c.json"] { #expect(!StaticPodSource.looksLikeBackup(name)) }
    }

    @Test func kubeadmsKubeletConfigParsesAndUnknownFieldsFail() throws {
        let dir = try TempDir()
        try dir.write("config.yaml", """
            apiVersion: kubelet.config.k8s.io/v1beta1
            kind: KubeletConfiguration
            authentication:
              anonymous: {enabled: false}
              webhook: {cacheTTL: 0s, enabled: true}
              x509: {clientCAFile: /etc/kubernetes/pki/ca.crt}
            authorization:
              mode: Webhook
              webhook: {cacheAuthorizedTTL: 0s, cacheUnauthorizedTTL: 0s}
            cgroupDriver: systemd
            clusterDNS: [10.96.0.10]
            clusterDomain: cluster.local
            fileCheckFrequency: 0s
            healthzBindAddress: 127.0.0.1
            healthzPort: 10248
            logging: {}
            rotateCertificates: true
            staticPodPath: /etc/kubernetes/manifests
            containerLogMaxSize: 5Mi
            """)
        let config = try KubeletConfigFile.load(path: "\(dir.path)/config.yaml")
        let settings = try KubeletSettings(configuration: config, rootDir: "/var/lib/kubelet", nodeName: "n1")
        #expect(settings.staticPodPath == "/etc/kubernetes/manifests")
        #expect(settings.fileCheckFrequency == 20)          // 0s means "use the default"
        #expect(settings.containerLogMaxSize == 5 * 1024 * 1024)
        #expect(settings.podLogsDir == "/var/log/pods")
        #expect(settings.containerLogsDir == "/var/log/containers")
        #expect(KubeletConfigFile.setButNotActedOn(config).contains("cgroupDriver"))

        try dir.write("bad.yaml", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nstaticPodPth: /x\n")
        let error = #expect(throws: (any Error).self) { try KubeletConfigFile.load(path: "\(dir.path)/bad.yaml") }
        #expect("\(error!)".contains("unknown field \"staticPodPth\""))
    }
}

@Suite struct HostProcessTests {
    @Test func anExitedButUnreapedProcessIsNotAlive() async throws {
        let process = try HostProcess.spawn(argv: ["/bin/sh", "-c", "exit 3"], environment: [], workingDir: nil)
        close(process.stdoutRead)
        close(process.stderrRead)
        // Not reaped yet, so it is a zombie: it has exited all the same.
        #expect(await eventually { !process.isAlive })
        #expect(HostProcess.adopt(pid: process.pid, startTicks: process.startTicks) == nil)
        #expect(await process.waitForExit() == .exited(3))
    }
}

@Suite struct MD5Tests {
    /// RFC 1321's test suite, including inputs that span more than one 64-byte block.
    @Test func matchesTheRFCTestSuite() {
        let vectors = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
        ]
        for (input, digest) in vectors {
            #expect(Hex.encode(MD5.hash(Array(input.utf8))) == digest, "md5(\"\(input)\")")
        }
    }

    @Test func agreesWithBoringSSLAcrossPaddingBoundaries() {
        // 55, 56 and 64 bytes are where the length field does or does not fit in the last block.
        for count in [55, 56, 63, 64, 65, 119, 120, 1000, 70_000] {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
            var split = MD5()
            split.update(bytes.prefix(7))
            split.update(bytes.dropFirst(7))
            #expect(split.finalize() == Array(Insecure.MD5.hash(data: bytes)), "\(count) bytes")
        }
    }
}
