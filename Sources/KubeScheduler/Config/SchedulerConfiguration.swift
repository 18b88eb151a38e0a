import FoundationEssentials
import KubeAPI
import KubeJSON
import KubeYAML

/// What kube-scheduler takes from a `--config` file (kubescheduler.config.k8s.io/v1 KubeSchedulerConfiguration):
/// the client connection, leader election, backoff and the profiles. Fields left out keep upstream's defaults.
public struct SchedulerConfiguration: Sendable {
    public struct PluginRef: Sendable, Equatable {
        public var name: String
        public var weight: Int64?
    }

    public struct PluginSet: Sendable, Equatable {
        public var enabled: [PluginRef] = []
        public var disabled: [PluginRef] = []
    }

    public struct Profile: Sendable, Equatable {
        public var schedulerName = defaultSchedulerName
        /// Extension point (`filter`, `score`, `multiPoint`, …) → its enabled and disabled plugins.
        public var plugins: [String: PluginSet] = [:]
        public init(schedulerName: String = defaultSchedulerName) { self.schedulerName = schedulerName }
    }

    public var kubeconfig: String?
    public var qps: Double?
    public var burst: Int?
    public var leaderElect: Bool?
    public var leaseDuration: Double?
    public var renewDeadline: Double?
    public var retryPeriod: Double?
    public var resourceName: String?
    public var resourceNamespace: String?
    public var podInitialBackoffSeconds: Double = 1
    public var podMaxBackoffSeconds: Double = 10
    public var profiles: [Profile] = [Profile()]

    public init() {}

    public static let apiVersion = "kubescheduler.config.k8s.io/v1"
    public static let kind = "KubeSchedulerConfiguration"

    public static func load(file: String) throws -> SchedulerConfiguration {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw ConfigError("failed to read --config file \(file): \(error)")
        }
        return try parse(text, file: file)
    }

    public static func parse(_ text: String, file: String) throws -> SchedulerConfiguration {
        let parsed: YAMLNode?
        do { parsed = try YAMLParser.document(text) } catch { throw StrictYAMLDecoder.syntaxError(error, file: file) }
        guard let node = parsed, node.mapping != nil else {
            throw ConfigError("\(file): expected a KubeSchedulerConfiguration mapping with apiVersion and kind")
        }
        let json = node.jsonValue()
        let apiVersion = json["apiVersion"]?.string ?? "", kind = json["kind"]?.string ?? ""
        guard kind == Self.kind, apiVersion == Self.apiVersion else {
            throw ConfigError("\(file): no kind \"\(kind)\" is registered for version \"\(apiVersion)\": expected apiVersion \(Self.apiVersion) and kind \(Self.kind)")
        }
        try ConfigShape.check(node, .configuration, path: "", file: file)
        return try SchedulerConfiguration(json, file: file)
    }

    init(_ json: JSONValue, file: String) throws {
        func fail(_ field: String, _ problem: String) -> ConfigError { ConfigError("\(file): \(field): \(problem)") }
        func number(_ value: JSONValue?, _ field: String) throws -> Double? {
            switch value {
            case nil, .null?: return nil
            case .int(let i)?: return Double(i)
            case .double(let d)? where d.isFinite: return d
            default: throw fail(field, "expected a number")
            }
        }
        func duration(_ value: JSONValue?, _ field: String) throws -> Double? {
            guard let value, value != .null else { return nil }
            guard let text = value.string, let parsed = GoDuration(text), parsed.nanoseconds > 0 else {
                throw fail(field, "invalid duration \(value): expected a Go duration such as \"15s\"")
            }
            return parsed.seconds
        }
        let connection = json["clientConnection"]
        kubeconfig = connection?["kubeconfig"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        qps = try number(connection?["qps"], "clientConnection.qps")
        burst = try number(connection?["burst"], "clientConnection.burst").map { Int(clampingDouble: $0) }
        let election = json["leaderElection"]
        leaderElect = election?["leaderElect"]?.bool
        leaseDuration = try duration(election?["leaseDuration"], "leaderElection.leaseDuration")
        renewDeadline = try duration(election?["renewDeadline"], "leaderElection.renewDeadline")
        retryPeriod = try duration(election?["retryPeriod"], "leaderElection.retryPeriod")
        resourceName = election?["resourceName"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        resourceNamespace = election?["resourceNamespace"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        if let initial = try number(json["podInitialBackoffSeconds"], "podInitialBackoffSeconds") {
            guard initial > 0 else { throw fail("podInitialBackoffSeconds", "must be greater than 0") }
            podInitialBackoffSeconds = initial
        }
        if let maximum = try number(json["podMaxBackoffSeconds"], "podMaxBackoffSeconds") {
            guard maximum >= podInitialBackoffSeconds else {
                throw fail("podMaxBackoffSeconds", "must be greater than or equal to PodInitialBackoffSeconds")
            }
            podMaxBackoffSeconds = maximum
        }
        if let list = json["profiles"]?.array, !list.isEmpty {
            profiles = []
            var names = Set<String>()
            for (i, entry) in list.enumerated() {
                var profile = Profile()
                if let name = entry["schedulerName"]?.string, !name.isEmpty { profile.schedulerName = name }
                guard names.insert(profile.schedulerName).inserted else {
                    throw fail("profiles[\(i)].schedulerName", "Duplicate value: \"\(profile.schedulerName)\"")
                }
                for (point, set) in entry["plugins"]?.object ?? [:] {
                    func refs(_ key: String) throws -> [PluginRef] {
                        try (set[key]?.array ?? []).enumerated().map { j, ref in
                            let field = "profiles[\(i)].plugins.\(point).\(key)[\(j)]"
                            guard let name = ref["name"]?.string, !name.isEmpty else { throw fail(field + ".name", "Required value") }
                            guard name == "*" || PluginCatalog.known.contains(name) else {
                                throw fail(field + ".name", "plugin \"\(name)\" does not exist")
                            }
                            let weight = try number(ref["weight"], field + ".weight").map { Int64(clampingDouble: $0) }
                            if let weight, weight < 0 { throw fail(field + ".weight", "Invalid value: \(weight): must be a non-negative number") }
                            return PluginRef(name: name, weight: weight)
                        }
                    }
                    profile.plugins[point] = PluginSet(enabled: try refs("enabled"), disabled: try refs("disabled"))
                }
                profiles.append(profile)
            }
        }
    }
}

public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Int {
    init(clampingDouble value: Double) {
        self = Int(Int64(clampingDouble: value))
    }
}
