import Foundation
import Synchronization
import KubeCommand
import KubestrapTesting
import KubeadmAPI
import PKI
@testable import BootstrapPhases

/// A temp dir per test, removed afterwards; unit tests never touch /etc/kubernetes.
struct Sandbox: ~Copyable {
    let root: String
    init() throws {
        var template = Array("\(NSTemporaryDirectory())/kubestrap-test-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CocoaError(.fileWriteUnknown)
        }
        root = String(cString: made)
    }
    deinit { try? FileManager.default.removeItem(atPath: root) }

    var pki: String { "\(root)/pki" }

    func files() -> [String] {
        guard let e = FileManager.default.enumerator(atPath: root) else { return [] }
        var out: [String] = []
        while let p = e.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: "\(root)/\(p)", isDirectory: &isDir), !isDir.boolValue { out.append(p) }
        }
        return out.sorted()
    }

    func contents(_ relative: String) -> Data? { FileManager.default.contents(atPath: "\(root)/\(relative)") }
    func mode(_ relative: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: "\(root)/\(relative)")[.posixPermissions] as? Int) ?? nil
    }
    func write(_ relative: String, _ text: String) throws {
        try text.write(toFile: "\(root)/\(relative)", atomically: true, encoding: .utf8)
    }
}

let fixedHost = HostFacts(hostname: "n1", defaultAddress: IPAddress("10.0.0.5"))

/// Runs `bootstrap <args>` in-process.
func bootstrap(_ args: [String]) async -> (code: Int32, out: String, err: String) {
    let output = CapturedOutput()
    let root = BootstrapCommand.make(version: "test", host: { fixedHost })
    let code = await CommandRunner(root: root, output: output).execute(args)
    return (code, output.stdout, output.stderr)
}

func loadCert(_ path: String) throws -> PKICertificate {
    try PKICertificate(pem: try String(contentsOfFile: path, encoding: .utf8))
}

let expectedPKIFiles = [
    "pki/apiserver-etcd-client.crt", "pki/apiserver-etcd-client.key",
    "pki/apiserver-kubelet-client.crt", "pki/apiserver-kubelet-client.key",
    "pki/apiserver.crt", "pki/apiserver.key", "pki/ca.crt", "pki/ca.key",
    "pki/etcd/ca.crt", "pki/etcd/ca.key", "pki/etcd/healthcheck-client.crt", "pki/etcd/healthcheck-client.key",
    "pki/etcd/peer.crt", "pki/etcd/peer.key", "pki/etcd/server.crt", "pki/etcd/server.key",
    "pki/front-proxy-ca.crt", "pki/front-proxy-ca.key", "pki/front-proxy-client.crt", "pki/front-proxy-client.key",
    "pki/sa.key", "pki/sa.pub",
]
