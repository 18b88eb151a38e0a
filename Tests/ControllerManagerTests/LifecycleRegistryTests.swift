@testable import KubeControllerManager
import Testing

@Suite struct LifecycleRegistryTests {
    /// `--controllers` names, service accounts (`system:serviceaccount:kube-system:<name>`) and event components as
    /// upstream's kube-controller-manager has them.
    @Test func descriptorsUseUpstreamsNames() throws {
        let byName = Dictionary(uniqueKeysWithValues: ControllerRegistry.lifecycle.map { ($0.name, ($0.serviceAccount, $0.component)) })
        let expected: [String: (String, String)] = [
            "node-lifecycle": ("node-controller", "node-controller"),
            "taint-eviction-controller": ("node-controller", "taint-eviction-controller"),
            "endpoints": ("endpoint-controller", "endpoint-controller"),
            "endpointslice": ("endpointslice-controller", "endpoint-slice-controller"),
            "pod-garbage-collector": ("pod-garbage-collector", "pod-garbage-collector"),
            "persistentvolume-protection": ("pv-protection-controller", "pv-protection-controller"),
            "persistentvolumeclaim-protection": ("pvc-protection-controller", "pvc-protection-controller"),
            "resourcequota": ("resourcequota-controller", "resourcequota-controller"),
            "disruption": ("disruption-controller", "controllermanager"),
        ]
        #expect(Set(byName.keys) == Set(expected.keys))
        for (name, (account, component)) in expected {
            #expect(byName[name]?.0 == account, "\(name)")
            #expect(byName[name]?.1 == component, "\(name)")
        }
        let selected = try ControllerManager.select(["*", "-disruption"], from: ControllerRegistry.all)
        #expect(selected.contains { $0.name == "node-lifecycle" })
        #expect(!selected.contains { $0.name == "disruption" })
    }
}
