import Foundation
import Glibc

/// Which container runtime the kubelet should use, found as kubeadm finds it: `--cri-socket` (or
/// `nodeRegistration.criSocket`) when given, else the one known runtime socket present on the host. Unlike kubeadm,
/// no runtime is not an error: the kubelet then runs every pod as host processes (Kubestrap's own runtime).
public struct CRIEndpoint: Sendable, Equatable {
    /// kubeadm's known endpoints, in its order (constants.go): containerd, CRI-O, cri-dockerd.
    public static let knownSockets = ["/var/run/containerd/containerd.sock", "/var/run/crio/crio.sock", "/var/run/cri-dockerd.sock"]

    /// `unix:///var/run/containerd/containerd.sock`; nil when no runtime is used.
    public var endpoint: String?
    /// Where it came from, for the preflight line: "--cri-socket", "nodeRegistration.criSocket" or "detected".
    public var source: String
    /// A preflight warning: the named socket is absent, or several runtimes answer.
    public var warning: String?

    public init(endpoint: String?, source: String, warning: String? = nil) {
        self.endpoint = endpoint
        self.source = source
        self.warning = warning
    }

    /// `root` prefixes the socket paths (tests, `--root-prefix`); `given` is the flag's or the config's value.
    public static func detect(root: String, given: String?, field: String) -> CRIEndpoint {
        let prefix = root.hasSuffix("/") ? String(root.dropLast()) : root
        if let given, !given.isEmpty {
            // kubeadm accepts a bare path and warns that it should be a URL; the kubelet wants the URL.
            let path = given.hasPrefix("unix://") ? String(given.dropFirst("unix://".count)) : given
            let url = "unix://" + path
            guard isSocket(path.hasPrefix(prefix) ? path : prefix + path) else {
                return CRIEndpoint(endpoint: nil, source: field,
                                   warning: "\(field) \(url): no container runtime socket there; pods will run as host processes of the kubelet")
            }
            return CRIEndpoint(endpoint: url, source: field)
        }
        let found = knownSockets.filter { isSocket(prefix + $0) }.map { "unix://" + prefix + $0 }
        switch found.count {
        case 0:
            return CRIEndpoint(endpoint: nil, source: "detected",
                               warning: "no container runtime found (looked for \(knownSockets.joined(separator: ", "))); pods will run as host processes of the kubelet. Install containerd (README) or pass --cri-socket")
        case 1:
            return CRIEndpoint(endpoint: found[0], source: "detected")
        default:
            // kubeadm refuses to choose; we take the first, as its order prefers containerd, and say so.
            return CRIEndpoint(endpoint: found[0], source: "detected",
                               warning: "found multiple CRI endpoints on the host (\(found.joined(separator: ", "))); using \(found[0]). Set --cri-socket or nodeRegistration.criSocket to choose")
        }
    }

    /// The `--container-runtime-endpoint` an earlier init recorded in kubeadm-flags.env, if any.
    public static func recorded(inFlagsFile path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let flag = "--container-runtime-endpoint="
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\"" || $0 == "\n" }) where word.hasPrefix(flag) {
            let value = String(word.dropFirst(flag.count))
            return value.isEmpty ? nil : value
        }
        return nil
    }

    /// A phase run again on a host init set up (`bootstrap init phase kubelet-start`) keeps the runtime init chose
    /// even while it is stopped: detecting nothing then would turn the kubelet's container pods into host processes.
    public func keepingRecorded(inFlagsFile path: String) -> CRIEndpoint {
        guard endpoint == nil, source == "detected", let recorded = Self.recorded(inFlagsFile: path) else { return self }
        return CRIEndpoint(endpoint: recorded, source: path,
                           warning: "the container runtime \(recorded) recorded in \(path) does not answer now; keeping it (the kubelet waits for it)")
    }

    static func isSocket(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK
    }
}
