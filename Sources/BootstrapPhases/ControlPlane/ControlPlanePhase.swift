import AtomicFile
import BootstrapWorkflow
import Foundation
import KubeCommand

/// `control-plane`: writes the static Pod manifests of kube-apiserver, kube-controller-manager and kube-scheduler
/// into /etc/kubernetes/manifests from templates/, with the flags, probes, resources and hostPath volumes kubeadm
/// writes (plus the apiserver's embedded store); with `--control-plane-mode=systemd`, a unit for each instead.
enum ControlPlanePhase {
    struct TemplateError: Error, CustomStringConvertible { let description: String }

    static let inheritedFlags = ["cert-dir", "config", "apiserver-advertise-address", "apiserver-bind-port", "service-cidr",
                                 "service-dns-domain", "pod-network-cidr", "kubernetes-version", "dry-run", "templates-dir",
                                 "storage-backend", "control-plane-mode", "kubeconfig-dir", "root-prefix"]

    static func make<D: InitData>() -> Phase<D> {
        let inherited = inheritedFlags
        let components = ControlPlaneComponent.allCases.map { component in
            Phase(name: component.phaseName, short: "Generates the \(component.rawValue) static Pod manifest", inheritFlags: inherited,
                  run: { (data: D) in try write(component, data) })
        }
        return Phase(name: "control-plane", short: "Generate all static Pod manifest files necessary to establish the control plane",
                     phases: [Phase(name: "all", short: "Generate all static Pod manifest files", runAllSiblings: true, inheritFlags: inherited)]
                        + components,
                     inheritFlags: inherited,
                     run: { (data: D) in data.reporter.say("[control-plane] Using manifest folder \"\(data.paths.manifestsDir)\"") })
    }

    static func values<D: InitData>(_ data: D) -> [String: String] {
        let certs = data.certificatesDir
        let etcd = data.options.usesEtcd
        let podSubnet = data.settings.podSubnet
        let serviceSubnet = data.settings.serviceSubnets.map(\.description).joined(separator: ",")
        return [
            "ADVERTISE_ADDRESS": data.settings.advertiseAddress.description,
            "BIND_PORT": String(data.settings.bindPort),
            "CERT_DIR": certs,
            "DATA_DIR": data.paths.dataDir,
            "DNS_DOMAIN": data.settings.dnsDomain,
            "SERVICE_SUBNET": serviceSubnet,
            "KUBERNETES_VERSION": data.settings.kubernetesVersion,
            "APISERVER_BINARY": data.paths.installedAPIServer,
            "CONTROLLER_MANAGER_BINARY": data.paths.installedControllerManager,
            "SCHEDULER_BINARY": data.paths.installedScheduler,
            "CONTROLLER_MANAGER_PORT": String(data.paths.controllerManagerPort),
            "SCHEDULER_PORT": String(data.paths.schedulerPort),
            "KUBECONFIG_DIR": data.kubeconfigDir,
            "CLUSTER_NAME": data.settings.clusterName,
            // kubeadm lets the controller manager allocate node CIDRs only when there is a pod network.
            "ALLOCATE_NODE_CIDRS_FLAG": podSubnet == nil ? "" : "- --allocate-node-cidrs=true",
            "CLUSTER_CIDR_FLAG": podSubnet.map { "- --cluster-cidr=\($0)" } ?? "",
            "SERVICE_CLUSTER_IP_RANGE_FLAG": podSubnet == nil ? "" : "- --service-cluster-ip-range=\(serviceSubnet)",
            "KUBELET_BINARY": data.paths.installedKubelet,
            "NODE_NAME": data.settings.nodeName,
            "ETCD_BINARY": data.paths.etcdBinary ?? "/usr/bin/etcd",
            "ETCD_DATA_DIR": data.paths.etcdDataDir,
            // The kube-apiserver's storage: its embedded store, or the stacked etcd as kubeadm configures it.
            "STORAGE_BACKEND": etcd ? "etcd3" : "embedded",
            "DATA_DIR_FLAG": etcd ? "" : "- --data-dir=\(data.paths.dataDir)",
            "ETCD_FLAGS": etcd ? """
                - --etcd-cafile=\(certs)/etcd/ca.crt
                - --etcd-certfile=\(certs)/apiserver-etcd-client.crt
                - --etcd-keyfile=\(certs)/apiserver-etcd-client.key
                - --etcd-servers=https://127.0.0.1:2379
                """ : "",
            "DATA_VOLUME_MOUNT": etcd ? "" : """
                - mountPath: \(data.paths.dataDir)
                  name: kubestrap-data
                """,
            "DATA_VOLUME": etcd ? "" : """
                - hostPath:
                    path: \(data.paths.dataDir)
                    type: DirectoryOrCreate
                  name: kubestrap-data
                """,
        ]
    }

    /// `{{NAME}}` → value; an unknown placeholder is an error naming the template. A placeholder alone on its line
    /// stands for a list of lines: each gets the placeholder's indentation, and an empty value removes the line
    /// (flags and volumes that only one storage backend has).
    static func render(_ template: String, path: String, values: [String: String]) throws -> String {
        var lines: [String] = []
        for line in template.split(separator: "\n", omittingEmptySubsequences: false) {
            let indent = line.prefix { $0 == " " }
            let content = line.dropFirst(indent.count)
            if content.hasPrefix("{{"), content.hasSuffix("}}"), content.dropFirst(2).dropLast(2).allSatisfy({ $0 != "{" && $0 != "}" }) {
                let name = String(content.dropFirst(2).dropLast(2))
                guard let value = values[name] else { throw unknown(name, path: path, values: values) }
                lines += value.split(separator: "\n").map { String(indent + $0) }
                continue
            }
            lines.append(try substitute(String(line), path: path, values: values))
        }
        return lines.joined(separator: "\n")
    }

    private static func substitute(_ line: String, path: String, values: [String: String]) throws -> String {
        var out = ""
        var rest = Substring(line)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            let name = String(rest[open.upperBound..<close.lowerBound])
            guard let value = values[name] else { throw unknown(name, path: path, values: values) }
            out += value
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    private static func unknown(_ name: String, path: String, values: [String: String]) -> TemplateError {
        TemplateError(description: "\(path): unknown placeholder {{\(name)}}; known: \(values.keys.sorted().joined(separator: ", "))")
    }

    static func template<D: InitData>(_ data: D, folder: String, file: String) throws -> (String, String) {
        guard let dir = data.paths.locate(folder) else {
            throw TemplateError(description: "\(folder)/\(file) not found next to \(data.paths.sourceBinDir) or in \(data.paths.shareDir) (pass --templates-dir)")
        }
        let path = dir + "/" + file
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw TemplateError(description: "\(path): cannot read") }
        return (text, path)
    }

    static func manifest<D: InitData>(_ component: ControlPlaneComponent, _ data: D) throws -> String {
        let (text, path) = try template(data, folder: "templates", file: component.manifestFile)
        return try render(text, path: path, values: values(data))
    }

    /// The container command of the rendered manifest (`    - ` items under `command:`), for the systemd unit.
    static func command(fromManifest manifest: String) -> [String] {
        var out: [String] = []
        var inCommand = false
        for line in manifest.split(separator: "\n") {
            if line.hasPrefix("  - command:") { inCommand = true; continue }
            guard inCommand else { continue }
            guard line.hasPrefix("    - ") else { break }
            out.append(String(line.dropFirst(6)))
        }
        return out
    }

    static func unit<D: InitData>(_ component: ControlPlaneComponent, _ data: D) throws -> String {
        let argv = command(fromManifest: try manifest(component, data))
        var values = values(data)
        values[component.unitCommandPlaceholder] = argv.joined(separator: " \\\n    ")
        let (text, path) = try template(data, folder: "systemd", file: component.unitFile)
        return try render(text, path: path, values: values)
    }

    /// `etcd/local`: kubeadm's etcd manifest with the installed etcd binary, and its data directory (0700, as
    /// etcd wants it).
    static func writeEtcd<D: InitData>(_ data: D) throws {
        let manifestPath = data.paths.manifestsDir + "/etcd.yaml"
        data.reporter.say("[etcd] Creating static Pod manifest for local etcd in \"\(data.paths.manifestsDir)\"")
        let (text, path) = try template(data, folder: "templates", file: "etcd.yaml")
        let manifest = try render(text, path: path, values: values(data))
        try AtomicFile.makeDirectories(data.paths.manifestsDir)
        try AtomicFile.makeDirectories(data.paths.etcdDataDir, mode: 0o700)
        try AtomicFile.write(manifest, to: manifestPath, mode: 0o600)
    }

    static func write<D: InitData>(_ component: ControlPlaneComponent, _ data: D) throws {
        // Only the apiserver's embedded store has a data directory to prepare.
        let needsDataDir = component == .apiServer && !data.options.usesEtcd
        if data.options.controlPlaneMode == "systemd" {
            let unitPath = data.paths.systemdDir + "/" + component.unitFile
            data.reporter.say("[control-plane] Creating the systemd unit \"\(unitPath)\" for \"\(component.rawValue)\" (--control-plane-mode=systemd)")
            try AtomicFile.makeDirectories(data.paths.systemdDir)
            if needsDataDir { try AtomicFile.makeDirectories(data.paths.dataDir, mode: 0o700) }
            try AtomicFile.write(try unit(component, data), to: unitPath)
            return
        }
        data.reporter.say("[control-plane] Creating static Pod manifest for \"\(component.rawValue)\"")
        let text = try manifest(component, data)
        try AtomicFile.makeDirectories(data.paths.manifestsDir)
        if needsDataDir { try AtomicFile.makeDirectories(data.paths.dataDir, mode: 0o700) }
        try AtomicFile.write(text, to: data.paths.manifestsDir + "/" + component.manifestFile, mode: 0o600)
    }
}
