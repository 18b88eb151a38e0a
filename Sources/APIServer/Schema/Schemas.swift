import KubeJSON

/// The schemas of the kinds this server serves, named as upstream's OpenAPI names them.
public enum Schemas {
    static func obj(_ properties: [String: Schema], required: [String] = [], _ description: String = "") -> Schema {
        .object(properties: properties, required: required, description: description)
    }
    static let s = Schema.str
    static let i32 = Schema.integer(format: "int32")
    static let i64 = Schema.integer(format: "int64")
    static let b = Schema.boolean
    static let strings = Schema.list(.str)
    static let stringMap = Schema.map(.str)

    static let meta = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    static let listMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"

    static func kindSchema(_ fields: [String: Schema], required: [String] = []) -> Schema {
        var all = fields
        all["apiVersion"] = .str
        all["kind"] = .str
        all["metadata"] = .ref(meta)
        return obj(all, required: required)
    }

    /// Definition name for a kind: `io.k8s.api.core.v1.Pod`.
    public static func definitionName(kind: String, group: String, version: String = "v1") -> String {
        let package: String
        switch group {
        case "": package = "core"
        case "rbac.authorization.k8s.io": package = "rbac"
        case "coordination.k8s.io": package = "coordination"
        case "events.k8s.io": package = "events"
        case "authorization.k8s.io": package = "authorization"
        default: package = group
        }
        return "io.k8s.api.\(package).\(version).\(kind)"
    }

    public static func schema(forKind kind: String, group: String) -> Schema? {
        definitions[definitionName(kind: kind, group: group)].map { _ in .ref(definitionName(kind: kind, group: group)) }
    }

    static let ownerReference = obj(["apiVersion": s, "kind": s, "name": s, "uid": s, "controller": b, "blockOwnerDeletion": b],
                                    required: ["apiVersion", "kind", "name", "uid"])

    static let objectMeta = obj([
        "name": s, "generateName": s, "namespace": s, "selfLink": s, "uid": s, "resourceVersion": s, "generation": i64,
        "creationTimestamp": .time, "deletionTimestamp": .time, "deletionGracePeriodSeconds": i64,
        "labels": stringMap, "annotations": stringMap,
        "ownerReferences": .list(.ref("io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference"), mergeKey: "uid"),
        "finalizers": .list(.str, listType: "set"), "managedFields": .list(.preserveUnknown),
    ])

    // core/v1 pieces of a Pod.
    static let envVar = obj(["name": s, "value": s, "valueFrom": .preserveUnknown], required: ["name"])
    static let containerPort = obj(["name": s, "hostPort": i32, "containerPort": i32, "protocol": s, "hostIP": s], required: ["containerPort"])
    static let volumeMount = obj(["name": s, "readOnly": b, "mountPath": s, "subPath": s, "mountPropagation": s,
                                  "subPathExpr": s, "recursiveReadOnly": s], required: ["name", "mountPath"])
    static let httpGet = obj(["path": s, "port": .intOrString, "host": s, "scheme": s,
                              "httpHeaders": .list(obj(["name": s, "value": s], required: ["name", "value"]))], required: ["port"])
    static let probe = obj([
        "exec": obj(["command": strings]), "httpGet": httpGet, "tcpSocket": obj(["port": .intOrString, "host": s], required: ["port"]),
        "grpc": .preserveUnknown, "initialDelaySeconds": i32, "timeoutSeconds": i32, "periodSeconds": i32,
        "successThreshold": i32, "failureThreshold": i32, "terminationGracePeriodSeconds": i64,
    ])
    static let resources = obj(["limits": .map(.quantity), "requests": .map(.quantity), "claims": .list(.preserveUnknown)])
    static let container = obj([
        "name": s, "image": s, "command": strings, "args": strings, "workingDir": s,
        "ports": .list(containerPort, mergeKey: "containerPort"), "envFrom": .list(.preserveUnknown),
        "env": .list(envVar, mergeKey: "name"), "resources": resources, "resizePolicy": .list(.preserveUnknown),
        "restartPolicy": s, "volumeMounts": .list(volumeMount, mergeKey: "mountPath"),
        "volumeDevices": .list(.preserveUnknown, mergeKey: "devicePath"),
        "livenessProbe": probe, "readinessProbe": probe, "startupProbe": probe, "lifecycle": .preserveUnknown,
        "terminationMessagePath": s, "terminationMessagePolicy": s, "imagePullPolicy": s, "securityContext": .preserveUnknown,
        "stdin": b, "stdinOnce": b, "tty": b,
    ], required: ["name"])
    static let volume = obj([
        "name": s, "hostPath": obj(["path": s, "type": s], required: ["path"]), "emptyDir": .preserveUnknown,
        "configMap": .preserveUnknown, "secret": .preserveUnknown, "projected": .preserveUnknown,
        "persistentVolumeClaim": .preserveUnknown, "downwardAPI": .preserveUnknown, "nfs": .preserveUnknown,
        "csi": .preserveUnknown, "ephemeral": .preserveUnknown, "image": .preserveUnknown,
    ], required: ["name"])
    static let toleration = obj(["key": s, "operator": s, "value": s, "effect": s, "tolerationSeconds": i64])
    static let podSpec = obj([
        "volumes": .list(volume, mergeKey: "name"), "initContainers": .list(container, mergeKey: "name"),
        "containers": .list(container, mergeKey: "name"), "ephemeralContainers": .list(.preserveUnknown, mergeKey: "name"),
        "restartPolicy": s, "terminationGracePeriodSeconds": i64, "activeDeadlineSeconds": i64, "dnsPolicy": s,
        "nodeSelector": stringMap, "serviceAccountName": s, "serviceAccount": s, "automountServiceAccountToken": b,
        "nodeName": s, "hostNetwork": b, "hostPID": b, "hostIPC": b, "shareProcessNamespace": b,
        "securityContext": .preserveUnknown, "imagePullSecrets": .list(obj(["name": s]), mergeKey: "name"),
        "hostname": s, "subdomain": s, "affinity": .preserveUnknown, "schedulerName": s,
        "tolerations": .list(toleration), "hostAliases": .list(.preserveUnknown, mergeKey: "ip"),
        "priorityClassName": s, "priority": i32, "dnsConfig": .preserveUnknown, "readinessGates": .list(.preserveUnknown),
        "runtimeClassName": s, "enableServiceLinks": b, "preemptionPolicy": s, "overhead": .map(.quantity),
        "topologySpreadConstraints": .list(.preserveUnknown), "setHostnameAsFQDN": b, "os": .preserveUnknown,
        "hostUsers": b, "schedulingGates": .list(.preserveUnknown, mergeKey: "name"), "resourceClaims": .list(.preserveUnknown, mergeKey: "name"),
        "resources": .preserveUnknown,
    ], required: ["containers"])
    static let condition = obj(["type": s, "status": s, "lastProbeTime": .time, "lastTransitionTime": .time,
                                "lastHeartbeatTime": .time, "reason": s, "message": s, "observedGeneration": i64], required: ["type", "status"])
    static let podStatus = obj([
        "phase": s, "conditions": .list(condition, mergeKey: "type"), "message": s, "reason": s, "nominatedNodeName": s,
        "hostIP": s, "hostIPs": .list(obj(["ip": s]), mergeKey: "ip"), "podIP": s, "podIPs": .list(obj(["ip": s]), mergeKey: "ip"),
        "startTime": .time, "initContainerStatuses": .list(.preserveUnknown), "containerStatuses": .list(.preserveUnknown),
        "qosClass": s, "ephemeralContainerStatuses": .list(.preserveUnknown), "resize": s, "resourceClaimStatuses": .list(.preserveUnknown),
        "observedGeneration": i64,
    ])
    static let servicePort = obj(["name": s, "protocol": s, "appProtocol": s, "port": i32, "targetPort": .intOrString, "nodePort": i32],
                                 required: ["port"])
    static let objectReference = obj(["kind": s, "namespace": s, "name": s, "uid": s, "apiVersion": s, "resourceVersion": s, "fieldPath": s])
    static let policyRule = obj(["verbs": strings, "apiGroups": strings, "resources": strings, "resourceNames": strings,
                                 "nonResourceURLs": strings], required: ["verbs"])
    static let subject = obj(["kind": s, "apiGroup": s, "name": s, "namespace": s], required: ["kind", "name"])
    static let roleRef = obj(["apiGroup": s, "kind": s, "name": s], required: ["apiGroup", "kind", "name"])
    static let nodeSpec = obj(["podCIDR": s, "podCIDRs": .list(.str, listType: "set"), "providerID": s, "unschedulable": b,
                               "taints": .list(obj(["key": s, "value": s, "effect": s, "timeAdded": .time], required: ["key", "effect"])),
                               "configSource": .preserveUnknown, "externalID": s])
    static let nodeStatus = obj([
        "capacity": .map(.quantity), "allocatable": .map(.quantity), "phase": s,
        "conditions": .list(condition, mergeKey: "type"), "addresses": .list(obj(["type": s, "address": s]), mergeKey: "type"),
        "daemonEndpoints": .preserveUnknown, "nodeInfo": .preserveUnknown, "images": .list(.preserveUnknown),
        "volumesInUse": strings, "volumesAttached": .list(.preserveUnknown), "config": .preserveUnknown,
        "runtimeHandlers": .list(.preserveUnknown), "features": .preserveUnknown,
    ])

    public static let definitions: [String: Schema] = coreDefinitions.merging(workloadDefinitions) { a, _ in a }
        .merging(clusterResourceDefinitions) { a, _ in a }

    static let coreDefinitions: [String: Schema] = [
        meta: objectMeta,
        "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference": ownerReference,
        "io.k8s.api.core.v1.Pod": kindSchema(["spec": podSpec, "status": podStatus]),
        "io.k8s.api.core.v1.Namespace": kindSchema(["spec": obj(["finalizers": strings]),
                                                    "status": obj(["phase": s, "conditions": .list(condition, mergeKey: "type")])]),
        "io.k8s.api.core.v1.Node": kindSchema(["spec": nodeSpec, "status": nodeStatus]),
        "io.k8s.api.core.v1.ConfigMap": kindSchema(["data": stringMap, "binaryData": .map(.string(format: "byte")), "immutable": b]),
        "io.k8s.api.core.v1.Secret": kindSchema(["data": .map(.string(format: "byte")), "stringData": stringMap, "type": s, "immutable": b]),
        "io.k8s.api.core.v1.ServiceAccount": kindSchema(["secrets": .list(objectReference, mergeKey: "name"),
                                                         "imagePullSecrets": .list(obj(["name": s])), "automountServiceAccountToken": b]),
        "io.k8s.api.core.v1.Service": kindSchema([
            "spec": obj([
                "ports": .list(servicePort, mergeKey: "port"), "selector": stringMap, "clusterIP": s, "clusterIPs": strings,
                "type": s, "externalIPs": strings, "sessionAffinity": s, "loadBalancerIP": s, "loadBalancerSourceRanges": strings,
                "externalName": s, "externalTrafficPolicy": s, "healthCheckNodePort": i32, "publishNotReadyAddresses": b,
                "sessionAffinityConfig": .preserveUnknown, "ipFamilies": strings, "ipFamilyPolicy": s,
                "allocateLoadBalancerNodePorts": b, "loadBalancerClass": s, "internalTrafficPolicy": s, "trafficDistribution": s,
            ]),
            "status": obj(["loadBalancer": .preserveUnknown, "conditions": .list(condition, mergeKey: "type")]),
        ]),
        "io.k8s.api.core.v1.Endpoints": kindSchema(["subsets": .list(obj([
            "addresses": .list(.preserveUnknown), "notReadyAddresses": .list(.preserveUnknown), "ports": .list(.preserveUnknown),
        ]))]),
        "io.k8s.api.core.v1.Event": kindSchema([
            "involvedObject": objectReference, "reason": s, "message": s, "source": obj(["component": s, "host": s]),
            "firstTimestamp": .time, "lastTimestamp": .time, "count": i32, "type": s, "eventTime": .time,
            "series": .preserveUnknown, "action": s, "related": objectReference, "reportingComponent": s, "reportingInstance": s,
        ], required: ["metadata", "involvedObject"]),
        "io.k8s.api.events.v1.Event": kindSchema([
            "eventTime": .time, "series": .preserveUnknown, "reportingController": s, "reportingInstance": s, "action": s,
            "reason": s, "regarding": objectReference, "related": objectReference, "note": s, "type": s,
            "deprecatedSource": .preserveUnknown, "deprecatedFirstTimestamp": .time, "deprecatedLastTimestamp": .time,
            "deprecatedCount": i32,
        ], required: ["eventTime"]),
        "io.k8s.api.coordination.v1.Lease": kindSchema(["spec": obj([
            "holderIdentity": s, "leaseDurationSeconds": i32, "acquireTime": .time, "renewTime": .time,
            "leaseTransitions": i32, "strategy": s, "preferredHolder": s,
        ])]),
        "io.k8s.api.rbac.v1.Role": kindSchema(["rules": .list(policyRule)]),
        "io.k8s.api.rbac.v1.ClusterRole": kindSchema(["rules": .list(policyRule), "aggregationRule": .preserveUnknown]),
        "io.k8s.api.rbac.v1.RoleBinding": kindSchema(["subjects": .list(subject), "roleRef": roleRef], required: ["roleRef"]),
        "io.k8s.api.rbac.v1.ClusterRoleBinding": kindSchema(["subjects": .list(subject), "roleRef": roleRef], required: ["roleRef"]),
        "io.k8s.api.authorization.v1.SelfSubjectAccessReview": kindSchema(["spec": .preserveUnknown, "status": .preserveUnknown], required: ["spec"]),
        "io.k8s.api.authorization.v1.SubjectAccessReview": kindSchema(["spec": .preserveUnknown, "status": .preserveUnknown], required: ["spec"]),
        "io.k8s.api.authorization.v1.LocalSubjectAccessReview": kindSchema(["spec": .preserveUnknown, "status": .preserveUnknown], required: ["spec"]),
        "io.k8s.api.authorization.v1.SelfSubjectRulesReview": kindSchema(["spec": .preserveUnknown, "status": .preserveUnknown], required: ["spec"]),
    ]
}
