import Foundation
import KubestrapTesting
import Testing

/// `bootstrap init phase addon all` against a running API server (`bootstrap test-env`): the RuntimeClass
/// `host-process` and kubeadm's kube-proxy objects are created, a second run updates them in place, and kube-proxy's
/// service account may do what kube-proxy does. Pods naming the RuntimeClass (as the static pods' mirror pods do) are
/// accepted.
@Suite(.serialized, .enabled(if: kubectlPath != nil, "needs kubectl"))
struct AddonPhaseBinaryTests {
    @Test func addonsAreAppliedAndReapplied() async throws {
        let kubectl = try #require(kubectlPath)
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = try TetheredProcess(executable: bootstrapBinary,
                                      arguments: ["test-env", "--dir", dir, "--without-scheduler"],
                                      standardOutput: FileHandle.nullDevice, standardError: FileHandle.nullDevice)
        defer { env.killAndWait() }
        let kubeconfig = dir + "/admin.conf"
        func k(_ args: String...) async throws -> (code: Int32, out: String, err: String) {
            try await run(kubectl, ["--kubeconfig", kubeconfig] + args)
        }
        let deadline = ContinuousClock.now + .seconds(120)
        var ready = false
        while !ready, ContinuousClock.now < deadline {
            ready = FileManager.default.fileExists(atPath: kubeconfig) ? (try await k("get", "namespace", "kube-system")).code == 0 : false
            if !ready { try await Task.sleep(for: .milliseconds(200)) }
        }
        try #require(ready, "test-env did not come up")

        // A mirror pod names the RuntimeClass before the addon phase creates it; nothing refuses it.
        let pod = dir + "/pod.json"
        try #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"static-like","namespace":"kube-system"},"spec":{"runtimeClassName":"host-process","hostNetwork":true,"containers":[{"name":"c","image":"registry.k8s.io/pause:3.10"}]}}"#
            .write(toFile: pod, atomically: true, encoding: .utf8)
        // The ServiceAccount admission wants kube-system's default account, which the controller manager makes.
        var created = try await k("create", "-f", pod)
        while created.code != 0, created.err.contains("serviceaccount"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            created = try await k("create", "-f", pod)
        }
        #expect(created.code == 0, "\(created.err)")

        for round in 1...2 {
            let addon = try await run(bootstrapBinary, ["init", "phase", "addon", "all", "--kubeconfig-dir", dir,
                                                        "--pod-network-cidr", round == 1 ? "10.244.0.0/16" : "10.32.0.0/12"])
            #expect(addon.code == 0, "round \(round): \(addon.err)")
            #expect(addon.out.contains("[addons] Applied essential addon: RuntimeClass host-process\n[addons] Applied essential addon: kube-proxy\n"))
        }
        #expect(try await k("get", "runtimeclass", "host-process", "-o", "jsonpath={.handler}").out == "host-process")
        let daemonSet = try await k("get", "daemonset", "kube-proxy", "-n", "kube-system", "-o",
                                    "jsonpath={.spec.template.spec.runtimeClassName} {.spec.template.spec.containers[0].command}")
        #expect(daemonSet.out == "host-process [\"/usr/local/bin/kube-proxy\",\"--config=/var/lib/kube-proxy/config.conf\",\"--hostname-override=$(NODE_NAME)\"]")
        // The second run replaced the ConfigMap: the new pod network is kube-proxy's cluster CIDR.
        let config = try await k("get", "configmap", "kube-proxy", "-n", "kube-system", "-o", "jsonpath={.data.config\\.conf}")
        #expect(config.out.contains("clusterCIDR: 10.32.0.0/12\n"))
        let proxier = "system:serviceaccount:kube-system:kube-proxy"
        for (verb, resource) in [("list", "endpointslices.discovery.k8s.io"), ("watch", "services"), ("get", "nodes")] {
            #expect(try await k("auth", "can-i", verb, resource, "--as", proxier).out == "yes\n", "\(verb) \(resource)")
        }
        #expect(try await k("auth", "can-i", "delete", "services", "--as", proxier).out == "no\n")
    }
}
