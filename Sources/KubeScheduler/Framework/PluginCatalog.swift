import ControllerRuntime

/// The plugins this scheduler has, upstream's default profile made from them, and a profile's `plugins` section
/// applied on top (disabled ones dropped, `*` for all defaults, score weights as configured).
enum PluginCatalog {
    /// Every in-tree plugin name upstream's configuration accepts; the ones not implemented here are accepted and
    /// have no effect (the command logs them).
    static let known: Set<String> = [
        "PrioritySort", "SchedulingGates", "NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts",
        "NodeResourcesFit", "NodeResourcesBalancedAllocation", "VolumeRestrictions", "NodeVolumeLimits", "EBSLimits",
        "GCEPDLimits", "AzureDiskLimits", "CinderLimits", "VolumeBinding", "VolumeZone", "PodTopologySpread",
        "InterPodAffinity", "DefaultPreemption", "ImageLocality", "DefaultBinder", "DynamicResources",
    ]

    static let implemented: Set<String> = [
        "PrioritySort", "DefaultBinder", "NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts",
        "NodeResourcesFit", "NodeResourcesBalancedAllocation", "VolumeBinding", "PodTopologySpread", "InterPodAffinity",
        "DefaultPreemption",
    ]

    /// upstream's default score weights, in its default profile's order.
    static let defaultScores: [(String, Int64)] = [
        ("TaintToleration", 3), ("NodeAffinity", 2), ("NodeResourcesFit", 1), ("PodTopologySpread", 2), ("InterPodAffinity", 2),
        ("NodeResourcesBalancedAllocation", 1),
    ]

    struct Listers: Sendable {
        var claims: ObjectCache
        var volumes: ObjectCache
        var classes: ObjectCache
        /// Whether the three have listed once (they may be forbidden to this scheduler's user for a while).
        var synced: @Sendable () -> Bool = { true }
        /// Services, ReplicaSets and StatefulSets for PodTopologySpread's default constraints (namespace-indexed).
        var spreadSelectors: SpreadSelectorSource? = nil
    }

    static func framework(for profile: SchedulerConfiguration.Profile, listers: Listers) -> Framework {
        let volumeBinding = VolumeBinding(claims: listers.claims, volumes: listers.volumes, classes: listers.classes, synced: listers.synced)
        let spread = PodTopologySpread(defaults: listers.spreadSelectors), interPod = InterPodAffinity()
        let filters: [any FilterPlugin] = [NodeUnschedulable(), NodeName(), TaintToleration(), NodeAffinity(), NodePorts(),
                                           NodeResourcesFit(), volumeBinding, spread, interPod]
        let scorers: [String: any ScorePlugin] = [
            "TaintToleration": TaintToleration(), "NodeAffinity": NodeAffinity(), "NodeResourcesFit": NodeResourcesFit(),
            "NodeResourcesBalancedAllocation": NodeResourcesBalancedAllocation(), "PodTopologySpread": spread,
            "InterPodAffinity": interPod,
        ]
        let multi = profile.plugins["multiPoint"] ?? SchedulerConfiguration.PluginSet()
        func disabled(_ point: String) -> Set<String> {
            Set(((profile.plugins[point]?.disabled ?? []) + multi.disabled).map(\.name))
        }
        let filterOff = disabled("filter"), preFilterOff = disabled("preFilter"), scoreOff = disabled("score")
        let postFilterOff = disabled("postFilter")

        var scoreList = scoreOff.contains("*") ? [] : defaultScores.filter { !scoreOff.contains($0.0) }
        for ref in multi.enabled + (profile.plugins["score"]?.enabled ?? []) where scorers[ref.name] != nil {
            let weight = ref.weight.flatMap { $0 > 0 ? $0 : nil }
            if let i = scoreList.firstIndex(where: { $0.0 == ref.name }) {
                if let weight { scoreList[i].1 = weight }
            } else {
                scoreList.append((ref.name, weight ?? defaultScores.first { $0.0 == ref.name }?.1 ?? 1))
            }
        }
        return Framework(
            schedulerName: profile.schedulerName,
            preFilters: ([volumeBinding, spread, interPod] as [any PreFilterPlugin]).filter { plugin in
                !(filterOff.contains("*") || preFilterOff.contains("*") || preFilterOff.contains(plugin.name) || filterOff.contains(plugin.name))
            },
            filters: filterOff.contains("*") ? [] : filters.filter { !filterOff.contains($0.name) },
            scorers: scoreList.compactMap { entry in scorers[entry.0].map { (plugin: $0, weight: entry.1) } },
            preemption: postFilterOff.contains("*") || postFilterOff.contains("DefaultPreemption") ? nil : DefaultPreemption())
    }
}
