import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging
import PKI

/// upstream's csrapproving controller (sarapprove.go): a pending kubelet client request (signer
/// kube-apiserver-client-kubelet, O=system:nodes, CN=system:node:<name>, client usages, no SANs) is approved when a
/// SubjectAccessReview says its requester may `create` `certificatesigningrequests/selfnodeclient` (a node renewing
/// its own certificate) or `/nodeclient` (a bootstrap identity). Nothing else is approved or denied here.
struct CSRApprovingController: Controller {
    static let component = "csrapproving"
    static let workers = 5

    struct Recognizer {
        let subresource: String
        let message: String
        let recognizes: @Sendable (CertificateSigningRequestSpec, ParsedCertificateRequest) -> Bool
    }

    static let recognizers = [
        Recognizer(subresource: "selfnodeclient", message: "Auto approving self kubelet client certificate after SubjectAccessReview.") {
            isNodeClient($0, $1) && $0.username == $1.commonName
        },
        Recognizer(subresource: "nodeclient", message: "Auto approving kubelet client certificate after SubjectAccessReview.") {
            isNodeClient($0, $1)
        },
    ]

    static func isNodeClient(_ spec: CertificateSigningRequestSpec, _ request: ParsedCertificateRequest) -> Bool {
        spec.signerName == CertificateSigningRequest.kubeAPIServerClientKubeletSignerName
            && SignerPolicy.kubeletClient(request, Set(spec.usages)) == nil
    }

    /// Retried with the queue's backoff, as upstream's (which logs it only at a high verbosity).
    struct NotApproved: Error, CustomStringConvertible {
        let description: String
    }

    let context: ControllerContext
    let csrs: ObjectStore
    let worker: QueueWorker

    init(context: ControllerContext) {
        self.context = context
        csrs = ObjectStore(.certificateSigningRequests, context: context)
        worker = QueueWorker(name: Self.component, workers: Self.workers, clock: context.clock, logger: context.logger)
        let queue = worker.queue
        csrs.informer.addEventHandler(EventHandler(onAdd: { queue.add(ObjectCache.key($0)) },
                                                   onUpdate: { _, new in queue.add(ObjectCache.key(new)) }))
    }

    func run() async {
        await worker.run(context: context) { key in try await sync(key) }
    }

    func sync(_ key: String) async throws {
        try await Workloads.skippingUndecodable(Self.component, key, logger: context.logger) {
            guard let json = csrs.cache.get(key) else { return }
            let csr: Typed<CertificateSigningRequest> = try Workloads.typed(json)
            let spec = csr.object.spec, status = csr.object.status
            guard status.certificate.isEmpty, !status.isApproved, !status.isDenied else { return }
            let request: ParsedCertificateRequest
            do {
                request = try ParsedCertificateRequest(pem: Base64.decode(spec.request) ?? [])
            } catch {
                context.logger.warning("\(Self.component): skipping \(key): unable to parse csr \"\(json.metaName)\": \(error)")
                return
            }
            var tried: [String] = []
            for recognizer in Self.recognizers where recognizer.recognizes(spec, request) {
                tried.append(recognizer.subresource)
                guard try await authorize(spec, subresource: recognizer.subresource) else { continue }
                let approved = try csr.modified {
                    $0.status.conditions.append(CertificateSigningRequestCondition(type: "Approved", status: "True", reason: "AutoApproved",
                                                                                   message: recognizer.message))
                }
                do {
                    _ = try await context.client.update(.certificateSigningRequests, namespace: nil, object: approved, subresource: "approval")
                } catch let error as APIError where error.isNotFound {
                    return
                }
                context.logger.info("\(Self.component): approved \(key): \(recognizer.message)")
                return
            }
            if !tried.isEmpty {
                throw NotApproved(description: "recognized csr \"\(json.metaName)\" as [\(tried.joined(separator: " "))] but subject access review was not approved")
            }
        }
    }

    /// Whether the requester recorded in the CSR may `create` `certificatesigningrequests/<subresource>`.
    func authorize(_ spec: CertificateSigningRequestSpec, subresource: String) async throws -> Bool {
        var reviewSpec: JSONValue = [
            "user": .string(spec.username), "groups": .array(spec.groups.map { .string($0) }),
            "resourceAttributes": ["group": "certificates.k8s.io", "version": "*", "resource": "certificatesigningrequests",
                                   "subresource": .string(subresource), "verb": "create"],
        ]
        if !spec.uid.isEmpty { reviewSpec["uid"] = .string(spec.uid) }
        if !spec.extra.isEmpty { reviewSpec["extra"] = .object(spec.extra.mapValues { .array($0.map { .string($0) }) }) }
        let review: JSONValue = ["apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "metadata": .emptyObject,
                                 "spec": reviewSpec]
        let answer = try await context.client.create(.subjectAccessReviews, review)
        return answer[path: ["status", "allowed"]]?.bool ?? false
    }
}
