/// kube-scheduler: the scheduling queue, the framework's plugins and the command (being written).
public enum KubeScheduler {}
