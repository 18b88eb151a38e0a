@testable import APIServer
@testable import APIServerHTTP
import Foundation
import KubeHTTPClient
import KubeJSON
import KubeStorage
import Logging
import NIOHTTP1
import PKI
import Testing

/// The aggregation layer end to end in process: a kube-apiserver with the front-proxy PKI kubeadm makes, and a
/// sample aggregated server behind a Service and Endpoints on 127.0.0.1.
@Suite(.serialized) struct AggregationTests {
    final class Cluster: Sendable {
        let dir: String
        let api: APIServer
        let store: EmbeddedStore
        let port: Int
        let serving: Task<Void, Never>

        init(dir: String, api: APIServer, store: EmbeddedStore, port: Int, serving: Task<Void, Never>) {
            self.dir = dir
            self.api = api
            self.store = store
            self.port = port
            self.serving = serving
        }

        static func start() async throws -> Cluster {
            let dir = NSTemporaryDirectory() + "kubestrap-aggregation-" + UUID().uuidString
            func authority(_ name: String, _ cn: String) throws -> CertificateAuthority {
                let key = try PrivateKey.generate(.ecdsaP256)
                let cert = try CertificateIssuer.selfSignedCA(commonName: cn, key: key, validity: 86400)
                try CertificateStore.write(certificate: cert, key: key, to: CertificatePaths(directory: dir, baseName: name))
                return CertificateAuthority(certificate: cert, key: key)
            }
            func leaf(_ name: String, _ cn: String, _ o: [String], _ usage: ExtendedUsage, by ca: CertificateAuthority,
                      ips: [String] = [], dns: [String] = []) throws {
                let key = try PrivateKey.generate(.ecdsaP256)
                let cert = try CertificateIssuer.issue(CertificateRequest(commonName: cn, organizations: o,
                                                                          altNames: AltNames(dnsNames: dns, ipAddresses: ips.compactMap(IPAddress.init)),
                                                                          usages: [usage]),
                                                       for: key, by: ca, validity: 86400)
                try CertificateStore.write(certificate: cert, key: key, to: CertificatePaths(directory: dir, baseName: name))
            }
            let ca = try authority("ca", "kubernetes")
            let frontProxyCA = try authority("front-proxy-ca", "front-proxy-ca")
            let sampleCA = try authority("sample-ca", "sample-ca")
            try leaf("apiserver", "kube-apiserver", [], .serverAuth, by: ca, ips: ["127.0.0.1"])
            try leaf("admin", "kubernetes-admin", ["kubeadm:cluster-admins", "system:masters"], .clientAuth, by: ca)
            try leaf("front-proxy-client", "front-proxy-client", [], .clientAuth, by: frontProxyCA)
            try leaf("intruder", "intruder", [], .clientAuth, by: frontProxyCA)
            try leaf("sample", "sample-api", [], .serverAuth, by: sampleCA, dns: ["sample-api.sample.svc"])

            var logger = Logger(label: "test")
            logger.logLevel = .warning
            let store = try EmbeddedStore(options: .init(directory: dir + "/data"))
            var options = APIServerOptions()
            options.extensionAPIServerAuthentication = ["requestheader-allowed-names": "[\"front-proxy-client\"]"]
            let transport = try AggregatorProxyClient(certificateFile: dir + "/front-proxy-client.crt", keyFile: dir + "/front-proxy-client.key")
            let api = APIServer(options: options, storage: store, aggregation: transport, logger: logger)
            try await api.start()
            let requestHeader = try RequestHeaderAuthenticator(caFile: dir + "/front-proxy-ca.crt", allowedNames: ["front-proxy-client"],
                                                               usernameHeaders: ["X-Remote-User"], groupHeaders: ["X-Remote-Group"],
                                                               extraHeaderPrefixes: ["X-Remote-Extra-"])
            let server = try SecureServer(configuration: .init(bindAddress: "127.0.0.1", port: 0, certificateFile: dir + "/apiserver.crt",
                                                               privateKeyFile: dir + "/apiserver.key",
                                                               clientCA: try ClientCertificateAuthenticator(caFile: dir + "/ca.crt"),
                                                               requestHeader: requestHeader),
                                          api: api, logger: logger)
            let (bound, boundSignal) = AsyncStream<Int>.makeStream()
            let serving = Task<Void, Never> { _ = try? await server.run(onBound: { boundSignal.yield($0); boundSignal.finish() }) }
            var port = 0
            for await p in bound { port = p }
            guard port > 0 else { throw HarnessError("the server did not bind") }
            return Cluster(dir: dir, api: api, store: store, port: port, serving: serving)
        }

        func stop() async {
            serving.cancel()
            await api.stop()
            await store.close()
            try? FileManager.default.removeItem(atPath: dir)
        }

        func file(_ name: String) throws -> String { try String(contentsOfFile: dir + "/" + name, encoding: .utf8) }

        /// An HTTPS request to the apiserver as `client` (a certificate base name in the temp dir).
        func request(_ method: HTTPMethod, _ path: String, as client: String = "admin", headers: [(String, String)] = [],
                     body: JSONValue? = nil) async throws -> (status: Int, json: JSONValue, text: String) {
            let https = try HTTPSClient(host: "127.0.0.1", port: port, caPEM: try file("ca.crt"), certificatePEM: try file("\(client).crt"),
                                        keyPEM: try file("\(client).key"))
            var all = headers
            if body != nil { all.append(("content-type", "application/json")) }
            let response = try await https.send(method, path, headers: all, body: body.map { JSONWriter.write($0) })
            let text = String(decoding: response.body, as: UTF8.self)
            return (response.status, (try? JSONParser.parse(response.body)) ?? .null, text)
        }

        func available(_ name: String) async throws -> JSONValue? {
            let (_, apiService, _) = try await request(.GET, "/apis/apiregistration.k8s.io/v1/apiservices/\(name)")
            return apiService[path: ["status", "conditions"]]?.array?.first { $0["type"]?.string == "Available" }
        }

        /// The sample server's Service and Endpoints, and its APIService trusting its CA.
        func register(_ sample: SampleAPIServer) async throws {
            _ = try await request(.POST, "/api/v1/namespaces", body: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "sample"]])
            var (status, _, text) = try await request(.POST, "/api/v1/namespaces/sample/services", body: [
                "apiVersion": "v1", "kind": "Service", "metadata": ["name": "sample-api"],
                "spec": ["ports": [["name": "https", "port": 443, "targetPort": 8443]]],
            ])
            #expect(status == 201, "\(text)")
            (status, _, text) = try await request(.POST, "/api/v1/namespaces/sample/endpoints", body: [
                "apiVersion": "v1", "kind": "Endpoints", "metadata": ["name": "sample-api"],
                "subsets": [["addresses": [["ip": "127.0.0.1"]], "ports": [["name": "https", "port": .int(Int64(sample.port))]]]],
            ])
            #expect(status == 201, "\(text)")
            (status, _, text) = try await request(.POST, "/apis/apiregistration.k8s.io/v1/apiservices", body: [
                "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": ["name": "v1alpha1.wardle.example.com"],
                "spec": ["group": "wardle.example.com", "version": "v1alpha1", "groupPriorityMinimum": 1000, "versionPriority": 15,
                         "service": ["namespace": "sample", "name": "sample-api"],
                         "caBundle": .string(Base64.encode(Array(try file("sample-ca.crt").utf8)))],
            ])
            #expect(status == 201, "\(text)")
        }
    }

    func withCluster(_ body: (Cluster, SampleAPIServer) async throws -> Void) async throws {
        let cluster = try await Cluster.start()
        let sample = try await SampleAPIServer.start(certificateFile: cluster.dir + "/sample.crt", keyFile: cluster.dir + "/sample.key",
                                                     clientCAFile: cluster.dir + "/front-proxy-ca.crt")
        do {
            try await body(cluster, sample)
        } catch {
            await sample.stop()
            await cluster.stop()
            throw error
        }
        await sample.stop()
        await cluster.stop()
    }

    @Test func localAPIServicesAreRegisteredAndAvailable() async throws {
        try await withCluster { cluster, _ in
            let (status, list, _) = try await cluster.request(.GET, "/apis/apiregistration.k8s.io/v1/apiservices")
            #expect(status == 200)
            let names = list["items"]?.array?.map(\.metaName) ?? []
            #expect(names.contains("v1."))
            #expect(names.contains("v1.apps"))
            #expect(names.contains("v1.apiregistration.k8s.io"))
            let apps = list["items"]?.array?.first { $0.metaName == "v1.apps" }
            #expect(apps?[path: ["spec", "groupPriorityMinimum"]]?.int == 17800)
            #expect(apps?[path: ["spec", "service"]] == nil)
            #expect(apps?[path: ["metadata", "labels", "kube-aggregator.kubernetes.io/automanaged"]]?.string == "onstart")
            let condition = apps?[path: ["status", "conditions"]]?.array?.first
            #expect(condition?["status"]?.string == "True")
            #expect(condition?["reason"]?.string == "Local")
            #expect(condition?["message"]?.string == "Local APIServices are always available")

            // The table kubectl prints.
            let (_, table, _) = try await cluster.request(.GET, "/apis/apiregistration.k8s.io/v1/apiservices/v1.apps",
                                                          headers: [("accept", "application/json;as=Table;g=meta.k8s.io;v=v1")])
            #expect(table["columnDefinitions"]?.array?.map { $0["name"]?.string ?? "" } == ["Name", "Service", "Available", "Age"])
            let cells = table["rows"]?.array?.first?["cells"]?.array
            #expect(cells?[1].string == "Local")
            #expect(cells?[2].string == "True")
        }
    }

    @Test func validationFollowsTheAggregator() async throws {
        try await withCluster { cluster, _ in
            let (status, error, _) = try await cluster.request(.POST, "/apis/apiregistration.k8s.io/v1/apiservices", body: [
                "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": ["name": "v1.wrong.example.com"],
                "spec": ["group": "wardle.example.com", "version": "v1alpha1", "groupPriorityMinimum": 0, "versionPriority": 1001,
                         "service": ["namespace": "sample", "name": "sample-api"], "insecureSkipTLSVerify": true,
                         "caBundle": .string(Base64.encode(Array("x".utf8)))],
            ])
            #expect(status == 422)
            let message = error["message"]?.string ?? ""
            #expect(message.contains("metadata.name: Invalid value: \"v1.wrong.example.com\": must be `spec.version+\".\"+spec.group`: \"v1alpha1.wardle.example.com\""))
            #expect(message.contains("spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000"))
            #expect(message.contains("spec.versionPriority: Invalid value: 1001: must be positive and less than 1000"))
            #expect(message.contains("spec.insecureSkipTLSVerify: Invalid value: true: may not be true if caBundle is present"))

            let (localStatus, localError, _) = try await cluster.request(.POST, "/apis/apiregistration.k8s.io/v1/apiservices", body: [
                "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": ["name": "v1.local.example.com"],
                "spec": ["group": "local.example.com", "version": "v1", "groupPriorityMinimum": 100, "versionPriority": 10,
                         "insecureSkipTLSVerify": true],
            ])
            #expect(localStatus == 422)
            #expect(localError["message"]?.string?.contains("local APIServices may not have insecureSkipTLSVerify") == true)
        }
    }

    @Test func requestsReachTheAggregatedServerAsTheUser() async throws {
        try await withCluster { cluster, sample in
            try await cluster.register(sample)
            try await eventually("APIService Available") {
                try await cluster.available("v1alpha1.wardle.example.com")?["status"]?.string == "True"
            }
            let condition = try await cluster.available("v1alpha1.wardle.example.com")
            #expect(condition?["reason"]?.string == "Passed")
            #expect(condition?["message"]?.string == "all checks passed")

            // The condition is read back by the aggregator through its watch: the first request may come before it.
            var (status, list, text) = (0, JSONValue.null, "")
            try await eventually("the flunders proxied") {
                (status, list, text) = try await cluster.request(.GET, "/apis/wardle.example.com/v1alpha1/namespaces/default/flunders?limit=500",
                                                                 headers: [("Authorization", "Bearer not-for-the-backend")])
                return status == 200
            }
            #expect(list["items"]?.array?.first?.metaName == "my-flunder")
            let seen = try #require(sample.requests.last { $0.path == "/apis/wardle.example.com/v1alpha1/namespaces/default/flunders" })
            #expect(seen.clientCommonName == "front-proxy-client")
            #expect(seen.values("X-Remote-User") == ["kubernetes-admin"])
            #expect(seen.values("X-Remote-Group") == ["kubeadm:cluster-admins", "system:masters", "system:authenticated"])
            #expect(seen.values("Authorization").isEmpty)

            // Discovery lists the remote group and its kind.
            let (_, groups, _) = try await cluster.request(.GET, "/apis")
            let names = groups["groups"]?.array?.map { $0["name"]?.string ?? "" } ?? []
            #expect(names.first == "apiregistration.k8s.io")
            #expect(names.last == "wardle.example.com")
            let (_, aggregated, _) = try await cluster.request(.GET, "/apis", headers: [
                ("accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json")])
            let wardle = aggregated["items"]?.array?.first { $0[path: ["metadata", "name"]]?.string == "wardle.example.com" }
            let resource = wardle?["versions"]?.array?.first?["resources"]?.array?.first
            #expect(resource?["resource"]?.string == "flunders")
            #expect(resource?[path: ["responseKind", "kind"]]?.string == "Flunder")
            #expect(resource?["subresources"]?.array?.first?["subresource"]?.string == "status")
            // /apis/<group>/<version> itself is the backend's.
            let (_, resources, _) = try await cluster.request(.GET, "/apis/wardle.example.com/v1alpha1")
            #expect(resources == SampleAPIServer.resourceList)

            // Stopped: the next check finds it gone (a change of its Endpoints triggers one at once).
            await sample.stop()
            let (touched, _, touchText) = try await cluster.request(.PATCH, "/api/v1/namespaces/sample/endpoints/sample-api",
                                                                    headers: [("content-type", "application/merge-patch+json")],
                                                                    body: ["metadata": ["labels": ["touched": "yes"]]])
            #expect(touched == 200, "\(touchText)")
            try await eventually("APIService unavailable") {
                try await cluster.available("v1alpha1.wardle.example.com")?["status"]?.string == "False"
            }
            let failed = try await cluster.available("v1alpha1.wardle.example.com")
            #expect(failed?["reason"]?.string == "FailedDiscoveryCheck")
            #expect(failed?["message"]?.string?.hasPrefix(
                "failing or missing response from https://127.0.0.1:\(sample.port)/apis/wardle.example.com/v1alpha1: ") == true)
            // Right after the write the proxy may still try the backend (and fail to reach it); then it stops trying.
            try await eventually("requests refused while unavailable") {
                let (unavailable, _, body) = try await cluster.request(.GET, "/apis/wardle.example.com/v1alpha1/namespaces/default/flunders")
                #expect(unavailable == 503)
                return body == "service unavailable\n"
            }
        }
    }

    @Test func missingServiceAndEndpointsHaveUpstreamsReasons() async throws {
        try await withCluster { cluster, sample in
            let (status, _, _) = try await cluster.request(.POST, "/apis/apiregistration.k8s.io/v1/apiservices", body: [
                "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": ["name": "v1alpha1.wardle.example.com"],
                "spec": ["group": "wardle.example.com", "version": "v1alpha1", "groupPriorityMinimum": 1000, "versionPriority": 15,
                         "service": ["namespace": "sample", "name": "sample-api"], "insecureSkipTLSVerify": true],
            ])
            #expect(status == 201)
            try await eventually("ServiceNotFound") {
                try await cluster.available("v1alpha1.wardle.example.com")?["reason"]?.string == "ServiceNotFound"
            }
            #expect(try await cluster.available("v1alpha1.wardle.example.com")?["message"]?.string == "service/sample-api in \"sample\" is not present")
            _ = try await cluster.request(.POST, "/api/v1/namespaces", body: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "sample"]])
            _ = try await cluster.request(.POST, "/api/v1/namespaces/sample/services", body: [
                "apiVersion": "v1", "kind": "Service", "metadata": ["name": "sample-api"], "spec": ["ports": [["name": "https", "port": 443]]],
            ])
            try await eventually("EndpointsNotFound") {
                try await cluster.available("v1alpha1.wardle.example.com")?["reason"]?.string == "EndpointsNotFound"
            }
            _ = try await cluster.request(.POST, "/api/v1/namespaces/sample/endpoints", body: [
                "apiVersion": "v1", "kind": "Endpoints", "metadata": ["name": "sample-api"],
                "subsets": [["notReadyAddresses": [["ip": "127.0.0.1"]], "ports": [["name": "https", "port": .int(Int64(sample.port))]]]],
            ])
            try await eventually("MissingEndpoints") {
                try await cluster.available("v1alpha1.wardle.example.com")?["reason"]?.string == "MissingEndpoints"
            }
            #expect(try await cluster.available("v1alpha1.wardle.example.com")?["message"]?.string
                    == "endpoints for service/sample-api in \"sample\" have no addresses with port name \"https\"")
        }
    }

    @Test func customResourceGroupsHaveAPIServicesThatFollowTheirCRD() async throws {
        try await withCluster { cluster, _ in
            let crd: JSONValue = [
                "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": ["name": "crontabs.stable.example.com"],
                "spec": ["group": "stable.example.com", "scope": "Namespaced", "names": ["plural": "crontabs", "kind": "CronTab"],
                         "versions": [["name": "v1", "served": true, "storage": true,
                                       "schema": ["openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]]]]],
            ]
            let (created, _, text) = try await cluster.request(.POST, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", body: crd)
            #expect(created == 201, "\(text)")
            try await eventually("v1.stable.example.com registered") {
                try await cluster.request(.GET, "/apis/apiregistration.k8s.io/v1/apiservices/v1.stable.example.com").status == 200
            }
            let (_, apiService, _) = try await cluster.request(.GET, "/apis/apiregistration.k8s.io/v1/apiservices/v1.stable.example.com")
            #expect(apiService[path: ["spec", "groupPriorityMinimum"]]?.int == 1000)
            #expect(apiService[path: ["spec", "versionPriority"]]?.int == 100)
            #expect(apiService[path: ["metadata", "labels", "kube-aggregator.kubernetes.io/automanaged"]]?.string == "true")
            let (deleted, _, _) = try await cluster.request(.DELETE, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/crontabs.stable.example.com")
            #expect(deleted == 200)
            try await eventually("v1.stable.example.com removed with its CRD") {
                try await cluster.request(.GET, "/apis/apiregistration.k8s.io/v1/apiservices/v1.stable.example.com").status == 404
            }
        }
    }

    @Test func frontProxyHeadersAuthenticateOnlyTheFrontProxy() async throws {
        try await withCluster { cluster, _ in
            let review: JSONValue = ["apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"]
            let identity = [("X-Remote-User", "alice"), ("X-Remote-Group", "system:masters"), ("X-Remote-Extra-Scopes", "a")]
            let (status, answer, text) = try await cluster.request(.POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                                                                   as: "front-proxy-client", headers: identity, body: review)
            #expect(status == 201, "\(text)")
            #expect(answer[path: ["status", "userInfo", "username"]]?.string == "alice")
            #expect(answer[path: ["status", "userInfo", "groups"]] == ["system:masters", "system:authenticated"])
            #expect(answer[path: ["status", "userInfo", "extra", "scopes"]] == ["a"])
            // A certificate of the same CA but not in --requestheader-allowed-names is nobody.
            let (denied, _, _) = try await cluster.request(.POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                                                           as: "intruder", headers: identity, body: review)
            #expect(denied == 401)
            // The cluster CA's admin naming someone else stays the admin.
            let (_, admin, _) = try await cluster.request(.POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                                                          headers: identity, body: review)
            #expect(admin[path: ["status", "userInfo", "username"]]?.string == "kubernetes-admin")
            // The ConfigMap extension API servers read.
            let (_, configMap, _) = try await cluster.request(.GET, "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication")
            #expect(configMap[path: ["data", "requestheader-allowed-names"]]?.string == "[\"front-proxy-client\"]")
        }
    }
}
