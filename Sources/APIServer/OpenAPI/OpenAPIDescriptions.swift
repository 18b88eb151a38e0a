/// Short descriptions, written for this project, of the types and fields `kubectl explain` users read first. Fields
/// without one show `<no description>`, as upstream's do when a Go comment is missing.
enum OpenAPIDescriptions {
    /// What every kind's top-level fields mean (a kind's own entry below takes precedence).
    static let kindFields: [String: String] = [
        "apiVersion": "The versioned schema of this object: group/version, or just the version for the core group. "
            + "The server converts recognised versions and refuses others.",
        "kind": "The type of this object, in CamelCase. Taken from the endpoint when omitted; it cannot be changed.",
        "metadata": "The object's standard metadata: name, namespace, labels, annotations, owners and the fields the "
            + "server maintains.",
        "spec": "The desired state, as the user or a controller writes it.",
        "status": "The most recently observed state, written by the system. Read-only for users.",
    ]

    static func fields(of definition: String) -> [String: String] {
        var all = fields[definition] ?? [:]
        if definition.hasPrefix("io.k8s."), Schemas.definitions[definition]?.property("apiVersion") != nil,
           Schemas.definitions[definition]?.property("kind") != nil {
            for (field, text) in kindFields where all[field] == nil { all[field] = text }
        }
        return all
    }

    static func type(_ definition: String) -> String? { types[definition] }

    static let types: [String: String] = [
        "io.k8s.api.core.v1.Pod": "A group of containers scheduled together on one node, sharing network and volumes.",
        "io.k8s.api.core.v1.Service": "A stable name and virtual address in front of the pods its selector matches.",
        "io.k8s.api.core.v1.ConfigMap": "Configuration data as key-value pairs for pods to consume.",
        "io.k8s.api.core.v1.Secret": "Sensitive data (tokens, keys, passwords) for pods to consume; values are base64 in `data`.",
        "io.k8s.api.core.v1.Namespace": "A scope for names; most objects live in exactly one namespace.",
        "io.k8s.api.core.v1.Node": "A machine that runs pods, as its kubelet reports it.",
        "io.k8s.api.apps.v1.Deployment": "Declarative updates of a set of identical pods through ReplicaSets.",
        "io.k8s.api.apps.v1.ReplicaSet": "Keeps a given number of pods matching its selector running.",
        "io.k8s.api.apps.v1.StatefulSet": "Pods with stable identities and storage, created and updated in order.",
        "io.k8s.api.apps.v1.DaemonSet": "Runs one copy of a pod on each eligible node.",
        "io.k8s.api.batch.v1.Job": "Runs pods until a number of them complete successfully.",
        "io.k8s.api.batch.v1.CronJob": "Creates Jobs on a repeating schedule.",
        "io.k8s.api.apps.v1.DeploymentSpec": "The desired behaviour of a Deployment.",
        "io.k8s.api.apps.v1.DeploymentStrategy": "How a Deployment replaces old pods with new ones.",
        "io.k8s.api.apps.v1.RollingUpdateDeployment": "Bounds of a Deployment's rolling update.",
        "io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy": "Bounds of a StatefulSet's rolling update.",
        "io.k8s.api.apps.v1.RollingUpdateDaemonSet": "Bounds of a DaemonSet's rolling update.",
        "io.k8s.api.core.v1.PodSpec": "The desired behaviour of a pod: its containers, volumes and scheduling constraints.",
        "io.k8s.api.core.v1.Container": "One container of a pod: its image, command, environment, ports and resources.",
        "io.k8s.api.core.v1.PodTemplateSpec": "The pods a workload creates: their metadata and spec.",
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": "Metadata every persisted object has.",
        "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector": "Selects objects by labels; all of its requirements must match. "
            + "An empty selector matches everything, a null one nothing.",
    ]

    static let fields: [String: [String: String]] = [
        "io.k8s.api.apps.v1.DeploymentSpec": [
            "replicas": "How many pods to run. Defaults to 1.",
            "selector": "The label selector of the pods this Deployment owns; it must match the template's labels and "
                + "cannot change after creation.",
            "template": "The pods to create.",
            "strategy": "How existing pods are replaced by new ones.",
            "minReadySeconds": "Seconds a new pod must be ready, without any container crashing, to count as available.",
            "revisionHistoryLimit": "How many old ReplicaSets to keep for rollback. Defaults to 10.",
            "paused": "Whether the rollout is paused.",
            "progressDeadlineSeconds": "Seconds a rollout may make no progress before it is reported as failed. Defaults to 600.",
        ],
        "io.k8s.api.apps.v1.DeploymentStrategy": [
            "type": "\"Recreate\" or \"RollingUpdate\" (the default).",
            "rollingUpdate": "Parameters of a rolling update; only with type RollingUpdate.",
        ],
        "io.k8s.api.apps.v1.RollingUpdateDeployment": [
            "maxUnavailable": "How many pods (a number or a percentage of the desired count) may be unavailable during "
                + "the update. Defaults to 25%.",
            "maxSurge": "How many pods (a number or a percentage of the desired count) may be created above the desired "
                + "count during the update. Defaults to 25%.",
        ],
        "io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy": [
            "partition": "Only pods with an ordinal at or above this number are updated. Defaults to 0.",
            "maxUnavailable": "How many pods may be unavailable during the update. Defaults to 1.",
        ],
        "io.k8s.api.apps.v1.RollingUpdateDaemonSet": [
            "maxUnavailable": "How many nodes' daemon pods may be unavailable during the update. Defaults to 1.",
            "maxSurge": "How many nodes may run an updated pod beside the old one during the update. Defaults to 0.",
        ],
        "io.k8s.api.apps.v1.StatefulSetSpec": [
            "replicas": "How many pods to run. Defaults to 1.",
            "serviceName": "The headless Service that gives the pods their network identity.",
            "selector": "The label selector of the pods this StatefulSet owns; it must match the template's labels.",
            "template": "The pods to create; each gets a stable name with its ordinal.",
            "updateStrategy": "How pods are updated when the template changes.",
            "volumeClaimTemplates": "PersistentVolumeClaims created for each pod, kept across its restarts.",
        ],
        "io.k8s.api.apps.v1.DaemonSetSpec": [
            "selector": "The label selector of the pods this DaemonSet owns; it must match the template's labels.",
            "template": "The pod to run on each eligible node.",
            "updateStrategy": "How pods are updated when the template changes.",
        ],
        "io.k8s.api.apps.v1.ReplicaSetSpec": [
            "replicas": "How many pods to run. Defaults to 1.",
            "selector": "The label selector of the pods this ReplicaSet counts; it must match the template's labels.",
            "template": "The pods to create when too few match.",
        ],
        "io.k8s.api.batch.v1.JobSpec": [
            "parallelism": "How many pods may run at once.",
            "completions": "How many pods must finish successfully.",
            "backoffLimit": "How many retries before the Job is marked failed. Defaults to 6.",
            "template": "The pods to run.",
        ],
        "io.k8s.api.batch.v1.CronJobSpec": [
            "schedule": "When to create Jobs, in cron format.",
            "jobTemplate": "The Jobs to create.",
            "suspend": "Whether to stop creating new Jobs.",
            "concurrencyPolicy": "\"Allow\" (the default), \"Forbid\" or \"Replace\" concurrent Jobs.",
        ],
        "io.k8s.api.core.v1.PodSpec": [
            "containers": "The containers of the pod. At least one; they cannot be added or removed later.",
            "initContainers": "Containers run one after another, to completion, before the others start.",
            "volumes": "Volumes the pod's containers may mount.",
            "restartPolicy": "\"Always\" (the default), \"OnFailure\" or \"Never\".",
            "nodeSelector": "Labels a node must have to run this pod.",
            "nodeName": "The node the pod is bound to; set by the scheduler unless given.",
            "serviceAccountName": "The ServiceAccount the pod runs as.",
            "tolerations": "Taints of nodes this pod tolerates.",
        ],
        "io.k8s.api.core.v1.Container": [
            "name": "The container's name, unique within the pod.",
            "image": "The container image to run.",
            "command": "The entrypoint, replacing the image's ENTRYPOINT.",
            "args": "Arguments to the entrypoint, replacing the image's CMD.",
            "ports": "Ports the container exposes (informational).",
            "env": "Environment variables to set in the container.",
            "resources": "Compute resources the container requests and is limited to.",
            "volumeMounts": "Volumes of the pod mounted into the container's filesystem.",
            "imagePullPolicy": "\"Always\", \"Never\" or \"IfNotPresent\".",
        ],
        "io.k8s.api.core.v1.ServiceSpec": [
            "ports": "The ports the Service exposes.",
            "selector": "Pods with these labels receive the Service's traffic.",
            "type": "\"ClusterIP\" (the default), \"NodePort\", \"LoadBalancer\" or \"ExternalName\".",
            "clusterIP": "The Service's virtual IP; allocated unless given, \"None\" for a headless Service.",
        ],
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": [
            "name": "The object's name, unique within its namespace (or the cluster) for its kind.",
            "namespace": "The namespace of a namespaced object.",
            "labels": "Key-value pairs to organise and select objects.",
            "annotations": "Key-value pairs for tools and extensions; not used for selection.",
            "generateName": "A prefix from which the server makes a unique name when `name` is empty.",
            "ownerReferences": "Objects this one depends on; it is garbage-collected when they are gone.",
            "finalizers": "Keys that must be removed before the object is deleted.",
        ],
    ]
}
