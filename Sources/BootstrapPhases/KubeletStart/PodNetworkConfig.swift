import AtomicFile
import Foundation
import KubeadmAPI

/// The pod network of a single node: a CNI conflist for the container runtime (a `cni0` bridge that is the pods'
/// gateway and masquerades their traffic off the node, host-local addresses from the node's pod range, portmap for
/// `hostPort`). Written only when /etc/cni/net.d holds no configuration, so an installed network add-on (flannel,
/// Calico…) is never overridden; `reset` removes this file, and only this one.
enum PodNetworkConfig {
    static let fileName = "10-kubestrap-bridge.conflist"
    /// Without `--pod-network-cidr` (kubeadm's `networking.podSubnet`): flannel's default, which most add-ons assume.
    static let defaultPodSubnet = "10.244.0.0/16"
    static let requiredPlugins = ["bridge", "host-local", "portmap", "loopback"]
    /// Debian's containernetworking-plugins, then the upstream tarball's place.
    static let pluginDirs = ["/usr/lib/cni", "/opt/cni/bin"]

    /// The range this node's pods get: the first /24 of the pod network, as kube-controller-manager's node IPAM
    /// gives the first node (`--node-cidr-mask-size` 24), or the whole network when it is smaller.
    static func nodeSubnet(podSubnet: String?) -> (podNetwork: String, nodeSubnet: String)? {
        let text = podSubnet ?? defaultPodSubnet
        for part in text.split(separator: ",") {
            guard let cidr = CIDR(part.trimmingCharacters(in: .whitespaces)), cidr.network.bytes.count == 4 else { continue }
            let node = cidr.prefixLength <= 24 ? "\(cidr.network)/24" : cidr.description
            return (cidr.description, node)
        }
        return nil
    }

    static func conflist(subnet: String) -> String {
        """
        {
          "cniVersion": "1.0.0",
          "name": "kubestrap",
          "plugins": [
            {
              "type": "bridge",
              "bridge": "cni0",
              "isGateway": true,
              "ipMasq": true,
              "hairpinMode": true,
              "ipam": {
                "type": "host-local",
                "ranges": [[{"subnet": "\(subnet)"}]],
                "routes": [{"dst": "0.0.0.0/0"}]
              }
            },
            {
              "type": "portmap",
              "capabilities": {"portMappings": true}
            }
          ]
        }

        """
    }

    /// Whether a CNI config other than ours is in `dir` (containerd reads *.conf, *.conflist and *.json).
    static func othersConfig(in dir: String) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.sorted().first { name in
            name != fileName && [".conf", ".conflist", ".json"].contains { name.hasSuffix($0) }
        }
    }

    static func write<D: InitData>(_ data: D) throws {
        let dir = data.paths.cniConfDir
        if let other = othersConfig(in: dir) {
            data.reporter.say("[pod-network] \(dir)/\(other) exists: leaving the pod network to it")
            return
        }
        guard let (network, subnet) = nodeSubnet(podSubnet: data.settings.podSubnet) else {
            data.reporter.warn("[pod-network] --pod-network-cidr \(data.settings.podSubnet ?? ""): no IPv4 range; no CNI configuration written")
            return
        }
        if data.settings.podSubnet == nil {
            data.reporter.say("[pod-network] No --pod-network-cidr given: using the default pod network \(network)")
        }
        let path = dir + "/" + fileName
        data.reporter.say("[pod-network] Writing the CNI configuration \"\(path)\" (bridge cni0, pod subnet \(subnet))")
        try AtomicFile.makeDirectories(dir)
        try AtomicFile.write(conflist(subnet: subnet), to: path, mode: 0o644)
    }
}
