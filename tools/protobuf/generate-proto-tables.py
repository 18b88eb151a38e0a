#!/usr/bin/env python3
"""Writes Sources/APIServer/Protobuf/ProtoSchema.generated.swift from upstream's own protobuf definitions.

Usage: generate-proto-tables.py API_GIT APIMACHINERY_GIT APIEXTENSIONS_GIT KUBE_AGGREGATOR_GIT [REF] > OUT

Each *_GIT is a git directory (bare or not) of kubernetes/api, kubernetes/apimachinery,
kubernetes/apiextensions-apiserver and kubernetes/kube-aggregator; REF is the tag read from all four (v0.32.9,
the libraries of Kubernetes 1.32). Nothing is read from the network.

The .proto files give the messages, field numbers, wire types, repeated and map fields. What JSON makes of a field
is in the Go structs beside them, whose tags the .proto does not carry: the JSON name (`$ref`,
`x-kubernetes-*`), `,inline` embedding (Volume's VolumeSource), `omitempty`, and whether the Go field is a pointer
(a zero that was set is kept). Both are read and joined by field number.
"""
import re
import subprocess
import sys

REF = sys.argv[5] if len(sys.argv) > 5 else "v0.32.9"
API, MACHINERY, APIEXT, AGGREGATOR = sys.argv[1:5]

# (git dir, package directory, proto package, short name). The k8s.io/api group-versions are the ones the
# kube-apiserver serves (ResourceCatalog) and the ones being added beside them.
API_PACKAGES = ["admissionregistration/v1", "apps/v1", "authentication/v1", "authorization/v1", "autoscaling/v1",
                "autoscaling/v2", "batch/v1", "certificates/v1", "coordination/v1", "core/v1", "discovery/v1",
                "events/v1", "flowcontrol/v1", "networking/v1", "node/v1", "policy/v1", "rbac/v1", "scheduling/v1",
                "storage/v1"]
PACKAGES = [(API, p, "k8s.io.api." + p.replace("/", "."), p.replace("/", ".")) for p in API_PACKAGES] + [
    (MACHINERY, "pkg/apis/meta/v1", "k8s.io.apimachinery.pkg.apis.meta.v1", "meta.v1"),
    (MACHINERY, "pkg/runtime", "k8s.io.apimachinery.pkg.runtime", "runtime"),
    (MACHINERY, "pkg/util/intstr", "k8s.io.apimachinery.pkg.util.intstr", "intstr"),
    (MACHINERY, "pkg/api/resource", "k8s.io.apimachinery.pkg.api.resource", "resource"),
    (APIEXT, "pkg/apis/apiextensions/v1", "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1", "apiextensions.v1"),
    (AGGREGATOR, "pkg/apis/apiregistration/v1", "k8s.io.kube_aggregator.pkg.apis.apiregistration.v1", "apiregistration.v1"),
]
SHORT = {proto: short for (_, _, proto, short) in PACKAGES}

# Messages whose JSON is not an object of their fields (custom MarshalJSON upstream).
SPECIAL = {
    "meta.v1.Time": "time", "meta.v1.MicroTime": "microtime", "meta.v1.Duration": "duration",
    "meta.v1.FieldsV1": "rawjson", "runtime.RawExtension": "rawjson", "apiextensions.v1.JSON": "rawjson",
    "intstr.IntOrString": "intorstring", "resource.Quantity": "quantity",
    "apiextensions.v1.JSONSchemaPropsOrArray": "schemaorarray",
    "apiextensions.v1.JSONSchemaPropsOrBool": "schemaorbool",
    "apiextensions.v1.JSONSchemaPropsOrStringArray": "schemaorstringarray",
}
SCALARS = {"string", "bytes", "bool", "int32", "int64", "double", "float", "uint32", "uint64", "sint32", "sint64",
           "fixed32", "fixed64", "sfixed32", "sfixed64"}


def git(repo, *args):
    return subprocess.run(["git", "--git-dir", repo, *args], check=True, capture_output=True, text=True).stdout


def resolve(type_name, package_short):
    if type_name in SCALARS:
        return type_name
    if type_name.startswith("."):
        proto_package, _, name = type_name[1:].rpartition(".")
        if proto_package not in SHORT:
            raise SystemExit(f"unknown proto package {proto_package} (from {type_name})")
        return SHORT[proto_package] + "." + name
    return package_short + "." + type_name


def strip_comments(text):
    return re.sub(r"//[^\n]*", "", text)


def proto_messages(text, package_short):
    """message name → [(number, proto name, type, label, map key type)]"""
    messages = {}
    for m in re.finditer(r"\nmessage (\w+) \{(.*?)\n\}", strip_comments("\n" + text), re.S):
        fields = []
        for line in m.group(2).split(";"):
            line = " ".join(line.split())
            if not line:
                continue
            mm = re.fullmatch(r"map<(\w+), ?([\w.]+)> (\w+) = (\d+)", line)
            if mm:
                fields.append((int(mm.group(4)), mm.group(3), resolve(mm.group(2), package_short), "map", mm.group(1)))
                continue
            fm = re.fullmatch(r"(optional|repeated) ([\w.]+) (\w+) = (\d+)", line)
            if not fm:
                raise SystemExit(f"cannot read proto field in {m.group(1)}: {line!r}")
            fields.append((int(fm.group(4)), fm.group(3), resolve(fm.group(2), package_short), fm.group(1), ""))
        messages[m.group(1)] = fields
    return messages


def go_structs(repo, directory):
    """Go struct name → {field number: (json name, inline, omitempty, pointer)}; and the named slice types."""
    structs, slices = {}, set()
    for path in git(repo, "ls-tree", "--name-only", REF, directory + "/").split():
        if not path.endswith(".go") or path.endswith("_test.go") or path.endswith(".pb.go"):
            continue
        source = git(repo, "show", f"{REF}:{path}")
        for m in re.finditer(r"^type (\w+) \[\]", source, re.M):
            slices.add(m.group(1))
        for m in re.finditer(r"^type (\w+) struct \{\n(.*?)^\}", source, re.S | re.M):
            fields = {}
            for line in m.group(2).split("\n"):
                tm = re.match(r"\s*([^`/]*?)\s*`(.*)`", line)
                if not tm or 'protobuf:"' not in tm.group(2):
                    continue
                tags = dict(re.findall(r'(\w+):"([^"]*)"', tm.group(2)))
                parts = tags.get("protobuf", "").split(",")
                if len(parts) < 2:
                    continue
                number = int(parts[1])
                go = tm.group(1).split()
                go_type = go[-1]
                json_parts = tags.get("json", "").split(",")
                json_name = json_parts[0]
                inline = "inline" in json_parts[1:] or (len(go) == 1 and json_name == "")
                if json_name == "-":
                    continue
                if not json_name and not inline:
                    json_name = go[0]
                fields[number] = (json_name, inline, "omitempty" in json_parts[1:], go_type.startswith("*"))
            structs[m.group(1)] = fields
    return structs, slices


def group_name(repo, directory):
    for path in git(repo, "ls-tree", "--name-only", REF, directory + "/").split():
        if path.endswith("register.go"):
            m = re.search(r'GroupName\s*=\s*"([^"]*)"', git(repo, "show", f"{REF}:{path}"))
            if m:
                return m.group(1)
    return None


def main():
    out = []
    for repo, directory, proto_package, short in PACKAGES:
        text = git(repo, "show", f"{REF}:{directory}/generated.proto")
        declared = re.search(r"^package ([\w.]+);", text, re.M).group(1)
        if declared != proto_package:
            raise SystemExit(f"{directory}: package {declared}, expected {proto_package}")
        structs, slices = go_structs(repo, directory)
        group = group_name(repo, directory)
        if group is not None and short.count(".") == 1:
            out.append(f"P {group}/{short.split('.')[1]} {short}")
        for name, fields in proto_messages(text, short).items():
            full = short + "." + name
            special = SPECIAL.get(full) or ("array" if name in slices else "")
            out.append(f"M {full} {special}".rstrip())
            go_fields = structs.get(name, {})
            for number, proto_name, type_name, label, key in sorted(fields):
                json_name, inline, omitempty, pointer = go_fields.get(number, (proto_name, False, False, False))
                if special == "array":
                    json_name = "items"
                flags = ""
                if label == "repeated":
                    flags += "r"
                if label == "map":
                    flags += "m"
                if pointer:
                    flags += "p"
                if omitempty:
                    flags += "e"
                if inline:
                    flags += "i"
                    json_name = "-"
                if not json_name or " " in json_name:
                    raise SystemExit(f"{full}.{proto_name}: no JSON name")
                out.append(f"{number} {json_name} {type_name} {flags or '-'}")
    print("// Generated by tools/protobuf/generate-proto-tables.py from upstream's generated.proto files and Go")
    print(f"// struct tags at {REF} (k8s.io/api, apimachinery, apiextensions-apiserver, kube-aggregator). Do not edit.")
    print("//")
    print("// `P <group>/<version> <package>`: a served group-version and its messages' package.")
    print("// `M <package>.<Message> [special]`: a message; special JSON forms are time, microtime, duration, rawjson,")
    print("// intorstring, quantity, array (a Go named slice: its `items` are the JSON array), schemaorarray,")
    print("// schemaorbool, schemaorstringarray.")
    print("// `<number> <json name> <type> <flags>`: a field; flags r repeated, m map (string keys), p Go pointer,")
    print("// e omitempty, i inlined into the parent's JSON object (json name `-`).")
    print("enum ProtoSchema {")
    print('    static let text = #"""')
    for line in out:
        print(line)
    print('"""#')
    print("}")


main()
