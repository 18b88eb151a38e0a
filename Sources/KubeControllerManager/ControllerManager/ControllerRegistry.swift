/// Every controller this kube-controller-manager has, by upstream's names.
public enum ControllerRegistry {
    public static var all: [ControllerDescriptor] {
        (workloads + core + lifecycle + certificates).sorted { $0.name < $1.name }
    }
}
