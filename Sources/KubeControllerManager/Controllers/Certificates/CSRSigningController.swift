import ControllerRuntime
import FoundationEssentials
import KubeAPI
import KubeClient
import KubeJSON
import Logging
import PKI

/// upstream's csrsigning controller: approved requests to the Kubernetes signers it has a CA for are signed with
/// that CA (--cluster-signing-cert-file/--cluster-signing-key-file, or the per-signer flags); a request a signer
/// does not accept gets a `Failed` condition (SignerValidationFailure) instead. Requests to other signers, and
/// pending, denied, failed or issued ones, are left alone.
struct CSRSigningController: Controller {
    static let component = "csrsigning"
    /// upstream runs each signer's controller with five workers.
    static let workers = 5

    let context: ControllerContext
    let csrs: ObjectStore
    let worker: QueueWorker
    let authorities: [String: CertificateAuthority]

    init(context: ControllerContext) {
        self.context = context
        csrs = ObjectStore(.certificateSigningRequests, context: context)
        worker = QueueWorker(name: Self.component, workers: Self.workers, clock: context.clock, logger: context.logger)
        authorities = Self.authorities(context.options.signingAuthorities, logger: context.logger)
        let queue = worker.queue
        csrs.informer.addEventHandler(EventHandler(onAdd: { queue.add(ObjectCache.key($0)) },
                                                   onUpdate: { _, new in queue.add(ObjectCache.key(new)) }))
    }

    /// The CAs by signer name; one that does not load is logged and its signer left out (the command checked them).
    static func authorities(_ pairs: [String: SigningKeyPair], logger: Logger) -> [String: CertificateAuthority] {
        var out: [String: CertificateAuthority] = [:]
        for (signer, pair) in pairs {
            do {
                out[signer] = CertificateAuthority(certificate: try PKICertificate(pem: pair.certificatePEM), key: try PrivateKey(pem: pair.keyPEM))
            } catch {
                logger.error("csrsigning: cannot load the CA for \(signer): \(error)")
            }
        }
        return out
    }

    func run() async {
        guard !authorities.isEmpty else {
            context.logger.info("Skipping CSR signer controller because no csr cert/key was specified")
            return
        }
        await worker.run(context: context) { key in try await sync(key) }
    }

    func sync(_ key: String) async throws {
        try await Workloads.skippingUndecodable(Self.component, key, logger: context.logger) {
            guard let json = csrs.cache.get(key) else { return }
            let csr: Typed<CertificateSigningRequest> = try Workloads.typed(json)
            let status = csr.object.status, spec = csr.object.spec
            guard status.certificate.isEmpty, status.isApproved, !status.hasTrueCondition("Failed"),
                  let authority = authorities[spec.signerName] else { return }
            let request: ParsedCertificateRequest
            do {
                request = try ParsedCertificateRequest(pem: Base64.decode(spec.request) ?? [])
            } catch {
                // Validation let it in, so this is a stored object from elsewhere: retrying will not help.
                context.logger.warning("\(Self.component): skipping \(key): unable to parse csr \"\(json.metaName)\": \(error)")
                return
            }
            if let rejection = SignerPolicy.rejection(signerName: spec.signerName, request: request, usages: spec.usages) {
                let failed = CertificateSigningRequestCondition(type: "Failed", status: "True", reason: "SignerValidationFailure",
                                                                message: rejection.description, lastUpdateTime: context.clock.timestamp())
                try await csrs.updateStatus(csr) { $0.status.conditions.append(failed) }
                context.logger.info("\(Self.component): \(spec.signerName) refused \(key): \(rejection)")
                return
            }
            let ttl = SignerPolicy.duration(expirationSeconds: spec.expirationSeconds, maximum: context.options.clusterSigningDuration)
            let now = Date(timeIntervalSince1970: context.clock.now())
            let certificate = try CertificateIssuer.sign(request, usages: spec.usages, ttl: ttl, by: authority, now: now)
            let pem = try certificate.pem()
            try await csrs.updateStatus(csr) { $0.status.certificate = Base64.encode(Array(pem.utf8)) }
            context.logger.info("\(Self.component): signed \(key) for \(spec.signerName), valid until \(certificate.notAfter)")
        }
    }
}
