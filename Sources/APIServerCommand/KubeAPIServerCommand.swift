import APIServer
import APIServerHTTP
import EtcdStorage
import Foundation
import KubeAPI
import KubeCommand
import KubeLog
import KubeStorage
import Logging
import ServiceAccountToken
import SystemdNotify

/// The `kube-apiserver` command line: upstream's flag names (so kubeadm's manifest and `ps aux` read the same),
/// the embedded store by default, and graceful shutdown on SIGTERM.
public enum KubeAPIServerCommand {
    /// Upstream flags kubeadm writes that this server accepts without acting on them (yet); each one given is
    /// logged once at start.
    static let acceptedFlags: [Flag] = [
        Flag("allow-privileged", kind: .bool, usage: "If true, allow privileged containers (accepted; there is no container runtime)."),
        Flag("enable-bootstrap-token-auth", kind: .bool, usage: "Enable bootstrap tokens for TLS bootstrapping (accepted; not acted on yet)."),
        Flag("kubelet-preferred-address-types", kind: .strings, usage: "List of the preferred NodeAddressTypes to use for kubelet connections (accepted)."),
        Flag("profiling", kind: .bool, default: "true", usage: "Accepted; profiling is not available."),
        Flag("feature-gates", kind: .stringToString, usage: "Accepted; no feature gates are implemented."),
        Flag("audit-log-path", usage: "Accepted; auditing is not implemented."),
        Flag("encryption-provider-config", usage: "Accepted; encryption at rest is not implemented."),
        Flag("max-requests-inflight", kind: .int, default: "400", usage: "Accepted; requests are not limited yet."),
        Flag("max-mutating-requests-inflight", kind: .int, default: "200", usage: "Accepted; requests are not limited yet."),
        Flag("runtime-config", kind: .stringToString, usage: "Accepted; the served API versions are fixed."),
    ]

    public static func make(version: String) -> Command {
        Command(
            name: "kube-apiserver",
            short: "The Kubernetes API server validates and configures data for the api objects (Kubestrap, in Swift).",
            flags: [
                Flag("advertise-address", usage: "The IP address on which to advertise the apiserver to members of the cluster (the `kubernetes` Endpoints)."),
                Flag("bind-address", default: "0.0.0.0", usage: "The IP address on which to listen for the --secure-port port."),
                Flag("secure-port", kind: .int, default: "6443", usage: "The port on which to serve HTTPS with authentication and authorization."),
                Flag("tls-cert-file", usage: "File containing the default x509 Certificate for HTTPS."),
                Flag("tls-private-key-file", usage: "File containing the default x509 private key matching --tls-cert-file."),
                Flag("client-ca-file", usage: "If set, any request presenting a client certificate signed by one of the authorities in the client-ca-file is authenticated with an identity corresponding to the CommonName of the client certificate."),
                Flag("token-auth-file", usage: "If set, the file that will be used to secure the secure port of the API server via token authentication (token,user,uid,\"group1,group2\")."),
                Flag("anonymous-auth", kind: .bool, default: "true", usage: "Enables anonymous requests to the secure port of the API server."),
                Flag("authorization-mode", kind: .strings, default: "Node,RBAC", usage: "Ordered list of plug-ins to do authorization on secure port. Supported: AlwaysAllow,Node,RBAC."),
                Flag("enable-admission-plugins", kind: .strings, usage: "admission plugins that should be enabled in addition to default enabled ones (NamespaceLifecycle, LimitRanger, ServiceAccount, Priority, DefaultTolerationSeconds, DefaultStorageClass, CertificateApproval, CertificateSigning, CertificateSubjectRestriction, MutatingAdmissionWebhook, ValidatingAdmissionWebhook, ResourceQuota). Supported extra: NodeRestriction."),
                Flag("disable-admission-plugins", kind: .strings, usage: "admission plugins that should be disabled although they are in the default enabled plugins list."),
                Flag("service-cluster-ip-range", default: "10.0.0.0/24", usage: "A CIDR notation IP range from which to assign service cluster IPs."),
                Flag("service-node-port-range", default: "30000-32767", usage: "A port range to reserve for services with NodePort visibility.  This must not overlap with the ephemeral port range on nodes.  Example: '30000-32767'. Inclusive at both ends of the range."),
                Flag("storage-backend", default: "embedded", usage: "The storage backend for persistence. Options: 'embedded' (default: a durable store under --data-dir), 'etcd3' (etcd v3 at --etcd-servers)."),
                Flag("etcd-servers", kind: .strings, usage: "List of etcd servers to connect with (scheme://ip:port), comma separated (used with --storage-backend=etcd3; the first is used)."),
                Flag("etcd-cafile", usage: "SSL Certificate Authority file used to secure etcd communication."),
                Flag("etcd-certfile", usage: "SSL certification file used to secure etcd communication."),
                Flag("etcd-keyfile", usage: "SSL key file used to secure etcd communication."),
                Flag("etcd-prefix", default: "/registry", usage: "The prefix to prepend to all resource paths in etcd (only /registry is supported)."),
                Flag("etcd-compaction-interval", kind: .duration, default: "5m0s", usage: "The interval of compaction requests. If 0, the compaction request from apiserver is disabled."),
                Flag("data-dir", default: "/var/lib/kubestrap", usage: "Directory of the embedded store (--storage-backend=embedded)."),
                Flag("min-request-timeout", kind: .int, default: "1800", usage: "Minimum number of seconds a watch handler stays open (a random time up to twice it)."),
                Flag("max-request-body-bytes", kind: .int, default: String(3 << 20), usage: "Limit on the size of a request body; larger requests get 413."),
                Flag("shutdown-delay-duration", kind: .duration, default: "0s", usage: "Time to keep serving after SIGTERM while /readyz reports failure."),
                Flag("service-account-issuer", kind: .strings, usage: "Identifier of the service account token issuer (the iss claim of issued tokens). Given more than once, the first issues and all are accepted."),
                Flag("service-account-key-file", kind: .strings, usage: "File containing PEM-encoded public (or private) keys used to verify ServiceAccount tokens. May be given multiple times. The signing key's public half is always included."),
                Flag("service-account-signing-key-file", usage: "Path to the file that contains the current private key of the service account token issuer (RSA or ECDSA P-256/P-384, PEM)."),
                Flag("api-audiences", kind: .strings, usage: "Identifiers of the API. Service account tokens must be meant for one of them. Defaults to the --service-account-issuer values."),
                Flag("service-account-max-token-expiration", kind: .duration, default: "0s", usage: "The maximum validity duration of a token created by the service account token issuer (0: no limit)."),
                Flag("service-account-extend-token-expiration", kind: .bool, default: "true", usage: "Pod-bound tokens of the default 3607 s are valid a year, warning after the requested time (a safe transition to bound tokens)."),
                Flag("service-account-jwks-uri", usage: "Overrides the URI for the JSON Web Key Set in the discovery doc served at /.well-known/openid-configuration."),
                Flag("proxy-client-cert-file", usage: "Client certificate used to prove the identity of the aggregator or kube-apiserver when it must call out during a request. This includes proxying requests to a user api-server and calling out to webhook admission plugins. It is expected that this cert includes a signature from the CA in the --requestheader-client-ca-file flag. That CA is published in the 'extension-apiserver-authentication' configmap in the kube-system namespace. Components receiving calls from kube-aggregator should use that CA to perform their half of the mutual TLS verification."),
                Flag("proxy-client-key-file", usage: "Private key for the client certificate used to prove the identity of the aggregator or kube-apiserver when it must call out during a request. This includes proxying requests to a user api-server and calling out to webhook admission plugins."),
                Flag("requestheader-allowed-names", kind: .strings, usage: "List of client certificate common names to allow to provide usernames in headers specified by --requestheader-username-headers. If empty, any client certificate validated by the authorities in --requestheader-client-ca-file is allowed."),
                Flag("requestheader-client-ca-file", usage: "Root certificate bundle to use to verify client certificates on incoming requests before trusting usernames in headers specified by --requestheader-username-headers. WARNING: generally do not depend on authorization being already done for incoming requests."),
                Flag("requestheader-extra-headers-prefix", kind: .strings, usage: "List of request header prefixes to inspect. X-Remote-Extra- is suggested."),
                Flag("requestheader-group-headers", kind: .strings, usage: "List of request headers to inspect for groups. X-Remote-Group is suggested."),
                Flag("requestheader-username-headers", kind: .strings, usage: "List of request headers to inspect for usernames. X-Remote-User is common."),
                Flag("enable-aggregator-routing", kind: .bool, usage: "Turns on aggregator routing requests to endpoints IP rather than cluster IP (always on: there is no kube-proxy in front of this kube-apiserver)."),
                Flag("kubelet-client-certificate", usage: "Path to a client cert file for TLS to kubelets (pods/log)."),
                Flag("kubelet-client-key", usage: "Path to a client key file for TLS to kubelets (pods/log)."),
                Flag("version", kind: .bool, usage: "Print version information and quit"),
            ] + acceptedFlags,
            persistentFlags: [Flag("v", shorthand: "v", kind: .level, default: "0", usage: "number for the log level verbosity")],
            run: { invocation in
                let flags = invocation.flags
                if flags.bool("version") {
                    invocation.output.out("Kubernetes \(version)\n")
                    return
                }
                let verbosity = (try? flags.int("v")) ?? 0
                KlogHandler.bootstrap(verbosity: verbosity)
                var logger = Logger(label: "kube-apiserver")
                if verbosity >= 4 { logger.logLevel = .debug }
                signal(SIGPIPE, SIG_IGN)
                try await run(flags: flags, version: version, logger: logger)
            })
    }

    static func fail(_ logger: Logger, _ message: String) -> ExitError {
        logger.critical("\(message)")
        return ExitError(code: 1)
    }

    static func run(flags: ParsedFlags, version: String, logger: Logger) async throws {
        let started = Date()
        logger.info("Version info", metadata: ["version": "\(version)"])
        for flag in acceptedFlags where flags.changed(flag.name) {
            logger.info("flag is accepted but not acted on by this kube-apiserver yet", metadata: ["flag": "--\(flag.name)"])
        }
        var options = APIServerOptions()
        let port: Int
        do { port = try flags.int("secure-port") ?? 6443 } catch { throw fail(logger, "invalid --secure-port: \(error)") }
        guard (1...65535).contains(port) else { throw fail(logger, "--secure-port \(port) must be between 1 and 65535, inclusive") }
        options.securePort = port
        let bind = flags.string("bind-address") ?? "0.0.0.0"
        options.advertiseAddress = flags.string("advertise-address").flatMap { $0.isEmpty ? nil : $0 }
            ?? (bind == "0.0.0.0" || bind == "::" ? "127.0.0.1" : bind)
        let cidr = flags.string("service-cluster-ip-range") ?? "10.0.0.0/24"
        guard let range = IPv4Range(cidr) else {
            throw fail(logger, "invalid --service-cluster-ip-range \(cidr): expected an IPv4 CIDR such as 10.96.0.0/12 (prefix 1–30)")
        }
        options.serviceClusterIPRange = range
        let nodePortText = flags.string("service-node-port-range") ?? "30000-32767"
        guard let nodePorts = PortRange(nodePortText) else {
            throw fail(logger, "invalid argument \"\(nodePortText)\" for \"--service-node-port-range\" flag: expected a range of ports such as 30000-32767")
        }
        options.serviceNodePortRange = nodePorts
        options.authorizationModes = flags.strings("authorization-mode")
        if options.authorizationModes.isEmpty { options.authorizationModes = ["Node", "RBAC"] }
        for mode in options.authorizationModes where !["Node", "RBAC", "AlwaysAllow"].contains(mode) {
            throw fail(logger, "--authorization-mode: unsupported mode \"\(mode)\"; supported: AlwaysAllow, Node, RBAC")
        }
        options.admissionPlugins = Set(flags.strings("enable-admission-plugins"))
        options.disabledAdmissionPlugins = Set(flags.strings("disable-admission-plugins"))
        options.anonymousAuth = flags.bool("anonymous-auth")
        do {
            if let n = try flags.int("min-request-timeout") { options.minRequestTimeout = max(1, n) }
            if let n = try flags.int("max-request-body-bytes") { options.maxRequestBodyBytes = max(1024, n) }
        } catch { throw fail(logger, "\(error)") }

        guard let certFile = flags.string("tls-cert-file"), !certFile.isEmpty,
              let keyFile = flags.string("tls-private-key-file"), !keyFile.isEmpty else {
            throw fail(logger, "--tls-cert-file and --tls-private-key-file are required: this kube-apiserver serves HTTPS only")
        }
        var clientCA: ClientCertificateAuthenticator?
        if let caFile = flags.string("client-ca-file"), !caFile.isEmpty {
            do { clientCA = try ClientCertificateAuthenticator(caFile: caFile) } catch { throw fail(logger, "\(error)") }
        } else {
            logger.warning("no --client-ca-file: client certificates are not accepted; only --token-auth-file tokens authenticate")
        }
        let requestHeader: RequestHeaderAuthenticator?
        let aggregation: AggregatorProxyClient?
        do {
            requestHeader = try requestHeaderAuthenticator(flags)
            aggregation = try aggregatorClient(flags, logger: logger)
            options.extensionAPIServerAuthentication = try extensionAPIServerAuthentication(flags)
        } catch { throw fail(logger, "\(error)") }
        do { options.serviceAccountTokens = try serviceAccountTokenSettings(flags, logger: logger) } catch {
            throw fail(logger, "\(error)")
        }
        var tokens: TokenAuthenticator?
        if let tokenFile = flags.string("token-auth-file"), !tokenFile.isEmpty {
            do {
                let text = try String(contentsOfFile: tokenFile, encoding: .utf8)
                tokens = try TokenAuthenticator(csv: text, file: tokenFile)
            } catch { throw fail(logger, "--token-auth-file \(tokenFile): \(error)") }
        }

        let storage: any StorageBackend
        let backend = flags.string("storage-backend") ?? "embedded"
        switch backend {
        case "embedded":
            let dataDir = flags.string("data-dir") ?? "/var/lib/kubestrap"
            if flags.changed("etcd-servers") {
                logger.info("--etcd-servers is not used with --storage-backend=embedded", metadata: ["data-dir": "\(dataDir)"])
            }
            do { storage = try EmbeddedStore(options: .init(directory: dataDir)) } catch {
                throw fail(logger, "cannot open the embedded store (--data-dir \(dataDir)): \(error)")
            }
            logger.info("Using the embedded store", metadata: ["data-dir": "\(dataDir)"])
        case "etcd3":
            let servers = flags.strings("etcd-servers")
            guard flags.string("etcd-prefix") ?? "/registry" == "/registry" else {
                throw fail(logger, "--etcd-prefix \(flags.string("etcd-prefix") ?? ""): only /registry is supported")
            }
            func file(_ flag: String) -> String? { flags.string(flag).flatMap { $0.isEmpty ? nil : $0 } }
            var etcd = EtcdStore.Options(servers: servers, caFile: file("etcd-cafile"), certFile: file("etcd-certfile"), keyFile: file("etcd-keyfile"))
            let compaction = flags.string("etcd-compaction-interval") ?? "5m0s"
            guard let interval = GoDuration(compaction) else {
                throw fail(logger, "--etcd-compaction-interval \(compaction): expected a duration such as 5m0s")
            }
            etcd.compactionInterval = .nanoseconds(interval.nanoseconds)
            do { storage = try EtcdStore(options: etcd, logger: logger) } catch {
                throw fail(logger, "\(error)")
            }
            logger.info("Using etcd", metadata: ["etcd-servers": "\(servers.joined(separator: ","))"])
            // etcd may be starting next to us (a stacked etcd pod the same kubelet runs): wait for it a while rather
            // than exit and wait out the kubelet's back-off.
            let deadline = ContinuousClock.now + .seconds(60)
            var lastError = ""
            while true {
                do {
                    try await storage.healthCheck()
                    break
                } catch {
                    if lastError.isEmpty { logger.info("waiting for etcd", metadata: ["error": "\(error)"]) }
                    lastError = "\(error)"
                    guard ContinuousClock.now < deadline else {
                        throw fail(logger, "etcd at \(servers.first ?? "") did not answer within 60s: \(lastError)")
                    }
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
        default:
            throw fail(logger, "--storage-backend \"\(backend)\" is not supported; use embedded or etcd3")
        }

        var kubelets: KubeletClient?
        if let cert = flags.string("kubelet-client-certificate"), !cert.isEmpty,
           let key = flags.string("kubelet-client-key"), !key.isEmpty {
            do { kubelets = try KubeletClient(certificateFile: cert, keyFile: key) } catch { throw fail(logger, "\(error)") }
        }
        let api = APIServer(options: options, storage: storage, tokens: tokens, kubelets: kubelets, aggregation: aggregation,
                            componentProber: HealthProber(), webhooks: WebhookHTTPSClient(),
                            proxyTransport: ConnectProxyClient(kubelets: kubelets), logger: logger)
        do { try await api.start() } catch { throw fail(logger, "failed to initialize the API server: \(error)") }
        let server: SecureServer
        do {
            server = try SecureServer(configuration: .init(bindAddress: bind, port: port, certificateFile: certFile,
                                                           privateKeyFile: keyFile, clientCA: clientCA, requestHeader: requestHeader),
                                      api: api, logger: logger)
        } catch { throw fail(logger, "\(error)") }

        // The first of: a signal, or the server failing (e.g. the port is taken).
        enum Stop: Sendable { case signal(Int32), failed }
        let (stops, stop) = AsyncStream<Stop>.makeStream()
        let serving = Task {
            do {
                try await server.run(onBound: { bound in
                    let elapsed = Int(Date().timeIntervalSince(started) * 1000)
                    logger.info("Serving securely on \(bind):\(bound)", metadata: ["startup": "\(elapsed)ms"])
                    // As upstream after its post-start hooks: a Type=notify unit is started now.
                    SystemdNotifier.notify("READY=1")
                })
            } catch {
                logger.critical("failed to serve on \(bind):\(port): \(error)")
                stop.yield(.failed)
            }
        }
        let signals = SignalWaiter.wait(for: [SIGTERM, SIGINT])
        let signalTask = Task { for await s in signals { stop.yield(.signal(s)); return } }
        let outcome = await stops.first { _ in true }
        signalTask.cancel()
        guard case .signal(let received)? = outcome else { throw ExitError(code: 1) }
        logger.info("received \(received == SIGINT ? "SIGINT" : "SIGTERM"), shutting down: /readyz now fails, watches end, in-flight requests finish")
        SystemdNotifier.notify("STOPPING=1")
        await api.stop()
        if let text = flags.string("shutdown-delay-duration"), let delay = GoDuration(text)?.seconds, delay > 0 {
            try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
        }
        await server.stopAccepting()
        let deadline = Date().addingTimeInterval(10)
        while server.requestsInFlight > 0, Date() < deadline { try? await Task.sleep(nanoseconds: 20_000_000) }
        serving.cancel()
        logger.info("kube-apiserver stopped")
    }

    /// `--requestheader-*`: nil without a CA file (no front proxy is trusted).
    static func requestHeaderAuthenticator(_ flags: ParsedFlags) throws -> RequestHeaderAuthenticator? {
        guard let caFile = flags.string("requestheader-client-ca-file"), !caFile.isEmpty else { return nil }
        return try RequestHeaderAuthenticator(caFile: caFile, allowedNames: flags.strings("requestheader-allowed-names").filter { !$0.isEmpty },
                                              usernameHeaders: flags.strings("requestheader-username-headers").filter { !$0.isEmpty },
                                              groupHeaders: flags.strings("requestheader-group-headers").filter { !$0.isEmpty },
                                              extraHeaderPrefixes: flags.strings("requestheader-extra-headers-prefix").filter { !$0.isEmpty })
    }

    /// `--proxy-client-cert-file`/`--proxy-client-key-file`: the aggregator's client; without them aggregated
    /// APIServices stay unavailable.
    static func aggregatorClient(_ flags: ParsedFlags, logger: Logger) throws -> AggregatorProxyClient? {
        let cert = flags.string("proxy-client-cert-file") ?? "", key = flags.string("proxy-client-key-file") ?? ""
        guard !cert.isEmpty || !key.isEmpty else {
            logger.info("no --proxy-client-cert-file/--proxy-client-key-file: requests for aggregated APIs cannot be proxied")
            return nil
        }
        guard !cert.isEmpty, !key.isEmpty else {
            throw ServerConfigurationError("--proxy-client-cert-file and --proxy-client-key-file must be given together")
        }
        return try AggregatorProxyClient(certificateFile: cert, keyFile: key)
    }

    /// What kube-system/extension-apiserver-authentication publishes: the client CA and the front-proxy settings,
    /// the lists as JSON arrays (as upstream writes them).
    static func extensionAPIServerAuthentication(_ flags: ParsedFlags) throws -> [String: String] {
        var data: [String: String] = [:]
        func read(_ flag: String) throws -> String? {
            guard let path = flags.string(flag), !path.isEmpty else { return nil }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ServerConfigurationError("--\(flag) \(path): cannot read")
            }
            return text
        }
        func list(_ flag: String) -> String {
            let values = flags.strings(flag).filter { !$0.isEmpty }
            return "[" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
                .joined(separator: ",") + "]"
        }
        if let ca = try read("client-ca-file") { data["client-ca-file"] = ca }
        if let ca = try read("requestheader-client-ca-file") {
            data["requestheader-client-ca-file"] = ca
            for flag in ["requestheader-allowed-names", "requestheader-extra-headers-prefix", "requestheader-group-headers",
                         "requestheader-username-headers"] {
                data[flag] = list(flag)
            }
        }
        return data
    }

    /// `--service-account-*` and `--api-audiences`, with the files read and checked now so that a wrong path or key
    /// stops the start with the flag's name instead of failing every token later.
    static func serviceAccountTokenSettings(_ flags: ParsedFlags, logger: Logger) throws -> ServiceAccountTokenSettings? {
        let issuers = flags.strings("service-account-issuer").filter { !$0.isEmpty }
        let signingFile = flags.string("service-account-signing-key-file") ?? ""
        let keyFiles = flags.strings("service-account-key-file").filter { !$0.isEmpty }
        guard !issuers.isEmpty else {
            if !signingFile.isEmpty || !keyFiles.isEmpty {
                throw ServerConfigurationError("--service-account-issuer is required with --service-account-signing-key-file and --service-account-key-file")
            }
            logger.info("no --service-account-issuer: service account tokens are neither issued nor accepted")
            return nil
        }
        for issuer in issuers where issuer.contains(":") && !(issuer.hasPrefix("https://") || issuer.hasPrefix("http://")) {
            throw ServerConfigurationError("--service-account-issuer \(issuer) contained a ':' but was not a valid URL")
        }
        func read(_ path: String, _ flag: String) throws -> String {
            do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ServerConfigurationError("\(flag) \(path): cannot read the file: \(error.localizedDescription)")
            }
        }
        var signingKey: SigningKey?
        if !signingFile.isEmpty {
            signingKey = try SigningKey(pem: read(signingFile, "--service-account-signing-key-file"),
                                        source: "--service-account-signing-key-file \(signingFile)")
        } else {
            logger.warning("no --service-account-signing-key-file: tokens of the issuer are accepted, none are issued (kubectl create token fails)")
        }
        var keys: [VerificationKey] = signingKey.map { [$0.publicKey] } ?? []
        for file in keyFiles {
            keys += try VerificationKey.keys(pem: read(file, "--service-account-key-file"), source: "--service-account-key-file \(file)")
        }
        guard !keys.isEmpty else {
            throw ServerConfigurationError("--service-account-issuer needs --service-account-key-file or --service-account-signing-key-file to verify tokens")
        }
        var settings = ServiceAccountTokenSettings(issuers: issuers, signingKey: signingKey, verificationKeys: keys,
                                                   apiAudiences: flags.strings("api-audiences").filter { !$0.isEmpty })
        let maxText = flags.string("service-account-max-token-expiration") ?? "0s"
        guard let max = GoDuration(maxText) else {
            throw ServerConfigurationError("--service-account-max-token-expiration \(maxText): expected a duration such as 48h")
        }
        if max.seconds > 0 {
            guard max.seconds >= 3600 else {
                throw ServerConfigurationError("--service-account-max-token-expiration \(maxText): must be at least 1h")
            }
            settings.maxExpirationSeconds = Int64(max.seconds)
        }
        settings.extendExpiration = flags.bool("service-account-extend-token-expiration")
        settings.jwksURI = flags.string("service-account-jwks-uri").flatMap { $0.isEmpty ? nil : $0 }
        logger.info("Service account tokens", metadata: [
            "issuer": "\(issuers[0])", "keys": "\(keys.count)", "signing": "\(signingKey?.algorithm ?? "none")",
            "audiences": "\(settings.apiAudiences.joined(separator: ","))"])
        return settings
    }
}
