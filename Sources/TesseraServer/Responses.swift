import Foundation
import Hummingbird
import TesseraGeometry

extension Response {
    /// A JSON answer.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: value.serialized()))
        )
    }
}

/// Page size and cursor of list endpoints (`?limit=50&cursor=…`). A cursor is opaque to clients:
/// base64url of the position after which the next page starts.
struct PageRequest {
    var limit: Int
    var cursor: String?

    init(_ request: Request, configuration: APIConfiguration) throws {
        let query = request.uri.queryParameters
        limit = configuration.defaultPageSize
        if let text = query["limit"] {
            guard let n = Int(String(text)), (1...configuration.maxPageSize).contains(n) else {
                throw Problem.malformed(field: "limit", "must be an integer from 1 to \(configuration.maxPageSize)")
            }
            limit = n
        }
        if let text = query["cursor"], !text.isEmpty {
            var b64 = String(text).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while b64.count % 4 != 0 { b64 += "=" }
            guard let data = Data(base64Encoded: b64), let s = String(data: data, encoding: .utf8),
                !s.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else {
                throw Problem.malformed(field: "cursor", "is not a cursor this API returned")
            }
            cursor = s
        }
    }

    /// The `cursor` member of the cursor, as an integer id.
    func cursorID() throws -> Int64? {
        guard let cursor else { return nil }
        guard let id = Int64(cursor) else {
            throw Problem.malformed(field: "cursor", "is not a cursor this API returned")
        }
        return id
    }

    static func encode(_ position: String) -> String {
        Data(position.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

extension Parameters {
    /// The `{id}` of a subscription; anything that is not a UUID is simply not found.
    func subscriptionID() throws -> UUID {
        let text = self.get("id") ?? ""
        guard let id = UUID(uuidString: text) else { throw Problem.notFound("subscription \(text) not found") }
        return id
    }

    /// The `{id}` of a delivery.
    func deliveryID() throws -> Int64 {
        let text = self.get("id") ?? ""
        // Digits only: the id as the API writes it ("+1" or "01" name no delivery).
        guard text.first != "0", text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let id = Int64(text), id > 0
        else { throw Problem.notFound("delivery \(text) not found") }
        return id
    }
}
