import Foundation
import KubeCommand
import KubeYAML
import PKI

/// `bootstrap certs check-expiration`: kubeadm's two tables, or `-o json|yaml` in kubeadm's output API shape.
enum CheckExpiration {
    struct Info: Codable {
        var kind = "CertificateExpirationInfo"
        var apiVersion = "output.kubeadm.k8s.io/v1alpha3"
        var certificates: [Item]
        var certificateAuthorities: [Item]
    }

    struct Item: Codable {
        var name: String
        var expirationDate: String?
        var residualTime: Int64?
        var certificateAuthorityName: String?
        var externallyManaged: Bool
        var missing: Bool?
    }

    static func run(certificatesDir: String, kubeconfigDir: String, output: String, now: Date, reporter: Reporter) throws {
        let inventory = CertificateInventory(certificatesDir: certificatesDir, kubeconfigDir: kubeconfigDir)
        let authorities = try inventory.authorities()
        let entries = try inventory.entries()
        let external = Dictionary(uniqueKeysWithValues: authorities.map { ($0.name, $0.certificate != nil && !$0.hasKey) })
        let iso = ISO8601DateFormatter()
        let dates = kubeadmDateFormatter()

        switch output {
        case "", "text":
            reporter.say("[check-expiration] Reading certificates from \"\(certificatesDir)\" and kubeconfig files from \"\(kubeconfigDir)\"")
            reporter.say("")
            var rows = [["CERTIFICATE", "EXPIRES", "RESIDUAL TIME", "CERTIFICATE AUTHORITY", "EXTERNALLY MANAGED"]]
            for entry in entries {
                guard let cert = entry.certificate else {
                    rows.append(["!MISSING! \(entry.name)", "", "", "", ""])
                    continue
                }
                rows.append([entry.name, dates.string(from: cert.notAfter), shortHumanDuration(cert.notAfter.timeIntervalSince(now)),
                             entry.caName, external[entry.caName] == true ? "yes" : "no"])
            }
            reporter.say(TableWriter.render(rows))
            var caRows = [["CERTIFICATE AUTHORITY", "EXPIRES", "RESIDUAL TIME", "EXTERNALLY MANAGED"]]
            for ca in authorities {
                guard let cert = ca.certificate else {
                    caRows.append(["!MISSING! \(ca.name)", "", "", ""])
                    continue
                }
                caRows.append([ca.name, dates.string(from: cert.notAfter), shortHumanDuration(cert.notAfter.timeIntervalSince(now)),
                               external[ca.name] == true ? "yes" : "no"])
            }
            reporter.say(TableWriter.render(caRows).trimmingCharacters(in: .newlines))
        case "json", "yaml":
            func item(name: String, notAfter: Date?, caName: String?, externallyManaged: Bool) -> Item {
                guard let notAfter else {
                    return Item(name: name, certificateAuthorityName: caName, externallyManaged: externallyManaged, missing: true)
                }
                return Item(name: name, expirationDate: iso.string(from: notAfter),
                            residualTime: Int64(notAfter.timeIntervalSince(now) * 1e9),
                            certificateAuthorityName: caName, externallyManaged: externallyManaged, missing: nil)
            }
            let info = Info(
                certificates: entries.map { item(name: $0.name, notAfter: $0.certificate?.notAfter, caName: $0.caName,
                                                 externallyManaged: external[$0.caName] == true) },
                certificateAuthorities: authorities.map { item(name: $0.name, notAfter: $0.certificate?.notAfter, caName: nil,
                                                               externallyManaged: external[$0.name] == true) })
            if output == "json" {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                reporter.say(String(decoding: try encoder.encode(info), as: UTF8.self))
            } else {
                reporter.say(try KubeYAMLEncoder.encode(info).trimmingCharacters(in: .newlines))
            }
        default:
            throw CommandError("unable to match a printer suitable for the output format \"\(output)\", allowed formats are: json, text, yaml")
        }
    }
}

/// A command-level error whose message is shown as it is.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
