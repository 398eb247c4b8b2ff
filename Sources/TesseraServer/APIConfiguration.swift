import TesseraCatalog
import TesseraDelivery

/// Settings of the admin API server.
public struct APIConfiguration: Sendable {
    /// Listen address; `127.0.0.1` by default so the API is not exposed unless asked for.
    public var host = "127.0.0.1"
    public var port = 8088
    /// Largest request body accepted; larger ones get 413.
    public var maxBodyBytes = 1 << 20
    /// Networks webhook URLs may point to although the SSRF policy refuses them (loopback, private…),
    /// for local development and tests.
    public var addressPolicy = AddressPolicy()
    /// How long the previous signing secret keeps signing after a rotation.
    public var secretRotationOverlap: Duration = .seconds(24 * 3600)
    /// Page size when a list request names none, and the largest allowed.
    public var defaultPageSize = 50
    public var maxPageSize = 500

    public init() {}
}
