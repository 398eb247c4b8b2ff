import CGEOS

/// A GEOS reentrant-API context: one handle plus the last error GEOS reported on it.
///
/// Not thread-safe (GEOS contexts are not); each ``GeometryValidator`` owns its own.
final class GEOSContext {
    let handle: GEOSContextHandle_t
    /// Filled by GEOS's error callback; boxed so the C callback can reach it through a raw pointer.
    private let lastError: UnsafeMutablePointer<String>

    init() {
        handle = GEOS_init_r()
        lastError = .allocate(capacity: 1)
        lastError.initialize(to: "")
        GEOSContext_setErrorMessageHandler_r(
            handle,
            { message, userData in
                guard let message, let userData else { return }
                userData.assumingMemoryBound(to: String.self).pointee = String(cString: message)
            },
            UnsafeMutableRawPointer(lastError)
        )
    }

    deinit {
        GEOS_finish_r(handle)
        lastError.deinitialize(count: 1)
        lastError.deallocate()
    }

    /// The last error message, cleared once read.
    func takeError() -> String {
        defer { lastError.pointee = "" }
        return lastError.pointee.isEmpty ? "GEOS failed without a message" : lastError.pointee
    }

    /// A GEOS geometry built from our model (through 2D WKB). Caller destroys it.
    func geometry(from g: Geometry) throws(GeometryOperationError) -> OpaquePointer {
        let bytes = WKB.encode(g)
        guard let reader = GEOSWKBReader_create_r(handle) else { throw GeometryOperationError(reason: takeError()) }
        defer { GEOSWKBReader_destroy_r(handle, reader) }
        let geom = bytes.withUnsafeBufferPointer { GEOSWKBReader_read_r(handle, reader, $0.baseAddress, $0.count) }
        guard let geom else { throw GeometryOperationError(reason: takeError()) }
        return geom
    }

    /// Our model of a GEOS geometry (through 2D WKB). Does not destroy `geom`.
    func model(of geom: OpaquePointer) throws(GeometryOperationError) -> Geometry {
        guard let writer = GEOSWKBWriter_create_r(handle) else { throw GeometryOperationError(reason: takeError()) }
        defer { GEOSWKBWriter_destroy_r(handle, writer) }
        GEOSWKBWriter_setOutputDimension_r(handle, writer, 2)
        GEOSWKBWriter_setByteOrder_r(handle, writer, Int32(GEOS_WKB_NDR.rawValue))
        var size = 0
        guard let out = GEOSWKBWriter_write_r(handle, writer, geom, &size) else {
            throw GeometryOperationError(reason: takeError())
        }
        defer { GEOSFree_r(handle, out) }
        do {
            return try WKB.decode(UnsafeRawBufferPointer(start: out, count: size)).geometry
        } catch {
            throw GeometryOperationError(reason: "GEOS wrote unreadable WKB: \(error.message)")
        }
    }
}

/// A GEOS operation (repair, normalisation) that failed; `reason` is GEOS's message.
public struct GeometryOperationError: Error, Hashable, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}
