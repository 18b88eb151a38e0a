/// `--token-auth-file`: upstream's static token CSV, `token,user,uid,"group1,group2"` per line.
public struct TokenAuthenticator: Sendable {
    private let users: [String: UserInfo]

    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    public init(csv text: String, file: String) throws {
        var users: [String: UserInfo] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = Self.splitCSV(line)
            guard fields.count >= 3, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw ParseError(description: "token file \(file), line \(index + 1): expected at least 3 columns (token,user,uid[,\"groups\"]), got \(fields.count)")
            }
            var groups = fields.count > 3 ? fields[3].split(separator: ",").map { $0.trimmingCharacters() }.filter { !$0.isEmpty } : []
            groups.append("system:authenticated")
            if users[fields[0]] != nil {
                throw ParseError(description: "token file \(file), line \(index + 1): duplicate token")
            }
            users[fields[0]] = UserInfo(name: fields[1], uid: fields[2], groups: groups)
        }
        self.users = users
    }

    public func authenticate(_ token: String) -> UserInfo? { users[token] }

    static func splitCSV(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        for c in line {
            if c == "\"" { quoted.toggle(); continue }
            if c == ",", !quoted { fields.append(current); current = ""; continue }
            current.append(c)
        }
        fields.append(current)
        return fields
    }
}
