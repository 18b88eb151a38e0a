import FoundationEssentials
import Glibc
import KubeAPI

/// Builds what a container process gets: its environment (EnvironmentResolver.swift: upstream's order, `$(VAR)`
/// expansion, the downward API, ConfigMaps and Secrets) and its argv (`command` + `args`, expanded against it).
enum ContainerEnvironment {
    /// `metadata.labels['key']` and `metadata.annotations['key']` (an Indexed Job's JOB_COMPLETION_INDEX comes this way).
    static func mapEntry(_ fieldPath: String, pod: KubeletPod) -> String? {
        for (prefix, map) in [("metadata.labels['", pod.pod.metadata.labels), ("metadata.annotations['", pod.pod.metadata.annotations)]
        where fieldPath.hasPrefix(prefix) && fieldPath.hasSuffix("']") {
            let key = String(fieldPath.dropFirst(prefix.count).dropLast(2))
            return map?[key]
        }
        return nil
    }

    static func argv(for container: Container, environment: [(String, String)]) -> [String] {
        let values = Dictionary(environment, uniquingKeysWith: { _, last in last })
        let lookup: (String) -> String? = { values[$0] }
        return ((container.command ?? []) + (container.args ?? [])).map { expand($0, lookup) }
    }

    /// `$(VAR)` becomes the variable's value when defined and stays as written otherwise; `$$` escapes a `$`.
    static func expand(_ input: String, _ lookup: (String) -> String?) -> String {
        var out = ""
        var i = input.startIndex
        while i < input.endIndex {
            let c = input[i]
            let next = input.index(after: i)
            if c == "$", next < input.endIndex {
                if input[next] == "$" {
                    out.append("$")
                    i = input.index(after: next)
                    continue
                }
                if input[next] == "(", let close = input[next...].firstIndex(of: ")") {
                    let name = String(input[input.index(after: next)..<close])
                    if let value = lookup(name) {
                        out += value
                    } else {
                        out += "$(\(name))"
                    }
                    i = input.index(after: close)
                    continue
                }
            }
            out.append(c)
            i = next
        }
        return out
    }
}
