/// Namespace for what the lifecycle controllers share (pod and condition helpers, quantities); nested so
/// that helpers other controllers define under the same module cannot clash with these names.
enum Lifecycle {}
