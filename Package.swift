// swift-tools-version: 6.0
import PackageDescription

// Executables stay thin (flag parsing and wiring); the work lives in libraries with one job each.
// Dependencies point one way: executables → feature libraries → shared types.
let package = Package(
    name: "Kubestrap",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "bootstrap", targets: ["bootstrap"]),
        .executable(name: "kubelet", targets: ["kubelet"]),
        .executable(name: "kube-apiserver", targets: ["kube-apiserver"]),
        .executable(name: "kube-controller-manager", targets: ["kube-controller-manager"]),
        .executable(name: "kube-scheduler", targets: ["kube-scheduler"]),
        .executable(name: "kube-proxy", targets: ["kube-proxy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
    ],
    targets: [
        // Shared, dependency-free building blocks.
        .target(name: "KubestrapVersion", plugins: ["BuildStamp"]),
        .plugin(name: "BuildStamp", capability: .buildTool()),
        .target(name: "KubeAPI", dependencies: ["KubeJSON"]),
        .target(name: "KubestrapTesting", dependencies: ["KubeCommand"]),
        .target(name: "KubeLog", dependencies: ["AtomicFile", .product(name: "Logging", package: "swift-log")]),
        .target(name: "CKubeletShims"),
        .target(name: "CSystemd", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "SystemdNotify", dependencies: ["CSystemd"]),
        .target(name: "KubeCommand", dependencies: ["AtomicFile"]),
        .target(name: "AtomicFile"),
        .systemLibrary(name: "CLibYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .target(name: "KubeYAML", dependencies: ["CLibYAML", "KubeJSON"]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // The streaming protocols of exec, attach and port-forward (WebSocket channels, SPDY/3.1) over connections
        // taken over from HTTP/1.1, shared by the apiserver's proxy and the kubelet's server.
        .target(name: "KubeStreams", dependencies: [
            "CZlib", "KubeJSON",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),

        // Feature libraries.
        .target(name: "PKI", dependencies: [
            "AtomicFile", "KubeAPI", "KubeJSON",
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ]),
        .target(name: "KubeConfig", dependencies: ["KubeYAML", "AtomicFile"]),
        .target(name: "KubeadmAPI", dependencies: ["KubeAPI", "KubeYAML", "PKI"]),
        // The kubelet's side of the CRI (k8s.io/cri-client): runtime.v1 RuntimeService and ImageService over gRPC on a
        // unix socket, with message types generated from upstream's api.proto (tools/cri) and committed.
        .target(name: "CRIClient", dependencies: [
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTP2", package: "swift-nio-http2"),
        ]),
        .target(name: "Kubelet", dependencies: [
            "CRIClient", "KubeAPI", "KubeYAML", "AtomicFile", "CKubeletShims", "SystemdNotify", "KubeLog", "KubeCommand",
            "KubeJSON", "KubeConfig", "KubeClient", "PKI", "KubestrapVersion", "KubeStreams",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .target(name: "KubeJSON"),
        .target(name: "KubeHTTPClient", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // The client side of the API (client-go): a REST client over one HTTP/2 connection, and a fake for tests.
        .target(name: "KubeClient", dependencies: [
            "KubeJSON", "KubeConfig", "KubeAPI",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // What controllers are built from: informers, work queues, leader election, events, health serving.
        .target(name: "ControllerRuntime", dependencies: [
            "KubeClient", "KubeJSON", "KubeAPI", "PKI",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // kube-controller-manager's controllers and command; kube-scheduler's queue, plugins and command.
        .target(name: "KubeControllerManager", dependencies: [
            "ControllerRuntime", "KubeClient", "KubeJSON", "KubeAPI", "KubeCommand", "KubeLog", "PKI", "ServiceAccountToken",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "KubeScheduler", dependencies: [
            "ControllerRuntime", "KubeClient", "KubeJSON", "KubeAPI", "KubeCommand", "KubeLog", "KubeYAML",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // kube-proxy's iptables proxier, its configuration and its health and metrics servers.
        .target(name: "KubeProxy", dependencies: [
            "ControllerRuntime", "KubeClient", "KubeJSON", "KubeAPI", "KubeCommand", "KubeLog", "KubeYAML",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .target(name: "KubeStorage", dependencies: ["AtomicFile"]),
        .target(name: "EtcdStorage", dependencies: [
            "KubeStorage", "KubeJSON",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // Service account tokens: JWS signing and verification with the cluster's sa.key/sa.pub, claims, JWKS.
        .target(name: "ServiceAccountToken", dependencies: [
            "KubeJSON",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        .target(name: "APIServer", dependencies: [
            "KubeAPI", "KubeJSON", "KubeStorage", "KubestrapVersion", "KubeYAML", "PKI", "ServiceAccountToken",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "APIServerHTTP", dependencies: [
            "APIServer", "KubeAPI", "PKI", "KubeHTTPClient", "KubeStreams",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
        ]),
        .target(name: "BootstrapWorkflow", dependencies: ["KubeCommand"]),
        .target(name: "BootstrapPhases", dependencies: [
            "BootstrapWorkflow", "KubeadmAPI", "PKI", "KubeConfig", "KubeYAML", "AtomicFile", "KubeCommand",
            "Kubelet", "KubeClient", "KubeHTTPClient", "KubeJSON", "KubestrapTesting",
        ]),

        // Thin executables.
        .executableTarget(name: "bootstrap", dependencies: ["BootstrapPhases", "KubeCommand", "KubestrapVersion"]),
        // The kubelet runs on every node for as long as the node lives, so its memory counts (BENCHMARKS.md):
        // the Swift runtime linked in statically (only the pages it uses become resident), no dynamic symbol table
        // (the static runtime's args export every symbol, ~1 MiB touched by the dynamic loader's lookups), and
        // relative relocations packed (DT_RELR: 72k RELA entries, 1.7 MiB read at every start, become 14 KiB).
        .executableTarget(name: "kubelet", dependencies: ["Kubelet", "KubeCommand", "KubestrapVersion"],
                          linkerSettings: [.unsafeFlags(["-static-stdlib", "-l_FoundationCollections", "-l_FoundationCShims",
                                                         "-use-ld=lld", "-Xlinker", "--no-export-dynamic",
                                                         "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"])]),
        .target(name: "APIServerCommand", dependencies: [
            "APIServer", "APIServerHTTP", "KubeAPI", "KubeStorage", "EtcdStorage", "KubeCommand", "KubeLog", "SystemdNotify",
            "ServiceAccountToken",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "kube-controller-manager", dependencies: ["KubeControllerManager", "KubeCommand", "KubestrapVersion"]),
        .executableTarget(name: "kube-scheduler", dependencies: ["KubeScheduler", "KubeCommand", "KubestrapVersion"]),
        .executableTarget(name: "kube-apiserver", dependencies: ["APIServerCommand", "KubeCommand", "KubestrapVersion"]),
        .executableTarget(name: "kube-proxy", dependencies: ["KubeProxy", "KubeCommand", "KubestrapVersion"]),
        // Benchmark load generator (bench/apiserver.sh), not installed.
        .executableTarget(name: "apiserver-bench", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),

        // Tests.
        .testTarget(name: "KubeCommandTests", dependencies: ["KubeCommand", "KubestrapTesting"]),
        .testTarget(name: "KubeYAMLTests", dependencies: ["KubeYAML"]),
        .testTarget(name: "PKITests", dependencies: ["PKI"]),
        .testTarget(name: "ServiceAccountTokenTests", dependencies: [
            "ServiceAccountToken", "KubeJSON",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        .testTarget(name: "KubeadmAPITests", dependencies: ["KubeadmAPI"]),
        .testTarget(name: "BootstrapWorkflowTests", dependencies: ["BootstrapWorkflow"]),
        .testTarget(name: "BootstrapPhasesTests", dependencies: ["BootstrapPhases", "PKI", "KubeConfig", "KubestrapTesting"]),
        .testTarget(name: "CLITests", dependencies: ["KubestrapTesting"]),
        .testTarget(name: "KubestrapTestingTests", dependencies: ["KubestrapTesting"]),
        .testTarget(name: "KubeAPITests", dependencies: ["KubeAPI"]),
        .testTarget(name: "KubeJSONTests", dependencies: ["KubeJSON"]),
        .testTarget(name: "KubeStreamsTests", dependencies: ["KubeStreams", "KubestrapTesting",
                                                             .product(name: "NIOCore", package: "swift-nio")]),
        // The programs' libraries together in one process over real TLS: the apiserver, kube-controller-manager's
        // controllers and kube-scheduler through the real client, and the kubelet.
        .testTarget(name: "NodeIntegrationTests", dependencies: [
            "APIServer", "APIServerHTTP", "Kubelet", "KubeStorage", "KubeJSON", "KubeConfig", "PKI", "KubeAPI", "KubeClient",
            "KubeControllerManager", "KubeScheduler", "KubeStreams",
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "APIServerHTTPTests", dependencies: [
            "APIServer", "APIServerHTTP", "KubeStorage", "KubeJSON", "PKI", "KubeHTTPClient",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .testTarget(name: "KubeStorageTests", dependencies: ["KubeStorage", "EtcdStorage", "PKI", "KubestrapTesting",
                                                             .product(name: "Logging", package: "swift-log"),
                                                             .product(name: "NIOCore", package: "swift-nio"),
                                                             .product(name: "NIOPosix", package: "swift-nio")]),
        .testTarget(name: "APIServerTests", dependencies: ["APIServer", "KubeAPI", "KubeStorage", "KubeJSON", "PKI", "ServiceAccountToken",
                                                           .product(name: "Logging", package: "swift-log"),
                                                           .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "ControllerRuntimeTests", dependencies: ["ControllerRuntime", "KubeClient", "KubeJSON", "KubeAPI",
                                                                   .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ControllerManagerTests", dependencies: ["KubeControllerManager", "ControllerRuntime", "KubeClient", "KubeJSON", "KubeAPI", "PKI",
                                                                   "ServiceAccountToken",
                                                                   .product(name: "Logging", package: "swift-log"),
                                                                   .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "KubeProxyTests", dependencies: ["KubeProxy", "ControllerRuntime", "KubeClient", "KubeJSON", "KubeAPI",
                                                           "KubeCommand", "KubestrapTesting",
                                                           .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "SchedulerTests", dependencies: ["KubeScheduler", "ControllerRuntime", "KubeClient", "KubeJSON",
                                                           .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "CRIClientTests", dependencies: ["CRIClient"]),
        .testTarget(name: "KubeletTests", dependencies: ["Kubelet", "KubeAPI", "KubeLog", "KubeClient", "KubeJSON", "KubeStreams",
                                                         .product(name: "NIOCore", package: "swift-nio"),
                                                         .product(name: "NIOPosix", package: "swift-nio"),
                                                         .product(name: "NIOHTTP1", package: "swift-nio"),
                                                         .product(name: "Crypto", package: "swift-crypto")]),
    ],
    swiftLanguageModes: [.v6]
)
