// The API's JSON request bodies, read as the controllers read them: the body parsed with
// JSONValue.parse and refused unless it is an object (FieldReader.body(of:limit:)), then
//   - POST /v1/subscriptions: SubscriptionDefinition.read(creating: true), then the URL's syntax
//     and address check (DestinationCheck's first step; names are not resolved here);
//   - PATCH /v1/subscriptions/{id}: read(creating: false) onto an existing subscription;
//   - POST /v1/subscriptions/{id}/replay: from/to timestamps (DeliveryController.replayWindow);
// each ending in reader.finish(), which turns the problems into the 400/422 problem.
// Every input goes through all three. Thrown errors and problems are the expected answer to bad
// input; only a trap or a sanitizer report is a finding.
// Property: what the API answers for a subscription it created reads back, as a create body, to
// the same settings without a problem.
import Foundation
import FuzzSupport
import TesseraCatalog
import TesseraDelivery
import TesseraGeometry

@testable import TesseraServer

let policy = AddressPolicy()

/// The subscription a PATCH applies to: every optional setting set, so `null` has something to clear.
let existing: SubscriptionDefinition = {
    var s = SubscriptionDefinition(name: "cache", url: "https://cache.example.com/expire", layers: ["roads"])
    s.headers = ["X-Team": "maps"]
    s.filter = .polygon(
        Polygon([
            [
                Position(longitude: 0, latitude: 0), Position(longitude: 1, latitude: 0),
                Position(longitude: 1, latitude: 1), Position(longitude: 0, latitude: 0),
            ]
        ])
    )
    s.ratePerMinute = 600
    return s
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let value = try? JSONValue.parse(bytes) else { return 0 }  // 400: not JSON
    guard case .object(let members) = value else { return 0 }  // 400: not an object

    // Create.
    var create = RequestReader(members: members)
    var created = SubscriptionDefinition(name: "", url: "", layers: [])
    SubscriptionDefinition.read(&create, into: &created, creating: true)
    if (try? create.finish()) != nil, (try? policy.checkURL(created.url)) != nil {
        readsBack(created)
    }

    // Update.
    var update = RequestReader(members: members)
    var updated = existing
    SubscriptionDefinition.read(&update, into: &updated, creating: false)
    _ = try? update.finish()

    // Replay (DeliveryController.replay's reader, up to the store call).
    var replay = RequestReader(members: members)
    if let window = try? DeliveryController.replayWindow(&replay), window.from >= window.to {
        fatalError("replay: accepted a window that does not move forward: \(window)")
    }
    return 0
}

/// The subscription's representation (GET's answer), its settings given back as a create body.
func readsBack(_ settings: SubscriptionDefinition) {
    let subscription = Subscription(
        id: UUID(uuidString: "00000000-0000-4000-8000-000000000000")!,
        tenant: "default",
        settings: settings,
        createdAt: Date(timeIntervalSince1970: 0),
        updatedAt: Date(timeIntervalSince1970: 0)
    )
    let text = Representation.subscription(subscription).serialized()
    guard case .object(let members)? = try? JSONValue.parse(Array(text.utf8)) else {
        fatalError("representation: not a JSON object: \(text)")
    }
    let fields = Set(SubscriptionDefinition.fields)
    var reader = FieldReader(members: members.filter { fields.contains($0.key) })
    var again = SubscriptionDefinition(name: "", url: "", layers: [])
    SubscriptionDefinition.read(&reader, into: &again, creating: true)
    if !reader.problems.isEmpty || again != settings {
        fatalError("representation: \(text) reads back as \(again) with problems \(reader.problems)")
    }
}

@_cdecl("fuzz_api_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    tessera_fuzz_run(argc, argv, fuzz)
}
