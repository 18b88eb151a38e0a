import AtomicFile
import FoundationEssentials
import Glibc
import Logging

/// The file source of static pods (upstream's pkg/kubelet/config/file.go): the manifest directory, watched with
/// inotify and re-listed every fileCheckFrequency. Every change yields the full set of pods (a SET snapshot);
/// a missing directory yields an empty set, so the source still counts as seen.
///
/// Beyond upstream: files that look like backups are warned about, and a second manifest yielding a pod name
/// already taken is refused with both file names.
public actor StaticPodSource {
    public struct Snapshot: Sendable {
        public let pods: [KubeletPod]
    }

    private let directory: String
    private let nodeName: String
    private let checkFrequency: Double
    private let logger: Logger
    private var cache: [String: CachedFile] = [:]
    private var reportedDuplicates: Set<String> = []
    private var watcher: DirectoryWatcher?
    private var lastSnapshot: [KubeletPod]?

    struct CachedFile {
        let fingerprint: String
        let result: Result<KubeletPod, ManifestError>
    }

    public init(directory: String, nodeName: String, checkFrequency: Double, logger: Logger) {
        self.directory = directory
        self.nodeName = nodeName
        self.checkFrequency = checkFrequency
        self.logger = logger
    }

    /// Yields a snapshot at once, then after every change. Runs until the consuming task is cancelled.
    public nonisolated func updates() -> AsyncStream<Snapshot> {
        let (stream, continuation) = AsyncStream<Snapshot>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let (changes, changed) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let task = Task {
            await self.run(continuation: continuation, changes: changes, changed: changed)
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func run(continuation: AsyncStream<Snapshot>.Continuation, changes: AsyncStream<Void>,
                     changed: AsyncStream<Void>.Continuation) async {
        let periodic = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(checkFrequency))
                changed.yield()
            }
        }
        defer {
            periodic.cancel()
            watcher?.stop()
            watcher = nil
        }
        continuation.yield(Snapshot(pods: scan(changed: changed)))
        for await _ in changes {
            if Task.isCancelled { break }
            // Coalesce the burst of events one editor save produces.
            try? await Task.sleep(for: .milliseconds(15))
            let pods = scan(changed: changed)
            continuation.yield(Snapshot(pods: pods))
        }
        continuation.finish()
    }

    /// Lists and parses the directory, reusing parse results of unchanged files.
    func scan(changed: AsyncStream<Void>.Continuation? = nil) -> [KubeletPod] {
        if watcher == nil, let changed {
            watcher = DirectoryWatcher(path: directory) { _ in changed.yield() }
            if watcher == nil {
                logger.debug("unable to watch the static pod path yet; re-checking every \(checkFrequency)s", metadata: ["path": "\(directory)"])
            }
        }
        guard let names = AtomicFile.listDirectory(directory)?.sorted() else {
            if lastSnapshot == nil || !(lastSnapshot?.isEmpty ?? true) {
                logger.info("static pod path does not exist (yet); no static pods", metadata: ["path": "\(directory)"])
            }
            watcher = nil
            lastSnapshot = []
            cache = [:]
            return []
        }
        var pods: [KubeletPod] = []
        var candidates: [(path: String, pod: KubeletPod)] = []
        var present = Set<String>()
        for name in names where !name.hasPrefix(".") {
            let path = "\(directory)/\(name)"
            var st = stat()
            guard stat(path, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                continue   // upstream does not recurse into subdirectories
            }
            guard (st.st_mode & S_IFMT) == S_IFREG else { continue }
            present.insert(path)
            let fingerprint = "\(st.st_ino):\(st.st_size):\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
            let result: Result<KubeletPod, ManifestError>
            if let cached = cache[path], cached.fingerprint == fingerprint {
                result = cached.result
            } else {
                if Self.looksLikeBackup(name) {
                    logger.warning("file in the static pod path looks like a backup but is read as a manifest like every other file; move it out of the directory if it is not meant to run",
                                   metadata: ["path": "\(path)"])
                }
                result = parse(path: path)
                cache[path] = CachedFile(fingerprint: fingerprint, result: result)
            }
            if case .success(let pod) = result { candidates.append((path, pod)) }
        }
        // Two files defining the same pod: the one already running keeps it (adding a copy must not replace a
        // healthy pod); otherwise the first file in name order wins. The other is refused, naming both.
        var owners: [String: String] = [:]
        for previous in lastSnapshot ?? [] where candidates.contains(where: { $0.path == previous.sourcePath && $0.pod.fullName == previous.fullName }) {
            owners[previous.fullName] = previous.sourcePath
        }
        for candidate in candidates where owners[candidate.pod.fullName] == nil {
            owners[candidate.pod.fullName] = candidate.path
        }
        for (path, pod) in candidates {
            guard let owner = owners[pod.fullName], owner != path else {
                pods.append(pod)
                continue
            }
            let key = "\(owner)|\(path)"
            if !reportedDuplicates.contains(key) {
                reportedDuplicates.insert(key)
                logger.error("refusing static pod manifest: it defines pod \(pod.fullName), which \(owner) already defines; remove or rename one of them",
                             metadata: ["path": "\(path)", "firstFile": "\(owner)"])
            }
        }
        cache = cache.filter { present.contains($0.key) }
        lastSnapshot = pods
        return pods
    }

    private func parse(path: String) -> Result<KubeletPod, ManifestError> {
        guard let bytes = try? AtomicFile.read(path), let text = String(validating: bytes, as: UTF8.self) else {
            let error = ManifestError(path: path, reason: "unreadable or not UTF-8 text")
            logger.error("could not process manifest file: \(error.reason)", metadata: ["path": "\(path)"])
            return .failure(error)
        }
        do {
            let (pod, warnings) = try StaticPodParser.parse(path: path, text: text, nodeName: nodeName)
            for warning in warnings {
                logger.warning("\(warning)", metadata: ["path": "\(path)", "pod": "\(pod.fullName)"])
            }
            return .success(pod)
        } catch {
            logger.error("could not process manifest file, skipping it: \(error.reason)", metadata: ["path": "\(path)"])
            return .failure(error)
        }
    }

    /// Names editors and admins leave behind: `*.bak`, `*~`, `*.orig`, `*.swp`, or no .yaml/.yml/.json extension.
    static func looksLikeBackup(_ name: String) -> Bool {
        let lower = name.lowercased()
        if lower.hasSuffix("~") || lower.hasSuffix(".bak") || lower.hasSuffix(".orig") || lower.hasSuffix(".swp") { return true }
        return !(lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") || lower.hasSuffix(".json"))
    }
}
