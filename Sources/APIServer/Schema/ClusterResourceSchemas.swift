/// Storage, policy, networking and scheduling kinds: their fields down to where kubectl users make typos; deeper
/// structures are kept as given.
extension Schemas {
    static let typedLocalObjectReference = obj(["apiGroup": s, "kind": s, "name": s], required: ["kind", "name"],
                                               go: "TypedLocalObjectReference")
    static let ingressBackend = obj([
        "service": obj(["name": s, "port": obj(["name": s, "number": i32], go: "ServiceBackendPort")], required: ["name"],
                       go: "IngressServiceBackend"),
        "resource": typedLocalObjectReference,
    ], go: "IngressBackend")

    static let clusterResourceDefinitions: [String: Schema] = [
        "io.k8s.api.core.v1.PersistentVolume": kindSchema([
            "spec": obj([
                "capacity": .map(.quantity), "accessModes": strings, "claimRef": objectReference, "persistentVolumeReclaimPolicy": s,
                "storageClassName": s, "mountOptions": strings, "volumeMode": s, "nodeAffinity": .preserveUnknown,
                "volumeAttributesClassName": s, "hostPath": obj(["path": s, "type": s], required: ["path"], go: "HostPathVolumeSource"), "local": .preserveUnknown,
                "nfs": .preserveUnknown, "csi": .preserveUnknown, "iscsi": .preserveUnknown, "fc": .preserveUnknown,
                "cephfs": .preserveUnknown, "rbd": .preserveUnknown, "glusterfs": .preserveUnknown, "azureDisk": .preserveUnknown,
                "azureFile": .preserveUnknown, "awsElasticBlockStore": .preserveUnknown, "gcePersistentDisk": .preserveUnknown,
                "cinder": .preserveUnknown, "flexVolume": .preserveUnknown, "vsphereVolume": .preserveUnknown,
                "portworxVolume": .preserveUnknown, "scaleIO": .preserveUnknown, "storageos": .preserveUnknown,
                "photonPersistentDisk": .preserveUnknown, "quobyte": .preserveUnknown, "flocker": .preserveUnknown,
            ], go: "PersistentVolumeSpec"),
            "status": .preserveUnknown,
        ]),
        "io.k8s.api.core.v1.PersistentVolumeClaim": kindSchema([
            "spec": obj([
                "accessModes": strings, "selector": labelSelector, "resources": obj(["limits": .map(.quantity), "requests": .map(.quantity)], go: "VolumeResourceRequirements"),
                "volumeName": s, "storageClassName": s, "volumeMode": s, "dataSource": typedLocalObjectReference,
                "dataSourceRef": .preserveUnknown, "volumeAttributesClassName": s,
            ], go: "PersistentVolumeClaimSpec"),
            "status": .preserveUnknown,
        ]),
        "io.k8s.api.core.v1.ResourceQuota": kindSchema([
            "spec": obj(["hard": .map(.quantity), "scopes": strings, "scopeSelector": .preserveUnknown], go: "ResourceQuotaSpec"),
            "status": obj(["hard": .map(.quantity), "used": .map(.quantity)], go: "ResourceQuotaStatus"),
        ]),
        "io.k8s.api.core.v1.LimitRange": kindSchema([
            "spec": obj(["limits": .list(obj([
                "type": s, "max": .map(.quantity), "min": .map(.quantity), "default": .map(.quantity),
                "defaultRequest": .map(.quantity), "maxLimitRequestRatio": .map(.quantity),
            ], required: ["type"], go: "LimitRangeItem"))], required: ["limits"], go: "LimitRangeSpec"),
        ]),
        "io.k8s.api.storage.v1.StorageClass": kindSchema([
            "provisioner": s, "parameters": stringMap, "reclaimPolicy": s, "mountOptions": strings, "allowVolumeExpansion": b,
            "volumeBindingMode": s, "allowedTopologies": .list(.preserveUnknown),
        ], required: ["provisioner"]),
        "io.k8s.api.networking.v1.Ingress": kindSchema([
            "spec": obj([
                "ingressClassName": s, "defaultBackend": ingressBackend,
                "tls": .list(obj(["hosts": strings, "secretName": s], go: "IngressTLS")),
                "rules": .list(obj(["host": s, "http": obj(["paths": .list(obj(["path": s, "pathType": s, "backend": ingressBackend],
                                                                                required: ["pathType", "backend"], go: "HTTPIngressPath"))],
                                                            required: ["paths"], go: "HTTPIngressRuleValue")], go: "IngressRule")),
            ], go: "IngressSpec"),
            "status": .preserveUnknown,
        ]),
        "io.k8s.api.networking.v1.IngressClass": kindSchema(["spec": obj(["controller": s, "parameters": .preserveUnknown], go: "IngressClassSpec")]),
        "io.k8s.api.networking.v1.NetworkPolicy": kindSchema([
            "spec": obj(["podSelector": labelSelector, "ingress": .list(.preserveUnknown), "egress": .list(.preserveUnknown),
                         "policyTypes": strings], go: "NetworkPolicySpec"),
        ]),
        "io.k8s.api.policy.v1.PodDisruptionBudget": kindSchema([
            "spec": obj(["minAvailable": .intOrString, "maxUnavailable": .intOrString, "selector": labelSelector,
                         "unhealthyPodEvictionPolicy": s], go: "PodDisruptionBudgetSpec"),
            "status": .preserveUnknown,
        ]),
        "io.k8s.api.discovery.v1.EndpointSlice": kindSchema([
            "addressType": s,
            "endpoints": .list(obj([
                "addresses": .list(.str, listType: "set"),
                "conditions": obj(["ready": b, "serving": b, "terminating": b], go: "EndpointConditions"),
                "hostname": s, "targetRef": objectReference, "deprecatedTopology": stringMap, "nodeName": s, "zone": s,
                "hints": .preserveUnknown,
            ], required: ["addresses"], go: "Endpoint"), listType: "atomic"),
            "ports": .list(obj(["name": s, "protocol": s, "port": i32, "appProtocol": s], go: "EndpointPort"), listType: "atomic"),
        ], required: ["addressType", "endpoints"]),
        "io.k8s.api.certificates.v1.CertificateSigningRequest": kindSchema([
            "spec": obj([
                "request": .string(format: "byte"), "signerName": s, "expirationSeconds": i32,
                "usages": .list(.str, listType: "atomic"), "username": s, "uid": s, "groups": .list(.str, listType: "atomic"),
                "extra": .map(strings),
            ], required: ["request", "signerName"], go: "CertificateSigningRequestSpec"),
            "status": obj([
                "conditions": .list(obj(["type": s, "status": s, "reason": s, "message": s, "lastUpdateTime": .time,
                                         "lastTransitionTime": .time], required: ["type", "status"],
                                        go: "CertificateSigningRequestCondition"), mergeKey: "type"),
                "certificate": .string(format: "byte"),
            ], go: "CertificateSigningRequestStatus"),
        ], required: ["spec"]),
        "io.k8s.api.scheduling.v1.PriorityClass": kindSchema([
            "value": i32, "globalDefault": b, "description": s, "preemptionPolicy": s,
        ], required: ["value"]),
        "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService": kindSchema([
            "spec": obj([
                "service": obj(["namespace": s, "name": s, "port": i32], go: "ServiceReference"),
                "group": s, "version": s, "insecureSkipTLSVerify": b, "caBundle": .string(format: "byte"),
                "groupPriorityMinimum": i32, "versionPriority": i32,
            ], required: ["groupPriorityMinimum", "versionPriority"], go: "APIServiceSpec"),
            "status": obj([
                "conditions": .list(obj(["type": s, "status": s, "lastTransitionTime": .time, "reason": s, "message": s],
                                        required: ["type", "status"], go: "APIServiceCondition"), mergeKey: "type"),
            ], go: "APIServiceStatus"),
        ]),
    ]
}
