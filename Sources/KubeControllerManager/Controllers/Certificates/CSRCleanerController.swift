import ControllerRuntime
import FoundationEssentials
import KubeAPI
import KubeClient
import KubeJSON
import Logging
import PKI

/// upstream's csrcleaner: every hour, CSRs that have served their purpose are deleted: issued ones an hour after
/// approval, denied and failed ones an hour after that condition, pending ones (no condition at all) a day after
/// creation, and any whose certificate has expired. Otherwise they pile up, one per kubelet certificate rotation.
struct CSRCleanerController: Controller {
    static let component = "csrcleaner"
    static let pollingInterval: Double = 3600
    static let approvedExpiration: Double = 3600
    static let deniedExpiration: Double = 3600
    static let pendingExpiration: Double = 24 * 3600

    let context: ControllerContext
    let csrs: ObjectStore

    init(context: ControllerContext) {
        self.context = context
        csrs = ObjectStore(.certificateSigningRequests, context: context)
    }

    func run() async {
        context.logger.info("Starting CSR cleaner controller")
        defer { context.logger.info("Shutting down CSR cleaner controller") }
        guard await context.waitForCacheSync("certificate-cleaner") else { return }
        while !Task.isCancelled {
            await clean()
            do { try await context.clock.sleep(for: Self.pollingInterval) } catch { return }
        }
    }

    func clean() async {
        let now = context.clock.now()
        for json in csrs.list() {
            let csr: CertificateSigningRequest
            do { csr = try Workloads.typed(json).object } catch {
                context.logger.warning("\(Self.component): skipping \(json.metaName): \(error)")
                continue
            }
            guard let why = Self.reason(csr, creationTimestamp: json.metaCreationTimestamp, now: now) else { continue }
            do {
                try await csrs.delete(namespace: "", name: json.metaName)
                context.logger.info("Cleaning CSR \"\(json.metaName)\" as \(why).")
            } catch let error as APIError where error.isNotFound {
            } catch {
                context.logger.error("Error while attempting to clean CSR \"\(json.metaName)\": unable to delete CSR \"\(json.metaName)\": \(error)")
            }
        }
    }

    /// Why `csr` goes now (upstream's log wording), or nil when it stays.
    static func reason(_ csr: CertificateSigningRequest, creationTimestamp: String?, now: Double) -> String? {
        let conditions = csr.status.conditions
        let issued = !csr.status.certificate.isEmpty
        func olderThan(_ time: String?, _ age: Double) -> Bool {
            guard let time, let seconds = RFC3339.parse(time)?.timeIntervalSince1970 else { return false }
            return now - seconds > age
        }
        if issued, conditions.contains(where: { $0.type == "Approved" && olderThan($0.lastUpdateTime, approvedExpiration) }) {
            return "it is more than 1h0m0s old and approved"
        }
        if conditions.contains(where: { $0.type == "Denied" && olderThan($0.lastUpdateTime, deniedExpiration) }) {
            return "it is more than 1h0m0s old and denied"
        }
        if conditions.contains(where: { $0.type == "Failed" && olderThan($0.lastUpdateTime, deniedExpiration) }) {
            return "it is more than 1h0m0s old and failed"
        }
        if conditions.isEmpty, olderThan(creationTimestamp, pendingExpiration) {
            return "it is more than 24h0m0s old and unhandled"
        }
        if issued, conditions.contains(where: { $0.type == "Approved" }), let notAfter = certificateNotAfter(csr.status.certificate),
           now > notAfter {
            return "the associated certificate is expired"
        }
        return nil
    }

    static func certificateNotAfter(_ base64: String) -> Double? {
        guard let pem = Base64.decode(base64), let block = PEMBlocks.first(pem),
              let certificate = try? PKICertificate(der: block.bytes) else { return nil }
        return certificate.notAfter.timeIntervalSince1970
    }
}
