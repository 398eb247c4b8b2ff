import Logging
import ServiceLifecycle

/// Runs `services` in a `ServiceGroup` while `body` runs, then shuts them down gracefully and waits
/// for them, whether `body` succeeded or threw (its error wins over theirs).
public func withRunningServices(
    _ services: [any Service],
    logger: Logger,
    _ body: () async throws -> Void
) async throws {
    let group = ServiceGroup(services: services, logger: logger)
    let running = Task { try await group.run() }
    do {
        try await body()
    } catch {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        throw error
    }
    await group.triggerGracefulShutdown()
    try await running.value
}
