import Foundation
import KubeHTTPClient

/// kubeadm 1.30+'s control-plane-check: every component this host runs is polled on its health endpoint at the
/// same time; each is reported when it answers, and one that never does is named with its last error and log.
enum ControlPlaneCheck {
    struct Result: Sendable {
        let component: ControlPlaneComponent
        let elapsed: Double
        /// nil: healthy; else the last failure.
        let failure: String?
    }

    /// One GET without verifying the serving certificate (the controller manager and scheduler serve self-signed
    /// ones, which kubeadm's check accepts too); nil when it answered 200, else what went wrong.
    static func probe(host: String, port: Int, path: String) async -> String? {
        do {
            var client = try HTTPSClient(host: host, port: port, caPEM: nil, certificatePEM: nil, keyPEM: nil)
            client.timeout = .seconds(2)
            let response = try await client.send(.GET, path)
            return response.status == 200 ? nil : "status \(response.status)"
        } catch {
            return "\(error)"
        }
    }

    /// The apiserver on its advertise address, the others on loopback, where they bind (--bind-address=127.0.0.1).
    static func endpoint<D: InitData>(_ component: ControlPlaneComponent, _ data: D) -> (host: String, port: Int) {
        switch component {
        case .apiServer: return (data.settings.advertiseAddress.description, data.settings.bindPort)
        case .controllerManager: return ("127.0.0.1", data.paths.controllerManagerPort)
        case .scheduler: return ("127.0.0.1", data.paths.schedulerPort)
        }
    }

    static func url<D: InitData>(_ component: ControlPlaneComponent, _ data: D) -> String {
        let (host, port) = endpoint(component, data)
        return "https://\(host):\(port)\(component.healthPath)"
    }

    /// The components this host runs: those `control-plane` wrote a manifest (or unit) for. A host where only the
    /// apiserver's was written (the phase run alone, or an older init) is not kept waiting for the others.
    static func components<D: InitData>(_ data: D) -> [ControlPlaneComponent] {
        let present = ControlPlaneComponent.allCases.filter { component in
            FileManager.default.fileExists(atPath: data.paths.manifestsDir + "/" + component.manifestFile)
                || FileManager.default.fileExists(atPath: data.paths.systemdDir + "/" + component.unitFile)
        }
        return present.isEmpty ? [.apiServer] : present
    }

    /// Polls one component until it answers 200 or `timeout` passes.
    static func check<D: InitData>(_ component: ControlPlaneComponent, _ data: D, timeout: Double,
                                   interval: UInt64 = 100_000_000) async -> Result {
        let (host, port) = endpoint(component, data)
        let start = Date()
        while true {
            let failure = await probe(host: host, port: port, path: component.healthPath)
            let elapsed = Date().timeIntervalSince(start)
            if failure == nil || elapsed > timeout || Task.isCancelled {
                return Result(component: component, elapsed: elapsed, failure: failure)
            }
            try? await Task.sleep(nanoseconds: interval)
        }
    }

    static func waitForAll<D: InitData>(_ data: D, timeout: Double) async throws {
        let running = components(data)
        for component in running {
            data.reporter.say("[control-plane-check] Checking \(component.rawValue) at \(url(component, data))")
        }
        let failed = await withTaskGroup(of: Result.self, returning: [Result].self) { group in
            for component in running {
                group.addTask { await check(component, data, timeout: timeout) }
            }
            var failed: [Result] = []
            for await result in group {
                let verdict = result.failure == nil ? "is healthy" : "is not healthy"
                data.reporter.say("[control-plane-check] \(result.component.rawValue) \(verdict) after \(WaitControlPlanePhase.format(result.elapsed))")
                if result.failure != nil { failed.append(result) }
            }
            return failed.sorted { $0.component.order < $1.component.order }
        }
        guard failed.isEmpty else {
            let checks = failed.map { "\($0.component.rawValue) check failed at \(url($0.component, data)): \($0.failure ?? "")" }
            throw WaitControlPlanePhase.Timeout(description: "failed while waiting for the control plane to start: "
                + checks.joined(separator: "; ") + "\n" + failed.map { diagnose($0.component, data) }.joined(separator: "\n"))
        }
    }

    /// What failed for one component: its unit's log, the kubelet's rejection of its manifest, or the last lines of
    /// its pod log and how often it was restarted.
    static func diagnose<D: InitData>(_ component: ControlPlaneComponent, _ data: D) -> String {
        let name = component.rawValue
        if data.options.controlPlaneMode == "systemd" {
            if KubeletLauncher.systemdIsInit { return "Look at 'systemctl status \(name)' and 'journalctl -xeu \(name)'." }
            let log = data.paths.logDir + "/" + name + ".log"
            return "The log of \(name) \(log) ends with:\n" + (WaitControlPlanePhase.tail(log, lines: 10) ?? "(no log)")
        }
        var out: [String] = []
        let manifest = data.paths.manifestsDir + "/" + component.manifestFile
        if let log = WaitControlPlanePhase.tail(data.paths.kubeletLogFile, lines: 400) {
            let rejected = log.split(separator: "\n").filter { $0.contains(manifest) && ($0.hasPrefix("E") || $0.contains("error")) }
            if let last = rejected.last { out.append("The kubelet rejected \(manifest):\n  \(last)") }
        }
        // One directory per version of the manifest: the newest is the pod the kubelet runs now.
        func modified(_ path: String) -> Date {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
        }
        let podDirs = ((try? FileManager.default.contentsOfDirectory(atPath: data.paths.podLogsDir)) ?? [])
            .filter { $0.hasPrefix("kube-system_\(name)-\(data.settings.nodeName)_") }
            .sorted { modified(data.paths.podLogsDir + "/" + $0) > modified(data.paths.podLogsDir + "/" + $1) }
        for dir in podDirs.prefix(1) {
            let containerDir = data.paths.podLogsDir + "/" + dir + "/" + name
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: containerDir)) ?? [])
                .filter { $0.hasSuffix(".log") }.sorted { (Int($0.dropLast(4)) ?? 0) < (Int($1.dropLast(4)) ?? 0) }
            if let last = files.last, let text = WaitControlPlanePhase.tail(containerDir + "/" + last, lines: 10) {
                let restarts = Int(last.dropLast(4)) ?? 0
                out.append("\(name) has been restarted \(restarts) times; the last lines of its log \(containerDir)/\(last):\n\(text)")
            }
        }
        if out.isEmpty { out.append("\(name): " + WaitControlPlanePhase.diagnoseKubelet(data)) }
        return out.joined(separator: "\n")
    }
}
