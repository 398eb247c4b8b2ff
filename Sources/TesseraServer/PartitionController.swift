import Foundation
import Hummingbird
import TesseraCatalog

/// `/v1/subscriptions/{id}/partitions`: the subscription's current partition map.
struct PartitionController: Sendable {
    let maps: PartitionMapStore

    func addRoutes(to group: RouterGroup<APIRequestContext>) {
        group.get("subscriptions/{id}/partitions", use: get)
    }

    /// 404 when the tenant has no such subscription, and when the subscription has no map yet.
    @Sendable func get(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let id = try context.parameters.subscriptionID()
        guard let published = try await maps.current(tenant: tenant, subscription: id) else {
            throw Problem.notFound("subscription \(id.uuidString.lowercased()) has no partition map")
        }
        return .json(Representation.partitions(published, subscription: id))
    }
}
