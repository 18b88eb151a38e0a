/// Field numbers of the built-in kinds' protobuf messages (k8s.io/api generated.proto), for the kinds kubectl's
/// typed clients create. Each entry maps a field number to its JSON name and type.
indirect enum ProtoType: Equatable, Sendable {
    case string, bytes, bool, int32, int64
    case message(String)
    /// A message whose fields appear inline in JSON (Volume's VolumeSource).
    case inline(String)
    case time, intOrString, quantity, rawJSON
    case map(ProtoType)

    var isScalarNumber: Bool { self == .int32 || self == .int64 || self == .bool }
}

struct ProtoField: Sendable {
    let name: String
    let type: ProtoType
    let repeated: Bool
    /// A Go pointer field (`*int64`, `*bool`): its zero value is meaningful and kept. Other fields are emitted
    /// by Go even when zero and are dropped here, as Go's `omitempty` drops them from JSON.
    var pointer = false
}

enum ProtoMessages {
    static func f(_ name: String, _ type: ProtoType, repeated: Bool = false) -> ProtoField {
        ProtoField(name: name, type: type, repeated: repeated)
    }
    static func p(_ name: String, _ type: ProtoType) -> ProtoField { ProtoField(name: name, type: type, repeated: false, pointer: true) }
    static func list(_ name: String, _ type: ProtoType) -> ProtoField { ProtoField(name: name, type: type, repeated: true) }

    /// "<group>/<Kind>" → message name.
    static let topLevel: [String: String] = [
        "/Namespace": "Namespace", "/ConfigMap": "ConfigMap", "/Secret": "Secret", "/ServiceAccount": "ServiceAccount",
        "/Service": "Service", "/Pod": "Pod", "/Endpoints": "Endpoints", "/Event": "Event", "/Node": "Node",
        "rbac.authorization.k8s.io/Role": "Role", "rbac.authorization.k8s.io/ClusterRole": "Role",
        "rbac.authorization.k8s.io/RoleBinding": "RoleBinding", "rbac.authorization.k8s.io/ClusterRoleBinding": "RoleBinding",
        "authorization.k8s.io/SelfSubjectAccessReview": "SubjectAccessReview",
        "authorization.k8s.io/SubjectAccessReview": "SubjectAccessReview",
        "authorization.k8s.io/LocalSubjectAccessReview": "SubjectAccessReview",
        "authorization.k8s.io/SelfSubjectRulesReview": "SelfSubjectRulesReview",
        "coordination.k8s.io/Lease": "Lease",
        "apps/Deployment": "Deployment", "apps/ReplicaSet": "ReplicaSet", "apps/StatefulSet": "StatefulSet",
        "apps/DaemonSet": "DaemonSet", "batch/Job": "Job", "batch/CronJob": "CronJob",
        "networking.k8s.io/Ingress": "Ingress", "policy/PodDisruptionBudget": "PodDisruptionBudget",
        "scheduling.k8s.io/PriorityClass": "PriorityClass",
        "certificates.k8s.io/CertificateSigningRequest": "CertificateSigningRequest", "/ResourceQuota": "ResourceQuota",
        "authentication.k8s.io/TokenRequest": "TokenRequest",
        "authentication.k8s.io/TokenReview": "TokenReview",
        "authentication.k8s.io/SelfSubjectReview": "SelfSubjectReview",
    ]

    static let messages: [String: [Int: ProtoField]] = [
        "ObjectMeta": [
            1: f("name", .string), 2: f("generateName", .string), 3: f("namespace", .string), 5: f("uid", .string),
            6: f("resourceVersion", .string), 7: f("generation", .int64), 8: f("creationTimestamp", .time),
            9: f("deletionTimestamp", .time), 10: p("deletionGracePeriodSeconds", .int64),
            11: f("labels", .map(.string)), 12: f("annotations", .map(.string)),
            13: list("ownerReferences", .message("OwnerReference")), 14: list("finalizers", .string),
        ],
        "OwnerReference": [1: f("kind", .string), 3: f("name", .string), 4: f("uid", .string), 5: f("apiVersion", .string),
                           6: p("controller", .bool), 7: p("blockOwnerDeletion", .bool)],
        "ObjectReference": [1: f("kind", .string), 2: f("namespace", .string), 3: f("name", .string), 4: f("uid", .string),
                            5: f("apiVersion", .string), 6: f("resourceVersion", .string), 7: f("fieldPath", .string)],
        "LocalObjectReference": [1: f("name", .string)],
        "Namespace": [1: f("metadata", .message("ObjectMeta")), 2: f("spec", .message("NamespaceSpec"))],
        "NamespaceSpec": [1: list("finalizers", .string)],
        "ConfigMap": [1: f("metadata", .message("ObjectMeta")), 2: f("data", .map(.string)), 3: f("binaryData", .map(.bytes)),
                      4: p("immutable", .bool)],
        "Secret": [1: f("metadata", .message("ObjectMeta")), 2: f("data", .map(.bytes)), 3: f("type", .string),
                   4: f("stringData", .map(.string)), 5: p("immutable", .bool)],
        "ServiceAccount": [1: f("metadata", .message("ObjectMeta")), 2: list("secrets", .message("ObjectReference")),
                           3: list("imagePullSecrets", .message("LocalObjectReference")), 4: p("automountServiceAccountToken", .bool)],
        "Service": [1: f("metadata", .message("ObjectMeta")), 2: f("spec", .message("ServiceSpec"))],
        "ServiceSpec": [
            1: list("ports", .message("ServicePort")), 2: f("selector", .map(.string)), 3: f("clusterIP", .string),
            4: f("type", .string), 5: list("externalIPs", .string), 7: f("sessionAffinity", .string),
            8: f("loadBalancerIP", .string), 9: list("loadBalancerSourceRanges", .string), 10: f("externalName", .string),
            11: f("externalTrafficPolicy", .string), 12: f("healthCheckNodePort", .int32), 13: f("publishNotReadyAddresses", .bool),
            17: p("ipFamilyPolicy", .string), 18: list("clusterIPs", .string), 19: list("ipFamilies", .string),
            20: p("allocateLoadBalancerNodePorts", .bool), 21: p("loadBalancerClass", .string), 22: p("internalTrafficPolicy", .string),
        ],
        "ServicePort": [1: f("name", .string), 2: f("protocol", .string), 3: f("port", .int32), 4: f("targetPort", .intOrString),
                        5: f("nodePort", .int32), 6: f("appProtocol", .string)],
        "Pod": [1: f("metadata", .message("ObjectMeta")), 2: f("spec", .message("PodSpec"))],
        "PodSpec": [
            1: list("volumes", .message("Volume")), 2: list("containers", .message("Container")), 3: f("restartPolicy", .string),
            4: p("terminationGracePeriodSeconds", .int64), 5: p("activeDeadlineSeconds", .int64), 6: f("dnsPolicy", .string),
            7: f("nodeSelector", .map(.string)), 8: f("serviceAccountName", .string), 9: f("serviceAccount", .string),
            10: f("nodeName", .string), 11: f("hostNetwork", .bool), 12: f("hostPID", .bool), 13: f("hostIPC", .bool),
            15: list("imagePullSecrets", .message("LocalObjectReference")), 16: f("hostname", .string), 17: f("subdomain", .string),
            19: f("schedulerName", .string), 20: list("initContainers", .message("Container")),
            21: p("automountServiceAccountToken", .bool), 22: list("tolerations", .message("Toleration")),
            24: f("priorityClassName", .string), 25: p("priority", .int32), 30: p("enableServiceLinks", .bool),
            31: p("preemptionPolicy", .string),
        ],
        "Container": [
            1: f("name", .string), 2: f("image", .string), 3: list("command", .string), 4: list("args", .string),
            5: f("workingDir", .string), 6: list("ports", .message("ContainerPort")), 7: list("env", .message("EnvVar")),
            8: f("resources", .message("ResourceRequirements")), 9: list("volumeMounts", .message("VolumeMount")),
            13: f("terminationMessagePath", .string), 14: f("imagePullPolicy", .string), 16: f("stdin", .bool),
            17: f("stdinOnce", .bool), 18: f("tty", .bool), 20: f("terminationMessagePolicy", .string),
        ],
        "ContainerPort": [1: f("name", .string), 2: f("hostPort", .int32), 3: f("containerPort", .int32),
                          4: f("protocol", .string), 5: f("hostIP", .string)],
        "EnvVar": [1: f("name", .string), 2: f("value", .string)],
        "ResourceRequirements": [1: f("limits", .map(.quantity)), 2: f("requests", .map(.quantity))],
        "VolumeMount": [1: f("name", .string), 2: f("readOnly", .bool), 3: f("mountPath", .string), 4: f("subPath", .string)],
        "Volume": [1: f("name", .string), 2: f("volumeSource", .inline("VolumeSource"))],
        "VolumeSource": [1: f("hostPath", .message("HostPathVolumeSource")), 2: f("emptyDir", .message("EmptyDirVolumeSource"))],
        "HostPathVolumeSource": [1: f("path", .string), 2: f("type", .string)],
        "EmptyDirVolumeSource": [1: f("medium", .string), 2: f("sizeLimit", .quantity)],
        "Toleration": [1: f("key", .string), 2: f("operator", .string), 3: f("value", .string), 4: f("effect", .string),
                       5: p("tolerationSeconds", .int64)],
        "Endpoints": [1: f("metadata", .message("ObjectMeta"))],
        "Event": [1: f("metadata", .message("ObjectMeta")), 2: f("involvedObject", .message("ObjectReference")),
                  3: f("reason", .string), 4: f("message", .string), 6: f("firstTimestamp", .time), 7: f("lastTimestamp", .time),
                  8: f("count", .int32), 9: f("type", .string)],
        "Node": [1: f("metadata", .message("ObjectMeta"))],
        "Role": [1: f("metadata", .message("ObjectMeta")), 2: list("rules", .message("PolicyRule"))],
        "PolicyRule": [1: list("verbs", .string), 2: list("apiGroups", .string), 3: list("resources", .string),
                       4: list("resourceNames", .string), 5: list("nonResourceURLs", .string)],
        "RoleBinding": [1: f("metadata", .message("ObjectMeta")), 2: list("subjects", .message("Subject")),
                        3: f("roleRef", .message("RoleRef"))],
        "Subject": [1: f("kind", .string), 2: f("apiGroup", .string), 3: f("name", .string), 4: f("namespace", .string)],
        "RoleRef": [1: f("apiGroup", .string), 2: f("kind", .string), 3: f("name", .string)],
        "SubjectAccessReview": [1: f("metadata", .message("ObjectMeta")), 2: f("spec", .message("SubjectAccessReviewSpec"))],
        "SubjectAccessReviewSpec": [1: f("resourceAttributes", .message("ResourceAttributes")),
                                    2: f("nonResourceAttributes", .message("NonResourceAttributes")),
                                    3: f("user", .string), 4: list("groups", .string), 6: f("uid", .string)],
        "ResourceAttributes": [1: f("namespace", .string), 2: f("verb", .string), 3: f("group", .string), 4: f("version", .string),
                               5: f("resource", .string), 6: f("subresource", .string), 7: f("name", .string)],
        "NonResourceAttributes": [1: f("path", .string), 2: f("verb", .string)],
        "SelfSubjectRulesReview": [1: f("metadata", .message("ObjectMeta")), 2: f("spec", .message("SelfSubjectRulesReviewSpec"))],
        "SelfSubjectRulesReviewSpec": [1: f("namespace", .string)],
        "Lease": [1: f("metadata", .message("ObjectMeta")), 2: f("spec", .message("LeaseSpec"))],
        // certificates/v1 (kubectl certificate approve|deny writes the whole object to /approval); spec.extra
        // (field 6, a map of ExtraValue messages) is left out: the store keeps the spec it holds anyway.
        "CertificateSigningRequest": [1: f("metadata", .message("ObjectMeta")), 2: f("spec", .message("CertificateSigningRequestSpec")),
                                      3: f("status", .message("CertificateSigningRequestStatus"))],
        "CertificateSigningRequestSpec": [1: f("request", .bytes), 2: f("username", .string), 3: f("uid", .string),
                                          4: list("groups", .string), 5: list("usages", .string), 7: f("signerName", .string),
                                          8: p("expirationSeconds", .int32)],
        "CertificateSigningRequestStatus": [1: list("conditions", .message("CertificateSigningRequestCondition")),
                                            2: f("certificate", .bytes)],
        "CertificateSigningRequestCondition": [1: f("type", .string), 2: f("reason", .string), 3: f("message", .string),
                                               4: f("lastUpdateTime", .time), 5: f("lastTransitionTime", .time), 6: f("status", .string)],
        "TokenRequest": [1: f("metadata", .message("ObjectMeta")), 2: f("spec", .message("TokenRequestSpec"))],
        // apps/v1 and batch/v1 (what `kubectl create deployment|job|cronjob` send).
        "PodTemplateSpec": [1: f("metadata", .message("ObjectMeta")), 2: f("spec", .message("PodSpec"))],
        "LabelSelector": [1: f("matchLabels", .map(.string)), 2: list("matchExpressions", .message("LabelSelectorRequirement"))],
        "LabelSelectorRequirement": [1: f("key", .string), 2: f("operator", .string), 3: list("values", .string)],
        "Deployment": [1: f("metadata", .message("ObjectMeta")), 2: f("spec", .message("DeploymentSpec"))],
        "DeploymentSpec": [1: p("replicas", .int32), 2: f("selector", .message("LabelSelector")), 3: f("template", .message("PodTemplateSpec")),
                           4: f("strategy", .message("DeploymentStrategy")), 5: f("minReadySeconds", .int32),
                           6: p("revisionHistoryLimit", .int32), 7: f("paused", .bool), 9: p("progressDeadlineSeconds", .int32)],
        "DeploymentStrategy": [1: f("type", .string), 2: f("rollingUpdate", .message("RollingUpdateDeployment"))],
        "RollingUpdateDeployment": [1: f("maxUnavailable", .intOrString), 2: f("maxSurge", .intOrString)],
        "ReplicaSet": [1: f("metadata", .message("ObjectMeta")), 2: f("spec", .message("ReplicaSetSpec"))],
        "ReplicaSetSpec": [1: p("replicas", .int32), 2: f("selector", .message("LabelSelector")), 3: f("template", .message("PodTemplateSpec")),
                           4: f("minReadySeconds", .int32)],
        "StatefulSet": [1: f("metadata", .message("ObjectMeta")), 2: f("spec", .message("StatefulSetSpec"))],
        "StatefulSetSpec": [1: p("replicas", .int32), 2: f("selector", .message("LabelSelector")), 3: f("template", .message("PodTemplateSpec")),
                            5: f("serviceName", .string), 6: f("podManagementPolicy", .string)],
        "DaemonSet": [1: f("metadata", .message("ObjectMeta")), 2: f("spec", .message("DaemonSetSpec"))],
        "DaemonSetSpec": [1: f("selector", .message("LabelSelector")), 2: f("template", .message("PodTemplateSpec")),
                          4: f("minReadySeconds", .int32), 6: p("revisionHistoryLimit", .int32)],
        "Job": [1: f("metadata", .message("ObjectMeta")), 2: f("spec", .message("JobSpec"))],
        "JobSpec": [1: p("parallelism", .int32), 2: p("completions", .int32), 3: p("activeDeadlineSeconds", .int64),
                    4: f("selector", .message("LabelSelector")), 5: p("manualSelector", .bool), 6: f("template", .message("PodTemplateSpec")),
                    7: p("backoffLimit", .int32), 8: p("ttlSecondsAfterFinished", .int32), 9: p("completionMode", .string),
                    10: p("suspend", .bool)],
        "CronJob": [1: f("metadata", .message("ObjectMeta")), 2: f("spec", .message("CronJobSpec"))],
        "CronJobSpec": [1: f("schedule", .string), 2: p("startingDeadlineSeconds", .int64), 3: f("concurrencyPolicy", .string),
                        4: p("suspend", .bool), 5: f("jobTemplate", .message("JobTemplateSpec")), 6: p("successfulJobsHistoryLimit", .int32),
                        7: p("failedJobsHistoryLimit", .int32), 8: p("timeZone", .string)],
        "JobTemplateSpec": [1: f("metadata", .message("ObjectMeta")), 2: f("spec", .message("JobSpec"))],
        // What kubectl create ingress|pdb|priorityclass|quota send.
        "Ingress": [1: f("metadata", .message("ObjectMeta")), 2: f("spec", .message("IngressSpec"))],
        "IngressSpec": [1: f("defaultBackend", .message("IngressBackend")), 2: list("tls", .message("IngressTLS")),
                        3: list("rules", .message("IngressRule")), 4: p("ingressClassName", .string)],
        "IngressBackend": [3: f("resource", .message("TypedLocalObjectReference")), 4: f("service", .message("IngressServiceBackend"))],
        "TypedLocalObjectReference": [1: p("apiGroup", .string), 2: f("kind", .string), 3: f("name", .string)],
        "IngressServiceBackend": [1: f("name", .string), 2: f("port", .message("ServiceBackendPort"))],
        "ServiceBackendPort": [1: f("name", .string), 2: f("number", .int32)],
        "IngressTLS": [1: list("hosts", .string), 2: f("secretName", .string)],
        "IngressRule": [1: f("host", .string), 2: f("ingressRuleValue", .inline("IngressRuleValue"))],
        "IngressRuleValue": [1: f("http", .message("HTTPIngressRuleValue"))],
        "HTTPIngressRuleValue": [1: list("paths", .message("HTTPIngressPath"))],
        "HTTPIngressPath": [1: f("path", .string), 2: f("backend", .message("IngressBackend")), 3: p("pathType", .string)],
        "PodDisruptionBudget": [1: f("metadata", .message("ObjectMeta")), 2: f("spec", .message("PodDisruptionBudgetSpec"))],
        "PodDisruptionBudgetSpec": [1: f("minAvailable", .intOrString), 2: f("selector", .message("LabelSelector")),
                                    3: f("maxUnavailable", .intOrString), 4: p("unhealthyPodEvictionPolicy", .string)],
        "PriorityClass": [1: f("metadata", .message("ObjectMeta")), 2: p("value", .int32), 3: f("globalDefault", .bool),
                          4: f("description", .string), 5: p("preemptionPolicy", .string)],
        "ResourceQuota": [1: f("metadata", .message("ObjectMeta")), 2: f("spec", .message("ResourceQuotaSpec"))],
        "ResourceQuotaSpec": [1: f("hard", .map(.quantity)), 2: list("scopes", .string)],
        "TokenRequestSpec": [1: list("audiences", .string), 4: p("expirationSeconds", .int64),
                             3: f("boundObjectRef", .message("BoundObjectReference"))],
        "BoundObjectReference": [1: f("kind", .string), 2: f("apiVersion", .string), 3: f("name", .string), 4: f("uid", .string)],
        "TokenReview": [1: f("metadata", .message("ObjectMeta")), 2: f("spec", .message("TokenReviewSpec"))],
        "TokenReviewSpec": [1: f("token", .string), 2: list("audiences", .string)],
        "SelfSubjectReview": [1: f("metadata", .message("ObjectMeta"))],
        "LeaseSpec": [1: f("holderIdentity", .string), 2: p("leaseDurationSeconds", .int32), 3: f("acquireTime", .time),
                      4: f("renewTime", .time), 5: p("leaseTransitions", .int32)],
    ]
}
