import KubeJSON

/// The schemas of the kinds this server serves, named as upstream's OpenAPI names them.
public enum Schemas {
    static func obj(_ properties: [String: Schema], required: [String] = [], _ description: String = "", go goType: String = "") -> Schema {
        .object(properties: properties, required: required, description: description, goType: goType)
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
        // Upstream names a package by the group's first label (`storage.k8s.io` → storage,
        // `flowcontrol.apiserver.k8s.io` → flowcontrol), `rbac.authorization.k8s.io` as rbac, the core group as core;
        // the API extension servers' kinds live in their own modules.
        switch group {
        case "": return "io.k8s.api.core.\(version).\(kind)"
        case "apiextensions.k8s.io": return "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.\(version).\(kind)"
        case "apiregistration.k8s.io": return "io.k8s.kube-aggregator.pkg.apis.apiregistration.\(version).\(kind)"
        default:
            let package = group.hasSuffix(".k8s.io") ? String(group.prefix { $0 != "." }) : group
            return "io.k8s.api.\(package).\(version).\(kind)"
        }
    }

    public static func schema(forKind kind: String, group: String, version: String = "v1") -> Schema? {
        let name = definitionName(kind: kind, group: group, version: version)
        return definitions[name].map { _ in .ref(name) }
    }

    static let ownerReference = obj(["apiVersion": s, "kind": s, "name": s, "uid": s, "controller": b, "blockOwnerDeletion": b],
                                    required: ["apiVersion", "kind", "name", "uid"], go: "OwnerReference")

    static let objectMeta = obj([
        "name": s, "generateName": s, "namespace": s, "selfLink": s, "uid": s, "resourceVersion": s, "generation": i64,
        "creationTimestamp": .time, "deletionTimestamp": .time, "deletionGracePeriodSeconds": i64,
        "labels": stringMap, "annotations": stringMap,
        "ownerReferences": .list(.ref("io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference"), mergeKey: "uid"),
        "finalizers": .list(.str, listType: "set"), "managedFields": .list(.preserveUnknown),
    ], go: "ObjectMeta")

    // core/v1 pieces of a Pod.
    static let envVar = obj(["name": s, "value": s, "valueFrom": .preserveUnknown], required: ["name"], go: "EnvVar")
    static let containerPort = obj(["name": s, "hostPort": i32, "containerPort": i32, "protocol": s, "hostIP": s], required: ["containerPort"],
                                   go: "ContainerPort")
    static let volumeMount = obj(["name": s, "readOnly": b, "mountPath": s, "subPath": s, "mountPropagation": s,
                                  "subPathExpr": s, "recursiveReadOnly": s], required: ["name", "mountPath"], go: "VolumeMount")
    static let httpGet = obj(["path": s, "port": .intOrString, "host": s, "scheme": s,
                              "httpHeaders": .list(obj(["name": s, "value": s], required: ["name", "value"], go: "HTTPHeader"))],
                             required: ["port"], go: "HTTPGetAction")
    static let probe = obj([
        "exec": obj(["command": strings], go: "ExecAction"), "httpGet": httpGet,
        "tcpSocket": obj(["port": .intOrString, "host": s], required: ["port"], go: "TCPSocketAction"),
        "grpc": obj(["port": i32, "service": s], required: ["port"], go: "GRPCAction"),
        "initialDelaySeconds": i32, "timeoutSeconds": i32, "periodSeconds": i32,
        "successThreshold": i32, "failureThreshold": i32, "terminationGracePeriodSeconds": i64,
    ], go: "Probe")
    static let resources = obj(["limits": .map(.quantity), "requests": .map(.quantity), "claims": .list(.preserveUnknown)],
                               go: "ResourceRequirements")
    static let container = obj([
        "name": s, "image": s, "command": strings, "args": strings, "workingDir": s,
        "ports": .list(containerPort, mergeKey: "containerPort"), "envFrom": .list(.preserveUnknown),
        "env": .list(envVar, mergeKey: "name"), "resources": resources, "resizePolicy": .list(.preserveUnknown),
        "restartPolicy": s, "volumeMounts": .list(volumeMount, mergeKey: "mountPath"),
        "volumeDevices": .list(.preserveUnknown, mergeKey: "devicePath"),
        "livenessProbe": probe, "readinessProbe": probe, "startupProbe": probe, "lifecycle": .preserveUnknown,
        "terminationMessagePath": s, "terminationMessagePolicy": s, "imagePullPolicy": s, "securityContext": .preserveUnknown,
        "stdin": b, "stdinOnce": b, "tty": b,
    ], required: ["name"], go: "Container")
    static let volume = obj([
        "name": s, "hostPath": obj(["path": s, "type": s], required: ["path"], go: "HostPathVolumeSource"), "emptyDir": .preserveUnknown,
        "configMap": .preserveUnknown, "secret": .preserveUnknown, "projected": .preserveUnknown,
        "persistentVolumeClaim": .preserveUnknown, "downwardAPI": .preserveUnknown, "nfs": .preserveUnknown,
        "csi": .preserveUnknown, "ephemeral": .preserveUnknown, "image": .preserveUnknown,
    ], required: ["name"], go: "Volume")
    static let toleration = obj(["key": s, "operator": s, "value": s, "effect": s, "tolerationSeconds": i64], go: "Toleration")
    static let podSpec = obj([
        "volumes": .list(volume, mergeKey: "name"), "initContainers": .list(container, mergeKey: "name"),
        "containers": .list(container, mergeKey: "name"), "ephemeralContainers": .list(.preserveUnknown, mergeKey: "name"),
        "restartPolicy": s, "terminationGracePeriodSeconds": i64, "activeDeadlineSeconds": i64, "dnsPolicy": s,
        "nodeSelector": stringMap, "serviceAccountName": s, "serviceAccount": s, "automountServiceAccountToken": b,
        "nodeName": s, "hostNetwork": b, "hostPID": b, "hostIPC": b, "shareProcessNamespace": b,
        "securityContext": .preserveUnknown, "imagePullSecrets": .list(localObjectReference, mergeKey: "name"),
        "hostname": s, "subdomain": s, "affinity": .preserveUnknown, "schedulerName": s,
        "tolerations": .list(toleration), "hostAliases": .list(.preserveUnknown, mergeKey: "ip"),
        "priorityClassName": s, "priority": i32, "dnsConfig": .preserveUnknown, "readinessGates": .list(.preserveUnknown),
        "runtimeClassName": s, "enableServiceLinks": b, "preemptionPolicy": s, "overhead": .map(.quantity),
        "topologySpreadConstraints": .list(.preserveUnknown), "setHostnameAsFQDN": b, "os": .preserveUnknown,
        "hostUsers": b, "schedulingGates": .list(.preserveUnknown, mergeKey: "name"), "resourceClaims": .list(.preserveUnknown, mergeKey: "name"),
        "resources": .preserveUnknown,
    ], required: ["containers"], go: "PodSpec")
    static let localObjectReference = obj(["name": s], go: "LocalObjectReference")
    static func condition(_ goType: String) -> Schema {
        obj(["type": s, "status": s, "lastProbeTime": .time, "lastTransitionTime": .time, "lastHeartbeatTime": .time, "reason": s,
             "message": s, "observedGeneration": i64], required: ["type", "status"], go: goType)
    }
    /// A container's state: its int32 exit code and signal are what the printers read.
    static let containerStateTerminated = obj([
        "exitCode": i32, "signal": i32, "reason": s, "message": s, "startedAt": .time, "finishedAt": .time, "containerID": s,
    ], required: ["exitCode"], go: "ContainerStateTerminated")
    static let containerState = obj([
        "waiting": obj(["reason": s, "message": s], go: "ContainerStateWaiting"), "running": obj(["startedAt": .time], go: "ContainerStateRunning"),
        "terminated": containerStateTerminated,
    ], go: "ContainerState")
    static let containerStatus = obj([
        "name": s, "state": containerState, "lastState": containerState, "ready": b, "restartCount": i32, "image": s, "imageID": s,
        "containerID": s, "started": b, "allocatedResources": .map(.quantity), "resources": .preserveUnknown,
        "volumeMounts": .list(.preserveUnknown), "user": .preserveUnknown, "allocatedResourcesStatus": .list(.preserveUnknown),
        "stopSignal": s,
    ], required: ["name", "ready", "restartCount", "image", "imageID"], go: "ContainerStatus")
    static let podStatus = obj([
        "phase": s, "conditions": .list(condition("PodCondition"), mergeKey: "type"), "message": s, "reason": s, "nominatedNodeName": s,
        "hostIP": s, "hostIPs": .list(obj(["ip": s], go: "HostIP"), mergeKey: "ip"), "podIP": s,
        "podIPs": .list(obj(["ip": s], go: "PodIP"), mergeKey: "ip"),
        "startTime": .time, "initContainerStatuses": .list(containerStatus), "containerStatuses": .list(containerStatus),
        "qosClass": s, "ephemeralContainerStatuses": .list(containerStatus), "resize": s, "resourceClaimStatuses": .list(.preserveUnknown),
        "observedGeneration": i64,
    ], go: "PodStatus")
    static let servicePort = obj(["name": s, "protocol": s, "appProtocol": s, "port": i32, "targetPort": .intOrString, "nodePort": i32],
                                 required: ["port"], go: "ServicePort")
    static let objectReference = obj(["kind": s, "namespace": s, "name": s, "uid": s, "apiVersion": s, "resourceVersion": s, "fieldPath": s],
                                     go: "ObjectReference")
    static let policyRule = obj(["verbs": strings, "apiGroups": strings, "resources": strings, "resourceNames": strings,
                                 "nonResourceURLs": strings], required: ["verbs"], go: "PolicyRule")
    static let subject = obj(["kind": s, "apiGroup": s, "name": s, "namespace": s], required: ["kind", "name"], go: "Subject")
    static let roleRef = obj(["apiGroup": s, "kind": s, "name": s], required: ["apiGroup", "kind", "name"], go: "RoleRef")
    static let nodeSpec = obj(["podCIDR": s, "podCIDRs": .list(.str, listType: "set"), "providerID": s, "unschedulable": b,
                               "taints": .list(obj(["key": s, "value": s, "effect": s, "timeAdded": .time], required: ["key", "effect"], go: "Taint")),
                               "configSource": .preserveUnknown, "externalID": s], go: "NodeSpec")
    static let nodeStatus = obj([
        "capacity": .map(.quantity), "allocatable": .map(.quantity), "phase": s,
        "conditions": .list(condition("NodeCondition"), mergeKey: "type"),
        "addresses": .list(obj(["type": s, "address": s], go: "NodeAddress"), mergeKey: "type"),
        "daemonEndpoints": obj(["kubeletEndpoint": obj(["Port": i32], go: "DaemonEndpoint")], go: "NodeDaemonEndpoints"),
        "nodeInfo": .preserveUnknown, "images": .list(.preserveUnknown),
        "volumesInUse": strings, "volumesAttached": .list(.preserveUnknown), "config": .preserveUnknown,
        "runtimeHandlers": .list(.preserveUnknown), "features": .preserveUnknown,
    ], go: "NodeStatus")

    /// Every kind is its own Go struct, named as the definition's last part.
    public static let definitions: [String: Schema] = coreDefinitions.merging(workloadDefinitions) { a, _ in a }
        .merging(clusterResourceDefinitions) { a, _ in a }
        .merging(extensionKindDefinitions) { a, _ in a }
        .merging(admissionRegistrationDefinitions) { a, _ in a }
        .reduce(into: [:]) { all, entry in
            guard case .object(let properties, let required, let description, let goType) = entry.value, goType.isEmpty else {
                all[entry.key] = entry.value
                return
            }
            let kind = entry.key.split(separator: ".").last.map(String.init) ?? ""
            all[entry.key] = .object(properties: properties, required: required, description: description, goType: kind)
        }

    static let coreDefinitions: [String: Schema] = [
        meta: objectMeta,
        "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference": ownerReference,
        "io.k8s.api.core.v1.Pod": kindSchema(["spec": podSpec, "status": podStatus]),
        "io.k8s.api.core.v1.Namespace": kindSchema(["spec": obj(["finalizers": strings], go: "NamespaceSpec"),
                                                    "status": obj(["phase": s, "conditions": .list(condition("NamespaceCondition"), mergeKey: "type")],
                                                                  go: "NamespaceStatus")]),
        "io.k8s.api.core.v1.Node": kindSchema(["spec": nodeSpec, "status": nodeStatus]),
        "io.k8s.api.core.v1.ConfigMap": kindSchema(["data": stringMap, "binaryData": .map(.string(format: "byte")), "immutable": b]),
        "io.k8s.api.core.v1.Secret": kindSchema(["data": .map(.string(format: "byte")), "stringData": stringMap, "type": s, "immutable": b]),
        "io.k8s.api.core.v1.ServiceAccount": kindSchema(["secrets": .list(objectReference, mergeKey: "name"),
                                                         "imagePullSecrets": .list(localObjectReference), "automountServiceAccountToken": b]),
        "io.k8s.api.core.v1.Service": kindSchema([
            "spec": obj([
                "ports": .list(servicePort, mergeKey: "port"), "selector": stringMap, "clusterIP": s, "clusterIPs": strings,
                "type": s, "externalIPs": strings, "sessionAffinity": s, "loadBalancerIP": s, "loadBalancerSourceRanges": strings,
                "externalName": s, "externalTrafficPolicy": s, "healthCheckNodePort": i32, "publishNotReadyAddresses": b,
                "sessionAffinityConfig": .preserveUnknown, "ipFamilies": strings, "ipFamilyPolicy": s,
                "allocateLoadBalancerNodePorts": b, "loadBalancerClass": s, "internalTrafficPolicy": s, "trafficDistribution": s,
            ], go: "ServiceSpec"),
            "status": obj(["loadBalancer": .preserveUnknown, "conditions": .list(condition("Condition"), mergeKey: "type")], go: "ServiceStatus"),
        ]),
        "io.k8s.api.core.v1.Endpoints": kindSchema(["subsets": .list(obj([
            "addresses": .list(.preserveUnknown), "notReadyAddresses": .list(.preserveUnknown),
            "ports": .list(obj(["name": s, "port": i32, "protocol": s, "appProtocol": s], go: "EndpointPort")),
        ], go: "EndpointSubset"))]),
        "io.k8s.api.core.v1.Event": kindSchema([
            "involvedObject": objectReference, "reason": s, "message": s, "source": obj(["component": s, "host": s], go: "EventSource"),
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
        ], go: "LeaseSpec")]),
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
