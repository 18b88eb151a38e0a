import Foundation
import Glibc
import KubestrapTesting
import Testing
@testable import BootstrapPhases

/// The conflist `init` writes, run through Debian's CNI plugins as a runtime runs them (each plugin in turn with the
/// network's name and version, the previous result, and the portMappings capability as runtimeConfig), inside two
/// network namespaces standing for the node and a pod: the pod gets an address of the node's subnet behind cni0,
/// answers on it, and a hostPort reaches it through portmap. The host's own network and /var/lib/cni stay untouched.
@Suite(.serialized, .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/lib/cni/bridge")
                             && FileManager.default.isExecutableFile(atPath: "/usr/bin/busybox")
                             && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"),
                             "needs root, containernetworking-plugins in /usr/lib/cni, busybox and curl"))
struct PodNetworkPluginTests {
    struct Output { var status: Int32; var out: String }

    /// Runs a program to its end on a thread of its own (not the cooperative pool), with `input` on its stdin.
    func run(_ path: String, _ args: [String], input: String = "", environment: [String: String]? = nil) async -> Output {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: path)
                process.arguments = args
                if let environment { process.environment = environment }
                let stdin = Pipe(), stdout = Pipe()
                process.standardInput = stdin
                process.standardOutput = stdout
                process.standardError = stdout
                do { try process.run() } catch {
                    continuation.resume(returning: Output(status: 127, out: "\(error)"))
                    return
                }
                try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
                try? stdin.fileHandleForWriting.close()
                let data = stdout.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: Output(status: process.terminationStatus, out: String(decoding: data, as: UTF8.self)))
            }
        }
    }

    @Test func theConflistGivesAPodAnAddressAndAHostPort() async throws {
        let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/sbin/ip"
        let tag = "\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        let node = "kubestrap-cni-node-\(tag)", pod = "kubestrap-cni-pod-\(tag)"
        let dir = NSTemporaryDirectory() + "kubestrap-cni-" + tag
        try FileManager.default.createDirectory(atPath: dir + "/www", withIntermediateDirectories: true)
        try "answer from the pod\n".write(toFile: dir + "/www/index.html", atomically: true, encoding: .utf8)
        #expect(await run(ip, ["netns", "add", node]).status == 0)
        #expect(await run(ip, ["netns", "add", pod]).status == 0)
        var httpd: TetheredProcess?
        defer {
            // SIGKILL: httpd started under the test runner does not end on SIGTERM.
            httpd?.killAndWait()
            _ = try? Process.run(URL(fileURLWithPath: ip), arguments: ["netns", "delete", pod]).waitUntilExit()
            _ = try? Process.run(URL(fileURLWithPath: ip), arguments: ["netns", "delete", node]).waitUntilExit()
            try? FileManager.default.removeItem(atPath: dir)
        }

        let text = PodNetworkConfig.conflist(subnet: "10.244.0.0/24")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let plugins = try #require(list["plugins"] as? [[String: Any]])
        var previous: Any?
        for var plugin in plugins {
            let type = try #require(plugin["type"] as? String)
            plugin["name"] = list["name"]
            plugin["cniVersion"] = list["cniVersion"]
            if var ipam = plugin["ipam"] as? [String: Any] {
                ipam["dataDir"] = dir + "/ipam"   // not the host's /var/lib/cni/networks
                plugin["ipam"] = ipam
            }
            if let capabilities = plugin["capabilities"] as? [String: Bool], capabilities["portMappings"] == true {
                plugin["runtimeConfig"] = ["portMappings": [["hostPort": 18080, "containerPort": 8080, "protocol": "tcp"]]]
            }
            if let previous { plugin["prevResult"] = previous }
            let input = String(decoding: try JSONSerialization.data(withJSONObject: plugin), as: UTF8.self)
            let result = await run(ip, ["netns", "exec", node, "/usr/lib/cni/" + type], input: input, environment: [
                "CNI_COMMAND": "ADD", "CNI_CONTAINERID": "kubestrap-test", "CNI_NETNS": "/var/run/netns/" + pod,
                "CNI_IFNAME": "eth0", "CNI_PATH": "/usr/lib/cni", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            ])
            try #require(result.status == 0, "\(type): \(result.out)")
            previous = try JSONSerialization.jsonObject(with: Data(result.out.utf8))
        }
        let addresses = await run(ip, ["-n", pod, "-4", "addr", "show", "eth0"]).out
        #expect(addresses.contains("inet 10.244.0.2/24"), "\(addresses)")
        #expect(await run(ip, ["-n", node, "-4", "addr", "show", "cni0"]).out.contains("inet 10.244.0.1/24"))
        #expect(await run(ip, ["-n", pod, "route"]).out.contains("default via 10.244.0.1 dev eth0"))

        httpd = try TetheredProcess(executable: ip, arguments: ["netns", "exec", pod, "busybox", "httpd", "-f", "-p", "10.244.0.2:8080",
                                                                "-h", dir + "/www"])
        func fetch(_ url: String) async -> String {
            await run(ip, ["netns", "exec", node, "/usr/bin/curl", "-s", "-m", "3", url]).out
        }
        let deadline = ContinuousClock.now + .seconds(30)
        var direct = ""
        while direct != "answer from the pod\n", ContinuousClock.now < deadline {
            direct = await fetch("http://10.244.0.2:8080/")
            if direct != "answer from the pod\n" { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(direct == "answer from the pod\n")
        #expect(await fetch("http://10.244.0.1:18080/") == "answer from the pod\n", "hostPort 18080 through portmap")
    }
}
