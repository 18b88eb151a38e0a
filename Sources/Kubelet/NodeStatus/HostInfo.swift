import AtomicFile
import FoundationEssentials
import Glibc
import KubeAPI
import KubeJSON
import KubestrapVersion

/// What the node reports about its host: capacity (cpu, memory, pods, ephemeral-storage), nodeInfo, addresses,
/// and the pressure conditions, read from /proc, uname and statvfs.
struct HostInfo {
    static func cpuCount() -> Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// /proc/meminfo field in KiB.
    static func meminfo(_ field: String) -> Int? {
        guard let text = (try? AtomicFile.readText("/proc/meminfo")) ?? nil else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return line.split(separator: " ").compactMap { Int($0) }.first
        }
        return nil
    }

    /// MemTotal in bytes (1 when unknown, so ratios stay defined).
    static func memoryBytes() -> Int64 {
        let kib = Int64(meminfo("MemTotal") ?? 0)
        return max(1, kib.multipliedReportingOverflow(by: 1024).partialValue)
    }

    static func read(_ path: String) -> String? {
        ((try? AtomicFile.readText(path)) ?? nil)?.trimmingWhitespace()
    }

    static func osImage() -> String {
        guard let text = (try? AtomicFile.readText("/etc/os-release")) ?? nil else { return "Linux" }
        for line in text.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
            var value = line.dropFirst("PRETTY_NAME=".count)
            while value.first == "\"" { value.removeFirst() }
            while value.last == "\"" { value.removeLast() }
            return String(value)
        }
        return "Linux"
    }

    static func kernelVersion() -> String {
        var u = utsname()
        uname(&u)
        return withUnsafePointer(to: u.release) { $0.withMemoryRebound(to: CChar.self, capacity: 65) { String(cString: $0) } }
    }

    static var architecture: String { KubestrapVersion.architecture }

    /// The first non-loopback IPv4 address, as upstream picks the node IP when --node-ip is not given.
    static func primaryIPv4() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let addr = entry.pointee.ifa_addr, addr.pointee.sa_family == sa_family_t(AF_INET),
                  (entry.pointee.ifa_flags & UInt32(IFF_LOOPBACK)) == 0, (entry.pointee.ifa_flags & UInt32(IFF_UP)) != 0 else { continue }
            var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            let ok = addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin -> Bool in
                var a = sin.pointee.sin_addr
                return inet_ntop(AF_INET, &a, &buffer, socklen_t(INET_ADDRSTRLEN)) != nil
            }
            if ok { return String(cString: buffer) }
        }
        return nil
    }

    static func diskBytes(_ path: String) -> (total: UInt64, available: UInt64)? {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { return nil }
        return (UInt64(s.f_blocks) * UInt64(s.f_frsize), UInt64(s.f_bavail) * UInt64(s.f_frsize))
    }

    static func capacity(rootDir: String, maxPods: Int) -> JSONValue {
        var c: JSONValue = ["cpu": .string(String(cpuCount())), "pods": .string(String(maxPods))]
        if let mem = meminfo("MemTotal") { c["memory"] = .string("\(mem)Ki") }
        if let disk = diskBytes(rootDir) { c["ephemeral-storage"] = .string("\(disk.total / 1024)Ki") }
        return c
    }

    static let hostProcessRuntimeVersion = "kubestrap-host://0.1.0"

    static func nodeInfo(kubeletVersion: String, containerRuntimeVersion: String = hostProcessRuntimeVersion) -> JSONValue {
        [
            "machineID": .string(read("/etc/machine-id") ?? ""), "systemUUID": .string(read("/sys/class/dmi/id/product_uuid") ?? ""),
            "bootID": .string(read("/proc/sys/kernel/random/boot_id") ?? ""), "kernelVersion": .string(kernelVersion()),
            "osImage": .string(osImage()), "containerRuntimeVersion": .string(containerRuntimeVersion),
            "kubeletVersion": .string(kubeletVersion), "kubeProxyVersion": "", "operatingSystem": "linux",
            "architecture": .string(architecture),
        ]
    }

    struct Pressure { var memory: Bool; var disk: Bool; var pid: Bool }

    /// upstream's default hard eviction thresholds: memory.available<100Mi, nodefs.available<10%; pids near the limit.
    static func pressure(rootDir: String) -> Pressure {
        let memory = (meminfo("MemAvailable") ?? Int.max) < 100 * 1024
        var disk = false
        if let d = diskBytes(rootDir), d.total > 0 { disk = Double(d.available) / Double(d.total) < 0.10 }
        var pid = false
        if let max = read("/proc/sys/kernel/pid_max").flatMap(Int.init),
           let running = read("/proc/loadavg")?.split(separator: " ").dropFirst(3).first?.split(separator: "/").last.flatMap({ Int($0) }) {
            pid = Double(running) > Double(max) * 0.95
        }
        return Pressure(memory: memory, disk: disk, pid: pid)
    }
}
