import ControllerRuntime
import KubeJSON
@testable import KubeScheduler
import Testing

/// PodTopologySpread's and InterPodAffinity's scores: each one moving the choice between nodes that the resource
/// scores alone rank the other way, and their normalizations' edges.
@Suite struct ScoringTests {
    let services = ObjectCache(indexers: [SpreadSelectorSource.namespaceIndex: SpreadSelectorSource.byNamespace])
    let replicaSets = ObjectCache(), statefulSets = ObjectCache()

    var framework: Framework {
        PluginCatalog.framework(for: .init(), listers: .init(
            claims: ObjectCache(), volumes: ObjectCache(), classes: ObjectCache(),
            spreadSelectors: SpreadSelectorSource(services: services, replicaSets: replicaSets, statefulSets: statefulSets)))
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

    func chosen(_ pod: JSONValue, _ nodes: [NodeInfo]) -> String? {
        if case .node(let name, _) = framework.schedule(PodInfo(pod), nodes: nodes) { return name }
        return nil
    }

    func labelled(_ name: String, _ labels: [String: String], cpu: String? = nil) -> JSONValue {
        var pod = Fixtures.pod(name, cpu: cpu)
        pod[path: ["metadata", "labels"]] = JSONValue(labels)
        return pod
    }

    /// A large idle-ish node the resource scores prefer, and a small half-full one they rank lower.
    func bigAndSmall(big bigPods: [JSONValue], small smallPods: [JSONValue] = [], bigLabels: [String: String] = [:],
                     smallLabels: [String: String] = [:]) -> [NodeInfo] {
        [node(Fixtures.node("big", cpu: "8", memory: "16Gi", labels: bigLabels.merging(["kubernetes.io/hostname": "big"]) { a, _ in a }),
              pods: bigPods),
         node(Fixtures.node("small", cpu: "2", memory: "4Gi", labels: smallLabels.merging(["kubernetes.io/hostname": "small"]) { a, _ in a }),
              pods: [labelled("other", ["app": "other"], cpu: "1")] + smallPods)]
    }

    // MARK: PodTopologySpread

    func spreadAnyway(_ name: String, key: String = "zone", maxSkew: Int64 = 1) -> JSONValue {
        var pod = labelled(name, ["app": "web"])
        pod[path: ["spec", "topologySpreadConstraints"]] = [[
            "maxSkew": .int(maxSkew), "topologyKey": .string(key), "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": ["matchLabels": ["app": "web"]]]]
        return pod
    }

    @Test func scheduleAnywaySpreadOutweighsTheRoom() {
        let nodes = bigAndSmall(big: [labelled("w1", ["app": "web"]), labelled("w2", ["app": "web"])],
                                bigLabels: ["zone": "a"], smallLabels: ["zone": "b"])
        #expect(chosen(labelled("plain", ["app": "web"]), nodes) == "big", "without constraints the room decides")
        #expect(chosen(spreadAnyway("w3"), nodes) == "small")
        // A pod no Service or controller selects has no default constraints, so nothing to score.
        var state = CycleState()
        PodTopologySpread().preScore(PodInfo(labelled("plain", ["app": "web"])), feasible: nodes, all: nodes, &state)
        #expect(state.spreadScoring == nil)
    }

    @Test func spreadNormalizationEdges() {
        let plugin = PodTopologySpread()
        func normalized(_ pod: JSONValue, _ nodes: [NodeInfo]) -> [Int64] {
            var state = CycleState()
            plugin.preScore(PodInfo(pod), feasible: nodes, all: nodes, &state)
            var scores = nodes.map { plugin.score(PodInfo(pod), $0, state) }
            plugin.normalize(&scores, nodes: nodes, state)
            return scores
        }
        let a = node(Fixtures.node("a", labels: ["zone": "a"]))
        let b = node(Fixtures.node("b", labels: ["zone": "b"]), pods: [labelled("w1", ["app": "web"])])
        let unlabelled = node(Fixtures.node("c"))
        // No matching pod anywhere: every raw score is 0 and every node gets the maximum.
        #expect(normalized(spreadAnyway("p"), [a, a]) == [100, 100])
        // maxSkew 1: raw a 0, b round(1·ln 4) = 1; a node without the key is ignored and scores 0.
        #expect(normalized(spreadAnyway("p"), [a, b, unlabelled]) == [100, 0, 0])
        // maxSkew 3 adds 2 to each raw score: a 2, b 3 → 100·(3+2-2)/3 = 100 and 100·(3+2-3)/3 = 66.
        #expect(normalized(spreadAnyway("p", maxSkew: 3), [a, b]) == [100, 66])
        // Terminating and other-namespace pods do not count.
        var gone = labelled("w2", ["app": "web"])
        gone[path: ["metadata", "deletionTimestamp"]] = "2026-01-01T00:00:00Z"
        var elsewhere = labelled("w3", ["app": "web"])
        elsewhere[path: ["metadata", "namespace"]] = "other"
        let noise = node(Fixtures.node("b", labels: ["zone": "b"]), pods: [gone, elsewhere])
        #expect(normalized(spreadAnyway("p"), [a, noise]) == [100, 100])
    }

    @Test func systemDefaultsSpreadReplicaSetPods() {
        replicaSets.put(["metadata": ["name": "web-rs", "namespace": "default"],
                         "spec": ["selector": ["matchLabels": ["app": "web"]]]])
        func replica(_ name: String) -> JSONValue {
            var pod = labelled(name, ["app": "web"])
            pod[path: ["metadata", "ownerReferences"]] = [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-rs",
                                                           "uid": "rs-uid", "controller": true]]
            return pod
        }
        let nodes = bigAndSmall(big: [replica("r1"), replica("r2")])
        // hostname maxSkew 3: big raw round(2·ln 4 + 2) = 5, small 2 → 40 and 100, twice weighted: small wins.
        #expect(chosen(replica("r3"), nodes) == "small")
        // The same pod without its owner is selected by nothing: no defaults, the room decides.
        #expect(chosen(labelled("loose", ["app": "web"]), nodes) == "big")
        // A Service selecting it brings the defaults back.
        services.put(["metadata": ["name": "web", "namespace": "default"], "spec": ["selector": ["app": "web"]]])
        #expect(chosen(labelled("loose", ["app": "web"]), nodes) == "small")
        // A Service in another namespace, or without a selector, selects nothing.
        services.put(["metadata": ["name": "web", "namespace": "default"], "spec": [:]])
        services.put(["metadata": ["name": "web", "namespace": "other"], "spec": ["selector": ["app": "web"]]])
        #expect(chosen(labelled("loose", ["app": "web"]), nodes) == "big")
    }

    // MARK: InterPodAffinity

    func preferring(_ name: String, _ labels: [String: String], affinity app: String? = nil, anti antiApp: String? = nil,
                    weight: Int64 = 100) -> JSONValue {
        var pod = labelled(name, labels)
        func term(_ app: String) -> JSONValue {
            [["weight": .int(weight), "podAffinityTerm": ["labelSelector": ["matchLabels": ["app": .string(app)]],
                                                          "topologyKey": "kubernetes.io/hostname"]]]
        }
        if let app { pod[path: ["spec", "affinity", "podAffinity", "preferredDuringSchedulingIgnoredDuringExecution"]] = term(app) }
        if let antiApp { pod[path: ["spec", "affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution"]] = term(antiApp) }
        return pod
    }

    @Test func preferredAffinityAndAntiAffinityMoveThePod() {
        let nodes = bigAndSmall(big: [labelled("w1", ["app": "web"])], small: [labelled("c1", ["app": "cache"])])
        #expect(chosen(labelled("plain", ["app": "api"]), nodes) == "big")
        #expect(chosen(preferring("near-cache", ["app": "api"], affinity: "cache"), nodes) == "small")
        #expect(chosen(preferring("away-from-web", ["app": "api"], anti: "web"), nodes) == "small")
    }

    @Test func placedPodsTermsTowardsTheIncomingPodCount() {
        // The incoming pod has no terms: the cache pod's preferred affinity to api pods draws it.
        let drawn = bigAndSmall(big: [], small: [preferring("c1", ["app": "cache"], affinity: "api")])
        #expect(chosen(labelled("api", ["app": "api"]), drawn) == "small")
        #expect(drawn[1].affinityPods == ["default/c1"], "indexed on its node")
        // Its preferred anti-affinity pushes away from small's rival... and required affinity counts with weight 1.
        var required = labelled("c2", ["app": "cache"])
        required[path: ["spec", "affinity", "podAffinity", "requiredDuringSchedulingIgnoredDuringExecution"]] = [
            ["labelSelector": ["matchLabels": ["app": "api"]], "topologyKey": "kubernetes.io/hostname"]]
        var state = CycleState()
        let withRequired = bigAndSmall(big: [], small: [required])
        InterPodAffinity().preScore(PodInfo(labelled("api", ["app": "api"])), feasible: withRequired, all: withRequired, &state)
        #expect(state.affinityScores == ["kubernetes.io/hostname": ["small": 1]])
        #expect(chosen(labelled("api", ["app": "api"]), withRequired) == "small")
        // A pod that matches nothing of theirs is not drawn.
        #expect(chosen(labelled("db", ["app": "db"]), drawn) == "big")
    }

    @Test func affinityNormalizationEdges() {
        let plugin = InterPodAffinity()
        func normalized(_ pod: JSONValue, _ nodes: [NodeInfo]) -> [Int64] {
            var state = CycleState()
            plugin.preScore(PodInfo(pod), feasible: nodes, all: nodes, &state)
            var scores = nodes.map { plugin.score(PodInfo(pod), $0, state) }
            plugin.normalize(&scores, nodes: nodes, state)
            return scores
        }
        func host(_ name: String, _ pods: [JSONValue]) -> NodeInfo {
            node(Fixtures.node(name, labels: ["kubernetes.io/hostname": name]), pods: pods)
        }
        var both = preferring("p", ["app": "api"], affinity: "cache", weight: 30)
        both[path: ["spec", "affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution"]] = [
            ["weight": 10, "podAffinityTerm": ["labelSelector": ["matchLabels": ["app": "web"]], "topologyKey": "kubernetes.io/hostname"]]]
        // Raw -10, 0, 30: linear from the lowest to the highest.
        let nodes = [host("n1", [labelled("w", ["app": "web"])]), host("n2", []), host("n3", [labelled("c", ["app": "cache"])])]
        #expect(normalized(both, nodes) == [0, 25, 100])
        // Every node equal (but some term applied): all 0.
        #expect(normalized(both, [nodes[2], host("n4", [labelled("c2", ["app": "cache"])])]) == [0, 0])
        // No term applies anywhere: the scores stay 0.
        #expect(normalized(labelled("q", ["app": "q"]), nodes) == [0, 0, 0])
    }

    @Test func weightsAndDisablingFromTheConfiguration() throws {
        let text = """
        apiVersion: kubescheduler.config.k8s.io/v1
        kind: KubeSchedulerConfiguration
        profiles:
        - schedulerName: custom
          plugins:
            score:
              enabled:
              - name: InterPodAffinity
                weight: 7
              disabled:
              - name: PodTopologySpread
            postFilter:
              disabled:
              - name: DefaultPreemption
        """
        let config = try SchedulerConfiguration.parse(text, file: "c.yaml")
        let listers = PluginCatalog.Listers(claims: ObjectCache(), volumes: ObjectCache(), classes: ObjectCache())
        let custom = PluginCatalog.framework(for: config.profiles[0], listers: listers)
        #expect(custom.scorers.map { "\($0.plugin.name)=\($0.weight)" }
            == ["TaintToleration=3", "NodeAffinity=2", "NodeResourcesFit=1", "InterPodAffinity=7", "NodeResourcesBalancedAllocation=1"])
        #expect(custom.preemption == nil)
        // Without the PostFilter a failure has no `preemption:` part.
        let full = node(Fixtures.node("n", cpu: "1"), pods: [Fixtures.pod("x", cpu: "1")])
        guard case .unschedulable(let error, _) = custom.schedule(PodInfo(Fixtures.pod("p", cpu: "500m")), nodes: [full]) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.message == "0/1 nodes are available: 1 Insufficient cpu.")
    }
}
