import Foundation
import KubeJSON

/// RFC 6902 JSON Patch (`application/json-patch+json`).
enum JSONPatch {
    static func apply(_ patch: JSONValue, to document: JSONValue) throws(StatusError) -> JSONValue {
        guard let ops = patch.array else { throw .badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch") }
        var doc = document
        for op in ops {
            guard let name = op["op"]?.string else { throw .badRequest("Unexpected kind: missing op") }
            guard let path = op["path"]?.string else { throw .badRequest("the server rejected our request due to an error in our request") }
            let pointer = try parsePointer(path)
            switch name {
            case "add":
                guard let value = op["value"] else { throw .badRequest("missing value") }
                doc = try add(doc, pointer, value)
            case "remove":
                doc = try remove(doc, pointer)
            case "replace":
                guard let value = op["value"] else { throw .badRequest("missing value") }
                _ = try get(doc, pointer)
                doc = try remove(doc, pointer)
                doc = try add(doc, pointer, value)
            case "move", "copy":
                guard let from = op["from"]?.string else { throw .badRequest("missing from") }
                let fromPointer = try parsePointer(from)
                let value = try get(doc, fromPointer)
                if name == "move" { doc = try remove(doc, fromPointer) }
                doc = try add(doc, pointer, value)
            case "test":
                guard try get(doc, pointer) == op["value"] ?? .null else { throw .badRequest("testing value \(path) failed: test failed") }
            default:
                throw .badRequest("Unexpected kind: \(name)")
            }
        }
        return doc
    }

    static func parsePointer(_ path: String) throws(StatusError) -> [String] {
        if path.isEmpty { return [] }
        guard path.hasPrefix("/") else { throw .badRequest("JSON pointer must be empty or start with a \"/\": \(path)") }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            String($0).replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    static func get(_ doc: JSONValue, _ pointer: [String]) throws(StatusError) -> JSONValue {
        var current = doc
        for token in pointer {
            if let o = current.object, let v = o[token] { current = v; continue }
            if let a = current.array, let i = Int(token), a.indices.contains(i) { current = a[i]; continue }
            throw .unprocessable("doc is missing path: \"/\(pointer.joined(separator: "/"))\": missing value")
        }
        return current
    }

    static func add(_ doc: JSONValue, _ pointer: [String], _ value: JSONValue) throws(StatusError) -> JSONValue {
        guard let token = pointer.first else { return value }
        let rest = Array(pointer.dropFirst())
        if var o = doc.object {
            if rest.isEmpty { o[token] = value } else {
                guard let child = o[token] else { throw .unprocessable("doc is missing path: \"/\(pointer.joined(separator: "/"))\": missing value") }
                o[token] = try add(child, rest, value)
            }
            return .object(o)
        }
        if var a = doc.array {
            if rest.isEmpty {
                if token == "-" { a.append(value) } else {
                    guard let i = Int(token), i >= 0, i <= a.count else { throw .unprocessable("add operation does not apply: index out of bounds: \(token)") }
                    a.insert(value, at: i)
                }
            } else {
                guard let i = Int(token), a.indices.contains(i) else { throw .unprocessable("index out of bounds: \(token)") }
                a[i] = try add(a[i], rest, value)
            }
            return .array(a)
        }
        throw .unprocessable("doc is missing path: \"/\(pointer.joined(separator: "/"))\"")
    }

    static func remove(_ doc: JSONValue, _ pointer: [String]) throws(StatusError) -> JSONValue {
        guard let token = pointer.first else { return .null }
        let rest = Array(pointer.dropFirst())
        if var o = doc.object {
            guard let child = o[token] else { throw .unprocessable("doc is missing path: \"/\(pointer.joined(separator: "/"))\": missing value") }
            o[token] = rest.isEmpty ? nil : try remove(child, rest)
            return .object(o)
        }
        if var a = doc.array, let i = Int(token), a.indices.contains(i) {
            if rest.isEmpty { a.remove(at: i) } else { a[i] = try remove(a[i], rest) }
            return .array(a)
        }
        throw .unprocessable("doc is missing path: \"/\(pointer.joined(separator: "/"))\": missing value")
    }
}

/// RFC 7386 JSON Merge Patch (`application/merge-patch+json`).
enum MergePatch {
    static func apply(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard let patchObject = patch.object else { return patch }
        var result = target.object ?? [:]
        for (key, value) in patchObject {
            if value == .null { result[key] = nil } else { result[key] = apply(value, to: result[key] ?? .null) }
        }
        return .object(result)
    }
}

extension StatusError {
    static func unprocessable(_ message: String) -> StatusError {
        StatusError(code: 422, reason: "Invalid", message: message)
    }
}

