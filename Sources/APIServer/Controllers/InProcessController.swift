/// A controller the apiserver runs itself, for what kube-controller-manager (or the apiextensions server) does
/// upstream and an apiserver alone would leave undone. `start` returns once the controller follows its objects;
/// `stop` returns once it has stopped, a pass under way finished: nothing it runs writes after that.
protocol InProcessController: Actor {
    func start(server: APIServer) async
    func stop() async
}
