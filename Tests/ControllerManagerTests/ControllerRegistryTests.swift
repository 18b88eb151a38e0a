@testable import KubeControllerManager
import Testing

@Suite struct ControllerRegistryTests {
    @Test func workloadControllersAreRegisteredAsUpstreamNamesThem() {
        let byName = Dictionary(ControllerRegistry.all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let expected = [("replicaset", "replicaset-controller", "replicaset-controller"),
                        ("statefulset", "statefulset-controller", "statefulset-controller"),
                        ("daemonset", "daemon-set-controller", "daemonset-controller"),
                        ("job", "job-controller", "job-controller"),
                        ("cronjob", "cronjob-controller", "cronjob-controller"),
                        ("ttl-after-finished", "ttl-after-finished-controller", "ttl-after-finished-controller")]
        for (name, account, component) in expected {
            #expect(byName[name]?.serviceAccount == account, "\(name)")
            #expect(byName[name]?.component == component, "\(name)")
            #expect(byName[name]?.enabledByDefault == true, "\(name)")
        }
    }
}

@Suite struct CertificateControllerRegistryTests {
    @Test func certificateControllersActAsTheCertificateController() {
        let byName = Dictionary(ControllerRegistry.all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for name in ["csrsigning", "csrapproving", "csrcleaner"] {
            #expect(byName[name]?.serviceAccount == "certificate-controller", "\(name)")
            #expect(byName[name]?.enabledByDefault == true, "\(name)")
        }
    }
}
