import KubeJSON

/// Kubernetes' remote command protocol over WebSocket (`kubectl exec` and `attach`): each binary message starts with
/// a channel byte. v4 sends the result as a metav1.Status on the error channel and terminal sizes as JSON on the
/// resize channel; v5 adds the close channel, on which the client says it has no more stdin.
public enum RemoteCommand {
    public static let v5 = "v5.channel.k8s.io"
    public static let v4 = "v4.channel.k8s.io"
    /// What this side serves, most preferred first.
    public static let protocols = [v5, v4]

    public static let stdin: UInt8 = 0
    public static let stdout: UInt8 = 1
    public static let stderr: UInt8 = 2
    public static let error: UInt8 = 3
    public static let resize: UInt8 = 4
    public static let close: UInt8 = 255

    /// The protocol chosen for a client's offer: the first offered that this side serves.
    public static func negotiate(_ offered: [String], supported: [String] = protocols) -> String? {
        offered.first { supported.contains($0) }
    }

    /// The Status for a command that ended with `exitCode` (0: Success), as upstream's exec sends it: a non-zero
    /// code is `NonZeroExitCode` with an `ExitCode` cause, which kubectl turns into its own exit code.
    public static func status(command: [String], exitCode: Int32) -> [UInt8] {
        guard exitCode != 0 else { return JSONWriter.write(["metadata": .emptyObject, "status": "Success"]) }
        let status: JSONValue = [
            "metadata": .emptyObject, "status": "Failure",
            "message": .string("command terminated with non-zero exit code: error executing command [\(command.joined(separator: " "))], exit code \(exitCode)"),
            "reason": "NonZeroExitCode",
            "details": ["causes": [["reason": "ExitCode", "message": .string(String(exitCode))]]],
        ]
        return JSONWriter.write(status)
    }

    /// The Status for a session that failed for another reason (upstream's `NewInternalError`).
    public static func internalError(_ message: String) -> [UInt8] {
        JSONWriter.write([
            "metadata": .emptyObject, "status": "Failure", "message": .string("Internal error occurred: \(message)"),
            "reason": "InternalError", "details": ["causes": [["message": .string(message)]]], "code": 500,
        ])
    }

    /// A resize message's `{"Width":…,"Height":…}`; nil when it does not parse.
    public static func terminalSize(_ payload: [UInt8]) -> (width: UInt16, height: UInt16)? {
        guard let value = try? JSONParser.parse(payload),
              let width = value["Width"]?.int, let height = value["Height"]?.int,
              (0...65535).contains(width), (0...65535).contains(height) else { return nil }
        return (UInt16(width), UInt16(height))
    }
}
