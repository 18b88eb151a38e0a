import KubeStorage
import Synchronization

/// The resources the server serves right now: the built-in catalog, plus the ones CustomResourceDefinitions add
/// and remove while it runs. Readers take a consistent snapshot; `generation` moves with every change so derived
/// documents (OpenAPI) know when to rebuild.
public final class ResourceRegistry: Sendable {
    struct State: Sendable {
        var catalog: ResourceCatalog
        var stores: [String: GenericStore]
        var generation: Int
    }

    private let state: Mutex<State>
    private let storage: any StorageBackend
    private let admission: [any AdmissionPlugin]

    init(builtIn: ResourceCatalog, storage: any StorageBackend, admission: [any AdmissionPlugin]) {
        self.storage = storage
        self.admission = admission
        var stores: [String: GenericStore] = [:]
        for def in builtIn.definitions {
            stores[Self.key(def.group, def.version, def.resource)] = GenericStore(definition: def, storage: storage, admission: admission)
        }
        state = Mutex(State(catalog: builtIn, stores: stores, generation: 0))
    }

    static func key(_ group: String, _ version: String, _ resource: String) -> String { "\(group)/\(version)/\(resource)" }

    public var catalog: ResourceCatalog { state.withLock { $0.catalog } }
    var generation: Int { state.withLock { $0.generation } }

    func store(_ group: String, _ version: String, _ resource: String) -> GenericStore? {
        state.withLock { $0.stores[Self.key(group, version, resource)] }
    }

    /// Makes `definitions` the resources served for the CustomResourceDefinition `owner`, replacing what it served
    /// before (a version added, dropped or changed).
    func serve(_ definitions: [ResourceDefinition], for owner: String) {
        let admission = self.admission, storage = self.storage
        state.withLock { state in
            var defs = state.catalog.definitions.filter { $0.owner != owner }
            for def in state.catalog.definitions where def.owner == owner {
                state.stores[Self.key(def.group, def.version, def.resource)] = nil
            }
            for var def in definitions {
                def.owner = owner
                defs.append(def)
                state.stores[Self.key(def.group, def.version, def.resource)] = GenericStore(definition: def, storage: storage, admission: admission)
            }
            state.catalog = ResourceCatalog(definitions: defs)
            state.generation += 1
        }
    }

    /// Whether a resource of another owner (a built-in or another CRD) already uses this group and plural or kind.
    func conflict(group: String, plural: String, kind: String, owner: String) -> String? {
        state.withLock { state in
            for def in state.catalog.definitions where def.group == group && def.owner != owner {
                if def.resource == plural { return "\"\(plural)\" is already in use" }
                if def.kind == kind { return "\"\(kind)\" is already in use" }
            }
            return nil
        }
    }
}
