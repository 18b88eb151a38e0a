import ControllerRuntime
import KubeAPI
import KubeJSON

/// Pods with PersistentVolumeClaims: every claim must exist and be bound, unless its class waits for the first
/// consumer (then the binder writes the chosen node on the claim for the provisioner); a bound claim's volume
/// must allow the node (its required node affinity). Claims, volumes and classes are read from informer caches.
struct VolumeBinding: PreFilterPlugin, FilterPlugin {
    let name = "VolumeBinding"
    let claims: ObjectCache
    let volumes: ObjectCache
    let classes: ObjectCache
    let synced: @Sendable () -> Bool

    func preFilter(_ pod: PodInfo, nodes: [NodeInfo], _ state: inout CycleState) -> PreFilterFailure? {
        guard !pod.claimNames.isEmpty else { return nil }
        // Pods without claims are scheduled while the volume caches are still listing; these wait for them (the
        // caches' adds move them back).
        guard synced() else {
            return PreFilterFailure(plugin: name, message: "the scheduler has not yet listed persistentvolumeclaims, persistentvolumes and storageclasses")
        }
        for claimName in pod.claimNames {
            guard let claim = claims.get(namespace: pod.namespace, name: claimName) else {
                return PreFilterFailure(plugin: name, message: "persistentvolumeclaim \"\(claimName)\" not found")
            }
            if claim.metaDeletionTimestamp != nil {
                return PreFilterFailure(plugin: name, message: "persistentvolumeclaim \"\(claimName)\" is being deleted")
            }
            if claim[path: ["status", "phase"]]?.string == "Bound" {
                let volumeName = claim[path: ["spec", "volumeName"]]?.string ?? ""
                if !volumeName.isEmpty, let volume = volumes.get(volumeName),
                   let required = volume[path: ["spec", "nodeAffinity", "required"]] {
                    state.boundVolumes.append(NodeSelector(required))
                }
                continue
            }
            let className = claim[path: ["spec", "storageClassName"]]?.string ?? ""
            if classes.get(className)?["volumeBindingMode"]?.string == "WaitForFirstConsumer" {
                state.delayedClaims.append((namespace: pod.namespace, name: claimName))
            } else {
                return PreFilterFailure(plugin: name, message: "pod has unbound immediate PersistentVolumeClaims")
            }
        }
        return nil
    }

    func filter(_ pod: PodInfo, _ node: NodeInfo, _ state: CycleState) -> Rejection? {
        guard state.boundVolumes.contains(where: { !$0.matches(name: node.name, labels: node.labels) }) else { return nil }
        return Rejection(plugin: name, reasons: ["node(s) had volume node affinity conflict"], unresolvable: true)
    }

    static let selectedNodeAnnotation = "volume.kubernetes.io/selected-node"
}
