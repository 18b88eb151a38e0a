import KubeJSON

/// Every resource this server serves, grouped as discovery lists them.
public struct ResourceCatalog: Sendable {
    public let definitions: [ResourceDefinition]

    /// Group order as upstream lists them in /apis.
    /// Upstream's order of the built-in groups in discovery.
    public static let groupOrder = ["", "apiregistration.k8s.io", "apps", "events.k8s.io", "authentication.k8s.io",
                                    "authorization.k8s.io", "autoscaling", "batch", "certificates.k8s.io", "networking.k8s.io",
                                    "policy", "rbac.authorization.k8s.io", "storage.k8s.io", "admissionregistration.k8s.io",
                                    "apiextensions.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io",
                                    "discovery.k8s.io", "flowcontrol.apiserver.k8s.io"]

    public func lookup(group: String, version: String, resource: String) -> ResourceDefinition? {
        definitions.first { $0.group == group && $0.version == version && $0.resource == resource }
    }

    public init(definitions: [ResourceDefinition]) { self.definitions = definitions }

    /// Groups as discovery lists them: the built-in ones in upstream's order, then the custom ones by name; each
    /// group's versions by Kubernetes version priority, the preferred one first (v1 before v1beta1 before v1alpha1).
    public func groups() -> [(group: String, versions: [String])] {
        var names = Self.groupOrder
        for def in definitions where !names.contains(def.group) { names.append(def.group) }
        let custom = names.dropFirst(Self.groupOrder.count).sorted()
        return (Array(names.prefix(Self.groupOrder.count)) + custom).compactMap { g in
            let versions = Array(Set(definitions.filter { $0.group == g }.map(\.version))).sorted(by: KubeVersion.higherPriority)
            return versions.isEmpty ? nil : (g, versions)
        }
    }

    public static func standard() -> ResourceCatalog {
        func def(_ group: String, _ resource: String, _ singular: String, _ kind: String, namespaced: Bool,
                 _ strategy: any ResourceStrategy, short: [String] = [], columns: [TableColumn] = TableColumn.nameAge,
                 categories: [String] = [], version: String = "v1") -> ResourceDefinition {
            var d = ResourceDefinition(group: group, version: version, resource: resource, singular: singular, kind: kind,
                                       namespaced: namespaced, strategy: strategy)
            d.shortNames = short
            d.columns = columns
            d.categories = categories
            d.schema = Schemas.schema(forKind: kind, group: group, version: version)
            return d
        }
        var defs: [ResourceDefinition] = [
            def("", "configmaps", "configmap", "ConfigMap", namespaced: true, ConfigMapStrategy(), short: ["cm"], columns: Printers.configMaps),
            def("", "endpoints", "endpoints", "Endpoints", namespaced: true, PlainStrategy(), short: ["ep"], columns: Printers.endpoints),
            def("", "events", "event", "Event", namespaced: true, EventStrategy(), short: ["ev"], columns: Printers.events),
            {
                // Namespaces and Services have no deletecollection upstream (their REST storage does not offer it).
                var d = def("", "namespaces", "namespace", "Namespace", namespaced: false, NamespaceStrategy(), short: ["ns"], columns: Printers.namespaces)
                d.verbs = ResourceDefinition.allVerbs.filter { $0 != "deletecollection" }
                d.subresources = [.init(name: "finalize", group: "", version: "", kind: "Namespace", verbs: ["update"])]
                return d
            }(),
            {
                var d = def("", "nodes", "node", "Node", namespaced: false, NodeStrategy(), short: ["no"], columns: Printers.nodes)
                d.subresources = [.init(name: "proxy", group: "", version: "", kind: "NodeProxyOptions", verbs: ["create", "delete", "get", "patch", "update"])]
                return d
            }(),
            {
                var d = def("", "pods", "pod", "Pod", namespaced: true, PodStrategy(), short: ["po"], columns: Printers.pods, categories: ["all"])
                d.subresources = [.init(name: "attach", group: "", version: "", kind: "PodAttachOptions", verbs: ["create", "get"]),
                                  .init(name: "exec", group: "", version: "", kind: "PodExecOptions", verbs: ["create", "get"]),
                                  .init(name: "portforward", group: "", version: "", kind: "PodPortForwardOptions", verbs: ["create", "get"]),
                                  .init(name: "log", group: "", version: "", kind: "Pod", verbs: ["get"]),
                                  .init(name: "binding", group: "", version: "", kind: "Binding", verbs: ["create"]),
                                  .init(name: "eviction", group: "policy", version: "v1", kind: "Eviction", verbs: ["create"]),
                                  .init(name: "ephemeralcontainers", group: "", version: "", kind: "Pod", verbs: ["get", "patch", "update"]),
                                  .init(name: "proxy", group: "", version: "", kind: "PodProxyOptions", verbs: ["create", "delete", "get", "patch", "update"])]
                return d
            }(),
            def("", "secrets", "secret", "Secret", namespaced: true, SecretStrategy(), columns: Printers.secrets),
            {
                var d = def("", "replicationcontrollers", "replicationcontroller", "ReplicationController", namespaced: true,
                            ReplicationControllerStrategy(), short: ["rc"], columns: Printers.replicationControllers, categories: ["all"])
                d.subresources = [.init(name: "scale", group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"])]
                return d
            }(),
            def("", "podtemplates", "podtemplate", "PodTemplate", namespaced: true, PodTemplateStrategy(), columns: Printers.podTemplates),
            {
                var d = def("", "serviceaccounts", "serviceaccount", "ServiceAccount", namespaced: true, PlainStrategy(), short: ["sa"],
                            columns: Printers.serviceAccounts)
                d.subresources = [.init(name: "token", group: "authentication.k8s.io", version: "v1", kind: "TokenRequest", verbs: ["create"])]
                return d
            }(),
            {
                var d = def("", "services", "service", "Service", namespaced: true, ServiceStrategy(), short: ["svc"], columns: Printers.services,
                            categories: ["all"])
                d.verbs = ResourceDefinition.allVerbs.filter { $0 != "deletecollection" }
                d.subresources = [.init(name: "proxy", group: "", version: "", kind: "ServiceProxyOptions", verbs: ["create", "delete", "get", "patch", "update"])]
                return d
            }(),
            def("apiextensions.k8s.io", "customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition",
                namespaced: false, CustomResourceDefinitionStrategy(), short: ["crd", "crds"],
                columns: [TableColumn.name, TableColumn("Created At", type: "date") { o, _ in .string(o.metaCreationTimestamp ?? "") }],
                categories: ["api-extensions"]),
            def("apiregistration.k8s.io", "apiservices", "apiservice", "APIService", namespaced: false, APIServiceStrategy(),
                columns: Printers.apiServices, categories: ["api-extensions"]),
            def("coordination.k8s.io", "leases", "lease", "Lease", namespaced: true, LeaseStrategy(), columns: Printers.leases),
            def("", "persistentvolumes", "persistentvolume", "PersistentVolume", namespaced: false, PersistentVolumeStrategy(),
                short: ["pv"], columns: Printers.persistentVolumes),
            def("", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", namespaced: true,
                PersistentVolumeClaimStrategy(), short: ["pvc"], columns: Printers.persistentVolumeClaims),
            def("", "resourcequotas", "resourcequota", "ResourceQuota", namespaced: true, ResourceQuotaStrategy(), short: ["quota"],
                columns: Printers.resourceQuotas),
            def("", "limitranges", "limitrange", "LimitRange", namespaced: true, LimitRangeStrategy(), short: ["limits"],
                columns: Printers.limitRanges),
            def("storage.k8s.io", "storageclasses", "storageclass", "StorageClass", namespaced: false, StorageClassStrategy(),
                short: ["sc"], columns: Printers.storageClasses),
            def("networking.k8s.io", "ingresses", "ingress", "Ingress", namespaced: true, IngressStrategy(), short: ["ing"],
                columns: Printers.ingresses),
            def("networking.k8s.io", "ingressclasses", "ingressclass", "IngressClass", namespaced: false, PlainStrategy(),
                columns: Printers.ingressClasses),
            def("networking.k8s.io", "networkpolicies", "networkpolicy", "NetworkPolicy", namespaced: true, NetworkPolicyStrategy(),
                short: ["netpol"], columns: Printers.networkPolicies),
            def("discovery.k8s.io", "endpointslices", "endpointslice", "EndpointSlice", namespaced: true,
                EndpointSliceStrategy(), columns: Printers.endpointSlices),
            def("policy", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", namespaced: true,
                PodDisruptionBudgetStrategy(), short: ["pdb"], columns: Printers.podDisruptionBudgets),
            def("scheduling.k8s.io", "priorityclasses", "priorityclass", "PriorityClass", namespaced: false, PriorityClassStrategy(),
                short: ["pc"], columns: Printers.priorityClasses),
            def("batch", "jobs", "job", "Job", namespaced: true, JobStrategy(), columns: Printers.jobs, categories: ["all"]),
            def("batch", "cronjobs", "cronjob", "CronJob", namespaced: true, CronJobStrategy(), short: ["cj"], columns: Printers.cronJobs,
                categories: ["all"]),
            {
                var d = def("events.k8s.io", "events", "event", "Event", namespaced: true, EventsV1Strategy(), short: ["ev"], columns: Printers.eventsV1)
                d.storageConversion = EventsV1Conversion()
                d.storageGroupVersion = ("", "v1")
                return d
            }(),
            {
                var d = def("certificates.k8s.io", "certificatesigningrequests", "certificatesigningrequest", "CertificateSigningRequest",
                            namespaced: false, CertificateSigningRequestStrategy(), short: ["csr"], columns: Printers.certificateSigningRequests)
                d.subresources = [.init(name: "approval", group: "certificates.k8s.io", version: "v1", kind: "CertificateSigningRequest",
                                        verbs: ["get", "patch", "update"])]
                return d
            }(),
            def("rbac.authorization.k8s.io", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", namespaced: false,
                RoleBindingStrategy(clusterScoped: true), columns: Printers.roleBindings),
            def("rbac.authorization.k8s.io", "clusterroles", "clusterrole", "ClusterRole", namespaced: false, RoleStrategy(), columns: Printers.roles),
            def("rbac.authorization.k8s.io", "rolebindings", "rolebinding", "RoleBinding", namespaced: true,
                RoleBindingStrategy(clusterScoped: false), columns: Printers.roleBindings),
            def("rbac.authorization.k8s.io", "roles", "role", "Role", namespaced: true, RoleStrategy(), columns: Printers.roles),
            def("admissionregistration.k8s.io", "mutatingwebhookconfigurations", "mutatingwebhookconfiguration",
                "MutatingWebhookConfiguration", namespaced: false, WebhookConfigurationStrategy(mutating: true),
                columns: Printers.webhookConfigurations, categories: ["api-extensions"]),
            def("admissionregistration.k8s.io", "validatingadmissionpolicies", "validatingadmissionpolicy",
                "ValidatingAdmissionPolicy", namespaced: false, ValidatingAdmissionPolicyStrategy(),
                columns: Printers.validatingAdmissionPolicies, categories: ["api-extensions"]),
            def("admissionregistration.k8s.io", "validatingadmissionpolicybindings", "validatingadmissionpolicybinding",
                "ValidatingAdmissionPolicyBinding", namespaced: false, ValidatingAdmissionPolicyBindingStrategy(),
                columns: Printers.validatingAdmissionPolicyBindings, categories: ["api-extensions"]),
            def("admissionregistration.k8s.io", "validatingwebhookconfigurations", "validatingwebhookconfiguration",
                "ValidatingWebhookConfiguration", namespaced: false, WebhookConfigurationStrategy(mutating: false),
                columns: Printers.webhookConfigurations, categories: ["api-extensions"]),
        ]
        defs += [
            {
                var d = def("", "componentstatuses", "componentstatus", "ComponentStatus", namespaced: false, ComponentStatusStrategy(),
                            short: ["cs"], columns: Printers.componentStatuses)
                d.verbs = ["get", "list"]
                return d
            }(),
            {
                var d = def("", "bindings", "binding", "Binding", namespaced: true, PlainStrategy())
                d.verbs = ["create"]
                return d
            }(),
            def("apps", "controllerrevisions", "controllerrevision", "ControllerRevision", namespaced: true, ControllerRevisionStrategy(),
                columns: Printers.controllerRevisions),
            def("autoscaling", "horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler", namespaced: true,
                HorizontalPodAutoscalerStrategy(version: "v2"), short: ["hpa"], columns: Printers.horizontalPodAutoscalers,
                categories: ["all"], version: "v2"),
            {
                var d = def("autoscaling", "horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler", namespaced: true,
                            HorizontalPodAutoscalerStrategy(version: "v1"), short: ["hpa"], columns: Printers.horizontalPodAutoscalers,
                            categories: ["all"])
                d.storageConversion = HorizontalPodAutoscalerConversion()
                d.storageGroupVersion = ("autoscaling", "v2")
                return d
            }(),
            def("node.k8s.io", "runtimeclasses", "runtimeclass", "RuntimeClass", namespaced: false, RuntimeClassStrategy(),
                columns: Printers.runtimeClasses),
            def("storage.k8s.io", "csidrivers", "csidriver", "CSIDriver", namespaced: false, PlainStrategy(), columns: Printers.csiDrivers),
            def("storage.k8s.io", "csinodes", "csinode", "CSINode", namespaced: false, PlainStrategy(), columns: Printers.csiNodes),
            def("storage.k8s.io", "csistoragecapacities", "csistoragecapacity", "CSIStorageCapacity", namespaced: true, PlainStrategy(),
                columns: Printers.csiStorageCapacities),
            def("storage.k8s.io", "volumeattachments", "volumeattachment", "VolumeAttachment", namespaced: false,
                StatusSubresourceStrategy(), columns: Printers.volumeAttachments),
            def("flowcontrol.apiserver.k8s.io", "flowschemas", "flowschema", "FlowSchema", namespaced: false,
                StatusSubresourceStrategy(), columns: Printers.flowSchemas),
            def("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations", "prioritylevelconfiguration", "PriorityLevelConfiguration",
                namespaced: false, StatusSubresourceStrategy(), columns: Printers.priorityLevelConfigurations),
        ]
        let scale = ResourceDefinition.Subresource(name: "scale", group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"])
        for (resource, singular, kind, short, strategy, columns) in [
            ("deployments", "deployment", "Deployment", "deploy", DeploymentStrategy() as any ResourceStrategy, Printers.deployments),
            ("replicasets", "replicaset", "ReplicaSet", "rs", ReplicaSetStrategy(), Printers.replicaSets),
            ("statefulsets", "statefulset", "StatefulSet", "sts", StatefulSetStrategy(), Printers.statefulSets),
            ("daemonsets", "daemonset", "DaemonSet", "ds", DaemonSetStrategy(), Printers.daemonSets),
        ] {
            var d = def("apps", resource, singular, kind, namespaced: true, strategy, short: [short], columns: columns, categories: ["all"])
            if resource != "daemonsets" { d.subresources = [scale] }
            defs.append(d)
        }
        for (resource, kind) in [("selfsubjectreviews", "SelfSubjectReview"), ("tokenreviews", "TokenReview")] {
            var d = def("authentication.k8s.io", resource, "", kind, namespaced: false, PlainStrategy())
            d.verbs = ["create"]
            d.isVirtual = true
            defs.append(d)
        }
        for (resource, kind, namespaced) in [("localsubjectaccessreviews", "LocalSubjectAccessReview", true),
                                             ("selfsubjectaccessreviews", "SelfSubjectAccessReview", false),
                                             ("selfsubjectrulesreviews", "SelfSubjectRulesReview", false),
                                             ("subjectaccessreviews", "SubjectAccessReview", false)] {
            var d = def("authorization.k8s.io", resource, "", kind, namespaced: namespaced, PlainStrategy())
            d.verbs = ["create"]
            d.isVirtual = true
            defs.append(d)
        }
        return ResourceCatalog(definitions: defs)
    }
}

/// Kubernetes' version priority (apimachinery's CompareKubeAwareVersionStrings): GA before beta before alpha,
/// higher numbers first, anything that is not `v<N>[alpha|beta<M>]` last, alphabetically.
public enum KubeVersion {
    static func parse(_ v: String) -> (major: Int, stage: Int, minor: Int)? {
        guard v.hasPrefix("v") else { return nil }
        let rest = v.dropFirst()
        let digits = rest.prefix { $0.isNumber }
        guard let major = Int(digits), major > 0 else { return nil }
        let tail = rest.dropFirst(digits.count)
        if tail.isEmpty { return (major, 2, 0) }
        for (stage, word) in [(1, "beta"), (0, "alpha")] where tail.hasPrefix(word) {
            guard let minor = Int(tail.dropFirst(word.count)), minor > 0 else { return nil }
            return (major, stage, minor)
        }
        return nil
    }

    public static func higherPriority(_ a: String, _ b: String) -> Bool {
        switch (parse(a), parse(b)) {
        case let (x?, y?):
            if x.stage != y.stage { return x.stage > y.stage }
            if x.major != y.major { return x.major > y.major }
            return x.minor > y.minor
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return a < b
        }
    }
}
