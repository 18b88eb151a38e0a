/// The three components `control-plane` writes, and what differs between them: the manifest template, the unit
/// template (`--control-plane-mode=systemd`), the placeholder the unit's command line goes into, and the port and
/// path kubeadm's control-plane-check polls.
public enum ControlPlaneComponent: String, CaseIterable, Sendable {
    case apiServer = "kube-apiserver"
    case controllerManager = "kube-controller-manager"
    case scheduler = "kube-scheduler"

    /// The subphase of `init phase control-plane`.
    var phaseName: String {
        switch self {
        case .apiServer: return "apiserver"
        case .controllerManager: return "controller-manager"
        case .scheduler: return "scheduler"
        }
    }

    /// kubeadm's order (apiserver, controller manager, scheduler), for stable messages.
    var order: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    var manifestFile: String { rawValue + ".yaml" }
    var unitFile: String { rawValue + ".service" }

    var unitCommandPlaceholder: String {
        switch self {
        case .apiServer: return "APISERVER_COMMAND"
        case .controllerManager: return "CONTROLLER_MANAGER_COMMAND"
        case .scheduler: return "SCHEDULER_COMMAND"
        }
    }

    /// kubeadm 1.30+ checks the controller manager's /healthz and the scheduler's /livez on their loopback secure
    /// ports; the apiserver is checked on its advertise address (InitPaths has the ports).
    var healthPath: String {
        switch self {
        case .apiServer, .scheduler: return "/livez"
        case .controllerManager: return "/healthz"
        }
    }
}
