import Foundation
import PackagePlugin

/// Writes the build stamp /version reports (gitCommit, gitTreeState, buildDate) from the checkout the binaries
/// are built from. buildDate is the commit's date, as reproducible builds take SOURCE_DATE_EPOCH from it, so an
/// unchanged checkout builds nothing again; the file is replaced only when its content changes. Outside a git
/// checkout the values stay empty, as upstream's are in an untagged build.
@main
struct BuildStamp: BuildToolPlugin {
    static let script = #"""
        set -u
        repo="$1"; out="$2/BuildStamp.swift"
        commit=$(git -C "$repo" rev-parse HEAD 2>/dev/null || true)
        date=$(TZ=UTC git -C "$repo" show -s --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd HEAD 2>/dev/null || true)
        state=""
        if [ -n "$commit" ]; then
          if [ -z "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ]; then state=clean; else state=dirty; fi
        fi
        tmp="$out.tmp.$$"
        printf '// Written by the BuildStamp plugin at build time; not in git.\nextension KubestrapVersion {\n    public static let gitCommit = "%s"\n    public static let gitTreeState = "%s"\n    public static let buildDate = "%s"\n}\n' "$commit" "$state" "$date" > "$tmp"
        if cmp -s "$tmp" "$out"; then rm -f "$tmp"; else mv -f "$tmp" "$out"; fi
        """#

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL
        return [.prebuildCommand(displayName: "Writing the build stamp",
                                 executable: URL(fileURLWithPath: "/bin/sh"),
                                 arguments: ["-c", Self.script, "buildstamp", context.package.directoryURL.path, output.path],
                                 outputFilesDirectory: output)]
    }
}
