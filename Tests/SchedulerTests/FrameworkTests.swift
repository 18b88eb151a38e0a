import ControllerRuntime
import KubeJSON
@testable import KubeScheduler
import Testing

/// The plugins and the cycle over a handful of nodes, without a queue or an API.
@Suite struct FrameworkTests {
    let claims = ObjectCache(), volumes = ObjectCache(), classes = ObjectCache()

    var framework: Framework {
        PluginCatalog.framework(for: .init(), listers: .init(claims: claims, volumes: volumes, classes: classes))
    }

    func node(_ json: JSONValue, pods: [JSONValue] = []) -> NodeInfo {
        var info = NodeInfo(name: json[path: ["metadata", "name"]]?.string ?? "")
        info.setNode(json)
        for pod in pods {
            var bound = pod
            bound[path: ["spec", "nodeName"]] = .string(info.name)
            info.add(PodInfo(bound))
        }
        return info
    }

    func decide(_ pod: JSONValue, _ nodes: [NodeInfo]) -> (node: String?, message: String?) {
        switch framework.schedule(PodInfo(pod), nodes: nodes) {
        case .node(let name, _): return (name, nil)
        case .unschedulable(let error, _): return (nil, error.message)
        case .preempt(let error, let node, _): return ("preempt:" + node, error.message)
        }
    }

    @Test func reasonsAreCountedAndSortedAsUpstream() {
        let nodes = [node(Fixtures.node("a", cpu: "1"), pods: [Fixtures.pod("x", cpu: "800m")]),
                     node(Fixtures.node("b", cpu: "1"), pods: [Fixtures.pod("y", cpu: "900m")]),
                     node(Fixtures.node("c", taints: [["key": "dedicated", "value": "db", "effect": "NoExecute"]])),
                     node(Fixtures.node("d", ready: false))]
        #expect(decide(Fixtures.pod("p", cpu: "500m"), nodes).message
            == "0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 2 Insufficient cpu. preemption: 0/4 nodes are available: 2 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.")
        #expect(decide(Fixtures.pod("p"), []).message == "no nodes available to schedule pods")
    }

    @Test func tolerationsCordonsPortsAndPodCounts() {
        var tolerant = Fixtures.pod("p")
        tolerant[path: ["spec", "tolerations"]] = [["key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"]]
        var cordoned = Fixtures.node("cordoned")
        cordoned[path: ["spec", "unschedulable"]] = true
        #expect(decide(Fixtures.pod("p"), [node(cordoned)]).message?.hasPrefix("0/1 nodes are available: 1 node(s) were unschedulable.") == true)
        #expect(decide(tolerant, [node(cordoned)]).node == "cordoned")

        var web = Fixtures.pod("web")
        web[path: ["spec", "containers"]] = [["name": "c", "image": "nginx", "ports": [["containerPort": 80, "hostPort": 8080]]]]
        #expect(decide(web, [node(Fixtures.node("n"), pods: [web])]).message?
            .hasPrefix("0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports.") == true)
        #expect(decide(web, [node(Fixtures.node("full", pods: "1"), pods: [Fixtures.pod("x")])]).message?
            .hasPrefix("0/1 nodes are available: 1 Too many pods.") == true)
    }

    @Test func requiredAffinityWithFieldsAndNumbers() {
        var pod = Fixtures.pod("p")
        pod[path: ["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"]] = [
            "nodeSelectorTerms": [
                ["matchExpressions": [["key": "cores", "operator": "Gt", "values": ["8"]]]],
                ["matchFields": [["key": "metadata.name", "operator": "In", "values": ["named"]]]],
            ]]
        let nodes = [node(Fixtures.node("small", labels: ["cores": "4"])), node(Fixtures.node("named")),
                     node(Fixtures.node("other"))]
        #expect(decide(pod, nodes).node == "named")
        #expect(decide(pod, [node(Fixtures.node("large", labels: ["cores": "16"]))]).node == "large")
        #expect(decide(pod, [nodes[0], nodes[2]]).message?.hasPrefix("0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.") == true)
    }

    @Test func scoresPreferRoomPreferenceAndNoSoftTaints() {
        // Least allocated: the emptier node.
        let busy = node(Fixtures.node("busy", cpu: "4"), pods: [Fixtures.pod("x", cpu: "3")])
        let idle = node(Fixtures.node("idle", cpu: "4"))
        #expect(decide(Fixtures.pod("p", cpu: "500m"), [busy, idle]).node == "idle")
        // A PreferNoSchedule taint weighs more than the room.
        let soft = node(Fixtures.node("soft", cpu: "4", taints: [["key": "spot", "effect": "PreferNoSchedule"]]))
        #expect(decide(Fixtures.pod("p", cpu: "500m"), [soft, busy]).node == "busy")
        // Preferred affinity.
        var pod = Fixtures.pod("p")
        pod[path: ["spec", "affinity", "nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution"]] = [
            ["weight": 50, "preference": ["matchExpressions": [["key": "zone", "operator": "In", "values": ["b"]]]]]]
        let zoneB = node(Fixtures.node("zb", labels: ["zone": "b"]), pods: [Fixtures.pod("y", cpu: "1")])
        #expect(decide(pod, [node(Fixtures.node("za", labels: ["zone": "a"])), zoneB]).node == "zb")
    }

    @Test func claimsMustExistAndBeBoundUnlessTheyWait() throws {
        var pod = Fixtures.pod("db")
        pod[path: ["spec", "volumes"]] = [["name": "data", "persistentVolumeClaim": ["claimName": "data"]]]
        let n = node(Fixtures.node("n", labels: ["zone": "a"]))
        #expect(decide(pod, [n]).message == "0/1 nodes are available: persistentvolumeclaim \"data\" not found. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.")
        claims.put(["metadata": ["name": "data", "namespace": "default"], "spec": ["storageClassName": "slow"]])
        #expect(decide(pod, [n]).message?.contains("pod has unbound immediate PersistentVolumeClaims") == true)
        classes.put(["metadata": ["name": "slow"], "volumeBindingMode": "WaitForFirstConsumer"])
        guard case .node(let chosen, let state) = framework.schedule(PodInfo(pod), nodes: [n]) else {
            Issue.record("a WaitForFirstConsumer claim does not block")
            return
        }
        #expect(chosen == "n" && state.delayedClaims.map(\.name) == ["data"])
        claims.put(["metadata": ["name": "data", "namespace": "default"], "spec": ["volumeName": "pv1"], "status": ["phase": "Bound"]])
        volumes.put(["metadata": ["name": "pv1"], "spec": ["nodeAffinity": ["required": ["nodeSelectorTerms": [
            ["matchExpressions": [["key": "zone", "operator": "In", "values": ["b"]]]]]]]]])
        #expect(decide(pod, [n]).message?.hasPrefix("0/1 nodes are available: 1 node(s) had volume node affinity conflict.") == true)
    }

    @Test func topologySpreadKeepsTheSkew() {
        func replica(_ name: String) -> JSONValue {
            var pod = Fixtures.pod(name)
            pod[path: ["metadata", "labels"]] = ["app": "web"]
            pod[path: ["spec", "topologySpreadConstraints"]] = [[
                "maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": ["matchLabels": ["app": "web"]]]]
            return pod
        }
        let a = node(Fixtures.node("a", labels: ["zone": "a"]), pods: [replica("r1"), replica("r2")])
        let b = node(Fixtures.node("b", labels: ["zone": "b"]), pods: [replica("r3")])
        let unlabelled = node(Fixtures.node("c"))
        // Zone a has 2, zone b 1: a third in a would make the skew 2.
        #expect(decide(replica("r4"), [a, b]).node == "b")
        // A cordoned node's zone still counts (only node affinity decides which domains exist).
        var cordoned = Fixtures.node("b2", labels: ["zone": "b"])
        cordoned[path: ["spec", "unschedulable"]] = true
        let bCordoned = node(cordoned, pods: [replica("r3")])
        #expect(decide(replica("r4"), [a, unlabelled]).node == "a", "one domain only: no skew")
        #expect(decide(replica("r4"), [a, bCordoned, unlabelled]).message == "0/3 nodes are available: 1 node(s) didn't match pod topology spread constraints, 1 node(s) didn't match pod topology spread constraints (missing required label), 1 node(s) were unschedulable. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.")
        // Pods of other apps do not count.
        #expect(decide(Fixtures.pod("other"), [a]).node == "a")
    }

    @Test func interPodAffinityAndAntiAffinity() {
        func labelled(_ name: String, _ app: String, affinity: JSONValue? = nil) -> JSONValue {
            var pod = Fixtures.pod(name)
            pod[path: ["metadata", "labels"]] = ["app": .string(app)]
            if let affinity { pod[path: ["spec", "affinity"]] = affinity }
            return pod
        }
        let term: (String) -> JSONValue = { app in
            ["labelSelector": ["matchLabels": ["app": .string(app)]], "topologyKey": "kubernetes.io/hostname"]
        }
        let apart: JSONValue = ["podAntiAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": [term("web")]]]
        let beside: JSONValue = ["podAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": [term("cache")]]]
        let n1 = node(Fixtures.node("n1", labels: ["kubernetes.io/hostname": "n1"]), pods: [labelled("w1", "web", affinity: apart)])
        let n2 = node(Fixtures.node("n2", labels: ["kubernetes.io/hostname": "n2"]), pods: [labelled("c1", "cache")])
        // The incoming replica's own anti-affinity keeps it off n1.
        #expect(decide(labelled("w2", "web", affinity: apart), [n1, n2]).node == "n2")
        // w1's anti-affinity keeps any web pod off n1, even one without terms (symmetry).
        #expect(decide(labelled("w3", "web"), [n1]).message?
            .hasPrefix("0/1 nodes are available: 1 node(s) didn't satisfy existing pods anti-affinity rules.") == true)
        // Affinity goes where the cache runs; with no cache anywhere only a pod matching its own term may start.
        #expect(decide(labelled("a1", "api", affinity: beside), [n1, n2]).node == "n2")
        let bare = node(Fixtures.node("n3", labels: ["kubernetes.io/hostname": "n3"]))
        #expect(decide(labelled("a2", "api", affinity: beside), [bare]).message?
            .hasPrefix("0/1 nodes are available: 1 node(s) didn't match pod affinity rules.") == true)
        #expect(decide(labelled("c2", "cache", affinity: beside), [bare]).node == "n3")
    }
}
