import Hummingbird
import Synchronization

/// Which methods each routed path answers, so that a request to a known path with a method it does
/// not have gets `405 Method Not Allowed` with an `Allow` header (RFC 9110 §15.5.6) instead of the
/// router's 404.
///
/// Filled once from `router.routes` after the last route is added (``buildRouter``); read by
/// ``ProblemMiddleware`` for the requests no route matched.
final class AllowedMethods: Sendable {
    /// A route's path: its elements matched one segment each (Hummingbird's own `~=`), except that a
    /// `**` takes the rest of the path, one segment at least.
    private struct Pattern: Sendable {
        var elements: [RouterPath.Element]

        func matches(_ parts: [Substring]) -> Bool {
            for (i, element) in elements.enumerated() {
                if element.description == "**" { return i < parts.count }
                guard i < parts.count, element ~= parts[i] else { return false }
            }
            return elements.count == parts.count
        }
    }

    private let table = Mutex<[(pattern: Pattern, methods: Set<String>)]>([])

    init() {}

    /// Records the routes of a finished router; later calls replace what an earlier one recorded.
    func record<Context>(_ routes: [Router<Context>.RouteDescription]) {
        var byPath: [String: (elements: [RouterPath.Element], methods: Set<String>)] = [:]
        var order: [String] = []
        for route in routes {
            let path = route.path.description
            if byPath[path] == nil {
                order.append(path)
                byPath[path] = (route.path.components, [])
            }
            byPath[path]?.methods.insert(route.method.rawValue)
        }
        let entries = order.compactMap { path in
            byPath[path].map { (pattern: Pattern(elements: $0.elements), methods: $0.methods) }
        }
        table.withLock { $0 = entries }
    }

    /// The methods the routes matching `path` answer, sorted; empty when no route has this path.
    func methods(for path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return table.withLock { entries in
            var methods: Set<String> = []
            for entry in entries where entry.pattern.matches(parts) {
                methods.formUnion(entry.methods)
            }
            return methods.sorted()
        }
    }
}
