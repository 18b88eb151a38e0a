/// `/apis` as the aggregator lists it: apiregistration.k8s.io first, then every group by its APIServices' group
/// priority (highest first, ties by name), each group's versions by version priority, then Kubernetes version order.
extension Discovery {
    func mergedGroups() -> [(group: String, versions: [String])] {
        struct Group {
            var priority: Int32
            var versions: [(version: String, priority: Int32)]
        }
        var groups: [String: Group] = [:]
        for (group, versions) in catalog.groups() where !group.isEmpty {
            let owned = catalog.definitions.contains { $0.group == group && $0.owner != nil }
            for version in versions {
                let p = group == "apiregistration.k8s.io" ? (group: Int32(20001), version: Int32(15))
                    : owned ? LocalAPIServices.customResourcePriority
                    : LocalAPIServices.priorities["\(group)/\(version)"] ?? (group: 16000, version: 15)
                groups[group, default: Group(priority: 0, versions: [])].priority = max(groups[group]?.priority ?? 0, p.group)
                groups[group]?.versions.append((version, p.version))
            }
        }
        for remote in remotes where !(groups[remote.group]?.versions.contains { $0.version == remote.version } ?? false) {
            groups[remote.group, default: Group(priority: 0, versions: [])].priority = max(groups[remote.group]?.priority ?? 0, remote.groupPriority)
            groups[remote.group]?.versions.append((remote.version, remote.versionPriority))
        }
        return groups.sorted { a, b in
            a.value.priority != b.value.priority ? a.value.priority > b.value.priority : a.key < b.key
        }.map { entry in
            let versions = entry.value.versions.sorted { a, b in
                a.priority != b.priority ? a.priority > b.priority : KubeVersion.higherPriority(a.version, b.version)
            }
            return (entry.key, versions.map(\.version))
        }
    }
}
