
extension KubestrapVersion {
    /// The host architecture in Go's spelling (GOARCH), as /version's `platform` and the Node's labels carry it.
    public static var architecture: String {
        #if arch(x86_64)
        return "amd64"
        #elseif arch(arm64)
        return "arm64"
        #else
        return "unknown"
        #endif
    }
}
