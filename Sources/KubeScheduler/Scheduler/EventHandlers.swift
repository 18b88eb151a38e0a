import ControllerRuntime
import KubeJSON

/// How informer deltas reach the cache and the queue (upstream's eventhandlers.go): bound pods are the cache's,
/// pending pods of this scheduler's profiles are the queue's, and changes that can free room or relax a constraint
/// move unschedulable pods back. The handlers run on the informers' tasks and only touch locked state.
extension Scheduler {
    func registerHandlers(pods: SharedInformer, nodes: SharedInformer, claims: SharedInformer, volumes: SharedInformer,
                          classes: SharedInformer) {
        let cache = self.cache, queue = self.queue, nominator = self.nominator, names = Set(frameworks.keys)
        let responsible: @Sendable (PodInfo) -> Bool = { pod in
            pod.nodeName.isEmpty && names.contains(pod.schedulerName) && !pod.isTerminal
        }
        pods.addEventHandler(EventHandler(
            onAdd: { object in
                let pod = PodInfo(object)
                if !pod.nodeName.isEmpty {
                    cache.addOrUpdatePod(pod)
                    queue.moveAll(.assignedPodAdd)
                } else if responsible(pod) {
                    nominator.observe(pod)
                    queue.add(pod)
                }
            },
            onUpdate: { oldObject, newObject in
                let old = PodInfo(oldObject), pod = PodInfo(newObject)
                if !pod.nodeName.isEmpty {
                    if old.nodeName.isEmpty {
                        queue.delete(key: pod.key)
                        nominator.remove(key: pod.key)
                    }
                    cache.addOrUpdatePod(pod)
                    if old.nodeName.isEmpty || old.labels != pod.labels { queue.moveAll(.assignedPodAdd) }
                    // A bound pod that finished frees what it held, as a deleted one does.
                    if pod.isTerminal && !old.isTerminal { queue.moveAll(.assignedPodDelete) }
                } else if responsible(pod) {
                    nominator.observe(pod)
                    queue.update(pod)
                } else {
                    queue.delete(key: pod.key)
                    nominator.remove(key: pod.key)
                }
            },
            onDelete: { object in
                let pod = PodInfo(object)
                queue.delete(key: pod.key)
                nominator.remove(key: pod.key)
                if !pod.nodeName.isEmpty || cache.isAssumed(pod.key) {
                    cache.removePod(key: pod.key)
                    if !pod.isTerminal { queue.moveAll(.assignedPodDelete) }
                }
            }))
        nodes.addEventHandler(EventHandler(
            onAdd: { node in
                cache.addOrUpdateNode(node)
                queue.moveAll(.nodeAdd)
            },
            onUpdate: { _, node in
                let name = node[path: ["metadata", "name"]]?.string ?? ""
                let before = cache.node(name)
                cache.addOrUpdateNode(node)
                guard let after = cache.node(name) else { return }
                if let before, before.node != nil {
                    if let event = ClusterEvent.nodeUpdate(old: before, new: after) { queue.moveAll(event) }
                } else {
                    queue.moveAll(.nodeAdd)
                }
            },
            onDelete: { node in
                cache.removeNode(node[path: ["metadata", "name"]]?.string ?? "")
            }))
        claims.addEventHandler(.any { _ in _ = queue.moveAll(.pvcChange) })
        volumes.addEventHandler(.any { _ in _ = queue.moveAll(.pvChange) })
        classes.addEventHandler(EventHandler(onAdd: { _ in _ = queue.moveAll(.storageClassChange) },
                                             onUpdate: { _, _ in _ = queue.moveAll(.storageClassChange) }))
    }
}
