@testable import APIServer
import KubeAPI
import KubeJSON
import Testing

/// discovery.k8s.io/v1 EndpointSlices as upstream serves them: discovery, defaults, validation, storage and table.
@Suite struct EndpointSliceTests {
    static let slices = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"

    static func slice(_ name: String, addressType: JSONValue = "IPv4", addresses: [[String]] = [["10.0.0.1"]],
                      ports: JSONValue = [["name": "http", "port": 80, "protocol": "TCP"]]) -> JSONValue {
        ["apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
         "metadata": ["name": .string(name), "labels": ["kubernetes.io/service-name": "web"]],
         "addressType": addressType,
         "endpoints": .array(addresses.map { ["addresses": .array($0.map(JSONValue.string)), "conditions": ["ready": true]] }),
         "ports": ports]
    }

    @Test func discoveryListsEndpointSlices() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let list = try await s.request("GET", "/apis/discovery.k8s.io/v1").body
        let resource = try #require(list["resources"]?.array?.first { $0["name"]?.string == "endpointslices" })
        #expect(resource["kind"]?.string == "EndpointSlice")
        #expect(resource["singularName"]?.string == "endpointslice")
        #expect(resource["namespaced"]?.bool == true)
        #expect((resource["shortNames"]?.array ?? []).isEmpty)
        let groups = try await s.request("GET", "/apis").body["groups"]?.array ?? []
        #expect(groups.contains { $0["name"]?.string == "discovery.k8s.io" })
        let openAPI = try await s.request("GET", "/openapi/v3/apis/discovery.k8s.io/v1").body
        let schema = openAPI[path: ["components", "schemas", "io.k8s.api.discovery.v1.EndpointSlice"]]
        #expect(schema?[path: ["properties", "addressType"]] != nil, "\(openAPI)")
        #expect(openAPI["paths"]?["/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices"] != nil)
    }

    @Test func createGetListAndStorageKey() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let created = try await s.request("POST", Self.slices, Self.slice("web-abcde", ports: [["port": 8080]]))
        #expect(created.status == 201, "\(created.text)")
        // SetDefaults_EndpointPort: name "" and protocol TCP.
        #expect(created.body["ports"]?.array?.first?["name"]?.string == "")
        #expect(created.body["ports"]?.array?.first?["protocol"]?.string == "TCP")
        #expect(created.body[path: ["metadata", "generation"]]?.int == 1)
        let got = try await s.request("GET", "\(Self.slices)/web-abcde")
        #expect(got.status == 200)
        #expect(got.body["endpoints"]?.array?.first?["addresses"] == ["10.0.0.1"])
        let listed = try await s.request("GET", "\(Self.slices)?labelSelector=kubernetes.io/service-name%3Dweb")
        #expect(listed.body["items"]?.array?.map { $0[path: ["metadata", "name"]]?.string ?? "" } == ["web-abcde"])
        #expect(listed.body["kind"]?.string == "EndpointSliceList")
        #expect(try await s.api.storage.get("/registry/endpointslices/default/web-abcde") != nil)

        // The address type is fixed once created.
        var changed = got.body
        changed["addressType"] = "IPv6"
        changed["endpoints"] = [["addresses": ["fd00::1"]]]
        let refused = try await s.request("PUT", "\(Self.slices)/web-abcde", changed)
        #expect(refused.status == 422, "\(refused.text)")
        #expect(refused.text.contains("addressType"))
    }

    @Test func invalidSlicesAreRefusedNamingTheField() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let cases: [(JSONValue, String)] = [
            (Self.slice("no-type", addressType: .null), "addressType: Required value"),
            (Self.slice("bad-type", addressType: "IP"), "addressType: Unsupported value: \\\"IP\\\""),
            (Self.slice("bad-ip", addresses: [["10.0.0.300"]]), "endpoints[0].addresses[0]: Invalid value"),
            (Self.slice("no-address", addresses: [[]]), "endpoints[0].addresses: Required value"),
            (Self.slice("bad-proto", ports: [["port": 80, "protocol": "HTTP"]]), "ports[0].protocol: Unsupported value"),
            (Self.slice("Bad_Name"), "metadata.name: Invalid value"),
            (Self.slice("too-many", addresses: Array(repeating: ["10.0.0.1"], count: 1001)), "endpoints: Too many: 1001"),
            (Self.slice("many-ports", ports: .array((1...101).map { ["name": .string("p\($0)"), "port": .int(Int64($0))] })),
             "ports: Too many: 101"),
        ]
        for (object, message) in cases {
            let reply = try await s.request("POST", Self.slices, object)
            #expect(reply.status == 422, "\(message): \(reply.text)")
            #expect(reply.text.contains(message), "\(message): \(reply.text)")
            #expect(reply.body["reason"]?.string == "Invalid")
        }
    }

    @Test func tableShowsAddressTypePortsAndEndpoints() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let addresses = (1...5).map { ["10.0.0.\($0)"] }
        #expect(try await s.request("POST", Self.slices, Self.slice("web-many", addresses: addresses)).status == 201)
        #expect(try await s.request("POST", Self.slices, Self.slice("web-empty", addresses: [], ports: [])).status == 201)
        let table = try await s.request("GET", Self.slices, accept: "application/json;as=Table;v=v1;g=meta.k8s.io").body
        let columns = (table["columnDefinitions"]?.array ?? []).compactMap { $0["name"]?.string }
        #expect(columns == ["Name", "AddressType", "Ports", "Endpoints", "Age"])
        let rows = Dictionary((table["rows"]?.array ?? []).compactMap { row -> (String, [JSONValue])? in
            guard let cells = row["cells"]?.array, let name = cells.first?.string else { return nil }
            return (name, cells)
        }, uniquingKeysWith: { a, _ in a })
        #expect(rows["web-many"]?[1] == "IPv4")
        #expect(rows["web-many"]?[2] == "80")
        #expect(rows["web-many"]?[3] == "10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...")
        #expect(rows["web-empty"]?[2] == "<unset>")
        #expect(rows["web-empty"]?[3] == "<unset>")
    }

    @Test func theApiserverKeepsTheKubernetesSlice() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let slice = try await s.request("GET", "\(Self.slices)/kubernetes")
        #expect(slice.status == 200, "\(slice.text)")
        #expect(slice.body[path: ["metadata", "labels", "kubernetes.io/service-name"]]?.string == "kubernetes")
        #expect(slice.body["ports"]?.array?.first?["name"]?.string == "https")
        #expect(slice.body["endpoints"]?.array?.count == 1)
    }

    @Test func viewRoleReadsEndpointSlices() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let view = try await s.request("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/view").body
        let rules = view["rules"]?.array ?? []
        #expect(rules.contains { rule in
            (rule["apiGroups"]?.array ?? []).contains("discovery.k8s.io") && (rule["resources"]?.array ?? []).contains("endpointslices")
                && (rule["verbs"]?.array ?? []).contains("list")
        }, "\(rules)")
    }
}
