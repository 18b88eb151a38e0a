@testable import APIServer
import KubeJSON
import Testing

/// apps/v1 and batch/v1 objects: upstream's defaults and validation, the scale subresource, printing.
@Suite struct WorkloadTests {
    static func deployment(_ name: String, selector: [String: String] = ["app": "web"], labels: [String: String] = ["app": "web"],
                           restartPolicy: String? = nil) -> JSONValue {
        var d: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name)],
            "spec": ["selector": ["matchLabels": JSONValue(selector)],
                     "template": ["metadata": ["labels": JSONValue(labels)], "spec": ["containers": [["name": "web", "image": "nginx:1.27"]]]]],
        ]
        if let restartPolicy { d[path: ["spec", "template", "spec", "restartPolicy"]] = .string(restartPolicy) }
        return d
    }

    static let deployments = "/apis/apps/v1/namespaces/default/deployments"

    @Test func deploymentsAreDefaultedValidatedAndScaled() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let created = try await s.request("POST", Self.deployments, Self.deployment("web"))
        #expect(created.status == 201, "\(created.text)")
        let spec = created.body["spec"] ?? .null
        #expect(spec["replicas"]?.int == 1 && spec["revisionHistoryLimit"]?.int == 10 && spec["progressDeadlineSeconds"]?.int == 600)
        #expect(spec[path: ["strategy", "rollingUpdate"]] == ["maxSurge": "25%", "maxUnavailable": "25%"])
        #expect(spec[path: ["template", "spec", "restartPolicy"]]?.string == "Always")
        #expect(spec[path: ["template", "spec", "priority"]] == nil, "priority is for pods, not templates")
        #expect(created.body[path: ["metadata", "generation"]]?.int == 1)

        let mismatch = try await s.request("POST", Self.deployments, Self.deployment("bad", labels: ["app": "other"]))
        #expect(mismatch.status == 422)
        #expect(mismatch.body["message"]?.string
            == #"Deployment.apps "bad" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`"#)
        let never = try await s.request("POST", Self.deployments, Self.deployment("never", restartPolicy: "Never"))
        #expect(never.body["message"]?.string?.contains(#"spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always""#) == true)

        // The scale subresource reads and writes spec.replicas only; generation follows.
        let scale = try await s.request("GET", "\(Self.deployments)/web/scale").body
        #expect(scale["kind"] == "Scale" && scale["apiVersion"] == "autoscaling/v1")
        #expect(scale[path: ["spec", "replicas"]]?.int == 1 && scale[path: ["status", "selector"]]?.string == "app=web")
        let patched = try await s.request("PATCH", "\(Self.deployments)/web/scale", ["spec": ["replicas": 4]],
                                          contentType: "application/merge-patch+json")
        #expect(patched.status == 200 && patched.body[path: ["spec", "replicas"]]?.int == 4)
        let after = try await s.request("GET", "\(Self.deployments)/web").body
        #expect(after[path: ["spec", "replicas"]]?.int == 4 && after[path: ["metadata", "generation"]]?.int == 2)
        let negative = try await s.request("PATCH", "\(Self.deployments)/web/scale", ["spec": ["replicas": -1]],
                                           contentType: "application/merge-patch+json")
        #expect(negative.status == 422 && negative.body["message"]?.string
            == #"Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"#)
        // The selector cannot change.
        var changed = after
        changed[path: ["spec", "selector"]] = ["matchLabels": ["app": "web", "tier": "x"]]
        changed[path: ["spec", "template", "metadata", "labels"]] = ["app": "web", "tier": "x"]
        let immutable = try await s.request("PUT", "\(Self.deployments)/web", changed)
        #expect(immutable.status == 422 && immutable.body["message"]?.string?.contains("spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"tier\":\"x\"}") == true)

        let table = try await s.request("GET", Self.deployments, accept: "application/json;as=Table;v=v1;g=meta.k8s.io").body
        #expect(table["columnDefinitions"]?.array?.compactMap { $0["name"]?.string }
            == ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"])
        #expect(table["rows"]?.array?.first?["cells"]?.array?.prefix(4) == ["web", "0/4", 0, 0])
        // kubectl get all.
        let resources = try await s.request("GET", "/apis/apps/v1").body["resources"]?.array ?? []
        #expect(resources.contains { $0["name"] == "deployments" && $0["categories"] == ["all"] && $0["shortNames"] == ["deploy"] })
        #expect(resources.contains { $0["name"] == "deployments/scale" && $0["kind"] == "Scale" && $0["group"] == "autoscaling" })
    }

    @Test func jobsGetTheirSelectorAndCronJobsASchedule() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let job: JSONValue = ["apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "pi"],
                              "spec": ["template": ["spec": ["restartPolicy": "Never", "containers": [["name": "pi", "image": "perl"]]]]]]
        let created = try await s.request("POST", "/apis/batch/v1/namespaces/default/jobs", job)
        #expect(created.status == 201, "\(created.text)")
        let uid = created.body.metaUID
        #expect(created.body[path: ["spec", "selector"]] == ["matchLabels": ["batch.kubernetes.io/controller-uid": .string(uid)]])
        #expect(created.body[path: ["spec", "template", "metadata", "labels", "job-name"]]?.string == "pi")
        #expect(created.body[path: ["spec", "backoffLimit"]]?.int == 6 && created.body[path: ["spec", "completions"]]?.int == 1)
        var always = job
        always[path: ["metadata", "name"]] = "always"
        always[path: ["spec", "template", "spec", "restartPolicy"]] = "Always"
        let refused = try await s.request("POST", "/apis/batch/v1/namespaces/default/jobs", always)
        #expect(refused.body["message"]?.string?.contains(#"spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never""#) == true)

        func cronJob(_ schedule: String) -> JSONValue {
            ["apiVersion": "batch/v1", "kind": "CronJob", "metadata": ["name": "tick"],
             "spec": ["schedule": .string(schedule),
                      "jobTemplate": ["spec": ["template": ["spec": ["restartPolicy": "OnFailure", "containers": [["name": "c", "image": "busybox"]]]]]]]]
        }
        let bad = try await s.request("POST", "/apis/batch/v1/namespaces/default/cronjobs", cronJob("61 * * * *"))
        #expect(bad.body["message"]?.string == #"CronJob.batch "tick" is invalid: spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61"#)
        let fields = try await s.request("POST", "/apis/batch/v1/namespaces/default/cronjobs", cronJob("* * * *"))
        #expect(fields.body["message"]?.string?.contains("expected exactly 5 fields, found 4") == true)
        let good = try await s.request("POST", "/apis/batch/v1/namespaces/default/cronjobs", cronJob("*/5 * * * mon-fri"))
        #expect(good.status == 201 && good.body[path: ["spec", "successfulJobsHistoryLimit"]]?.int == 3, "\(good.text)")
        #expect(try await s.request("POST", "/apis/batch/v1/namespaces/default/cronjobs", cronJob("@hourly")).status == 409)
    }
}

extension WorkloadTests {
    static let jobs = "/apis/batch/v1/namespaces/default/jobs"

    static func job(_ name: String, _ spec: JSONValue = .emptyObject) -> JSONValue {
        var j: JSONValue = ["apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": .string(name)],
                            "spec": ["template": ["spec": ["restartPolicy": "Never", "containers": [["name": "c", "image": "busybox"]]]]]]
        for (key, value) in spec.object ?? [:] { j[path: ["spec", key]] = value }
        return j
    }

    /// kubectl get jobs: the status the job controller writes, shown as upstream's printer shows it.
    @Test func aJobsTableShowsItsStatusAndCompletions() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        #expect(try await s.request("POST", Self.jobs, Self.job("work", ["completions": 3, "parallelism": 2])).status == 201)
        let now = Timestamp.format(Timestamp.now())
        let status: JSONValue = ["status": ["startTime": .string(now), "completionTime": .string(now), "succeeded": 3,
                                            "conditions": [["type": "SuccessCriteriaMet", "status": "True", "lastTransitionTime": .string(now)],
                                                           ["type": "Complete", "status": "True", "lastTransitionTime": .string(now)]]]]
        let written = try await s.request("PATCH", "\(Self.jobs)/work/status", status, contentType: "application/merge-patch+json")
        #expect(written.status == 200, "\(written.text)")
        let table = try await s.request("GET", Self.jobs, accept: "application/json;as=Table;v=v1;g=meta.k8s.io").body
        #expect(table["rows"]?.array?.first?["cells"]?.array?.prefix(3) == ["work", "Complete", "3/3"])
    }
}

/// Storage, networking, policy and scheduling kinds: defaults, validation, and the Priority admission plugin.
@Suite struct ClusterResourceTests {
    @Test func priorityClassesDecidePodPriority() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let classes = try await s.request("GET", "/apis/scheduling.k8s.io/v1/priorityclasses").body["items"]?.array ?? []
        #expect(classes.compactMap { $0.metaName.isEmpty ? nil : $0.metaName }.sorted() == ["system-cluster-critical", "system-node-critical"])
        func pod(_ name: String, _ className: String?, priority: Int64? = nil) -> JSONValue {
            var p: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name)],
                                "spec": ["containers": [["name": "c", "image": "busybox"]]]]
            if let className { p[path: ["spec", "priorityClassName"]] = .string(className) }
            if let priority { p[path: ["spec", "priority"]] = .int(priority) }
            return p
        }
        let plain = try await s.request("POST", "/api/v1/namespaces/default/pods", pod("plain", nil))
        #expect(plain.body[path: ["spec", "priority"]]?.int == 0 && plain.body[path: ["spec", "preemptionPolicy"]] == "PreemptLowerPriority")
        let critical = try await s.request("POST", "/api/v1/namespaces/default/pods", pod("critical", "system-node-critical", priority: 2_000_001_000))
        #expect(critical.status == 201 && critical.body[path: ["spec", "priority"]]?.int == 2_000_001_000)
        let missing = try await s.request("POST", "/api/v1/namespaces/default/pods", pod("missing", "nope"))
        #expect(missing.status == 403 && missing.body["message"]?.string == #"pods "missing" is forbidden: no PriorityClass with name nope was found"#)
        let wrong = try await s.request("POST", "/api/v1/namespaces/default/pods", pod("wrong", "system-node-critical", priority: 5))
        #expect(wrong.status == 403 && wrong.body["message"]?.string?.contains("the integer value of priority (5) must not be provided in pod spec") == true)
        let tooHigh: JSONValue = ["apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": ["name": "vip"], "value": 2_000_000_000]
        let refused = try await s.request("POST", "/apis/scheduling.k8s.io/v1/priorityclasses", tooHigh)
        #expect(refused.status == 422 && refused.body["message"]?.string?.contains("maximum allowed value of a user defined priority is 1000000000") == true)
    }

    @Test func volumesIngressesAndBudgetsAreValidated() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let pv: JSONValue = ["apiVersion": "v1", "kind": "PersistentVolume", "metadata": ["name": "pv1"],
                             "spec": ["capacity": ["storage": "1Gi"], "accessModes": ["ReadWriteOnce"], "hostPath": ["path": "/mnt"]]]
        let created = try await s.request("POST", "/api/v1/persistentvolumes", pv)
        #expect(created.status == 201 && created.body[path: ["spec", "persistentVolumeReclaimPolicy"]] == "Retain", "\(created.text)")
        var noSource = pv
        noSource[path: ["metadata", "name"]] = "pv2"
        noSource[path: ["spec", "hostPath"]] = nil
        #expect(try await s.request("POST", "/api/v1/persistentvolumes", noSource).body["message"]?.string?.contains("spec: Required value: must specify a volume type") == true)
        let ingress: JSONValue = ["apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": ["name": "web"],
                                  "spec": ["rules": [["http": ["paths": [["path": "/", "backend": ["service": ["name": "web", "port": ["number": 80]]]]]]]]]]
        let noType = try await s.request("POST", "/apis/networking.k8s.io/v1/namespaces/default/ingresses", ingress)
        #expect(noType.status == 422 && noType.body["message"]?.string?.contains("spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified") == true)
        let pdb: JSONValue = ["apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": ["name": "b"],
                              "spec": ["minAvailable": 1, "maxUnavailable": 1, "selector": ["matchLabels": ["app": "x"]]]]
        let both = try await s.request("POST", "/apis/policy/v1/namespaces/default/poddisruptionbudgets", pdb)
        #expect(both.status == 422 && both.body["message"]?.string?.contains("minAvailable and maxUnavailable cannot be both set") == true)
        // Stored under upstream's etcd keys.
        #expect(try await s.api.storage.get("/registry/persistentvolumes/pv1") != nil)
    }

    /// The DefaultStorageClass admission plugin; binding claims to volumes is kube-controller-manager's
    /// (ControllerManagerTests' PersistentVolumeBinderTests).
    @Test func aClaimWithoutAClassGetsTheDefaultOne() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        func pvc(_ name: String, _ className: String? = nil) -> JSONValue {
            var c: JSONValue = ["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": ["name": .string(name)],
                                "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]]
            if let className { c[path: ["spec", "storageClassName"]] = .string(className) }
            return c
        }
        let before = try await s.request("POST", "/api/v1/namespaces/default/persistentvolumeclaims", pvc("early"))
        #expect(before.status == 201 && before.body[path: ["spec", "storageClassName"]] == nil, "no default class yet: \(before.text)")
        let sc: JSONValue = ["apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "provisioner": "kubernetes.io/no-provisioner",
                             "volumeBindingMode": "WaitForFirstConsumer",
                             "metadata": ["name": "local", "annotations": ["storageclass.kubernetes.io/is-default-class": "true"]]]
        #expect(try await s.request("POST", "/apis/storage.k8s.io/v1/storageclasses", sc).status == 201)
        let later = try await s.request("POST", "/api/v1/namespaces/default/persistentvolumeclaims", pvc("later"))
        #expect(later.status == 201 && later.body[path: ["spec", "storageClassName"]] == "local", "\(later.text)")
        let named = try await s.request("POST", "/api/v1/namespaces/default/persistentvolumeclaims", pvc("named", "manual"))
        #expect(named.body[path: ["spec", "storageClassName"]] == "manual")
        #expect(later.body[path: ["status", "phase"]] == "Pending")
    }
}
