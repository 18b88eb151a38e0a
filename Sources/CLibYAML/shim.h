// libyaml (Debian: libyaml-dev), the YAML 1.1 parser and emitter PyYAML and Ruby use. Kubestrap reads manifests,
// kubeconfigs and configuration through it instead of Yams, whose Swift layer needs full Foundation (and ICU).
#include <yaml.h>
