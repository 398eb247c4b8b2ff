import TesseraCatalog
import TesseraDelivery
import TesseraGeometry
import TesseraGrids

/// Turns tile invalidations into the payloads of the outputs that purge caches themselves: the
/// request list of `http-purge` (``PurgeList``) and the files of `expire-files`.
///
/// Every such payload means, to a consumer that does exactly what it says, that every stale tile is
/// purged. Windows reach here split, never rolled up (``WindowPayloads``); the one rolled-up form left
/// is a TRUNCATE of a layer with more tiles than `max_tiles`, which becomes the output's whole-layer
/// form:
/// - `http-purge`: one `BAN` to the template's origin whose expression (in the ban header) is a regex
///   matching every target of the layer: `^` and the template's literal start, such as
///   `^/tiles/roads/` (the Varnish configuration in the README turns it into `ban req.url ~ …`);
/// - `expire-files`: a `.layer` file (JSON: layer, tile matrix set, zooms, reason) instead of a list.
public enum PurgeRequests {
    /// The payload of one event for `subscription`'s output (not the webhook's).
    public static func payload(of event: TileInvalidation, layer: Layer, subscription: Subscription) -> EncodedPayload {
        let wholeLayer = event.zooms.contains { $0.rolledUpFrom != nil }
        switch subscription.settings.output {
        case .webhook, .httpPurge:  // (a webhook's payload is the event itself, in its format)
            let list = purgeList(of: event, layer: layer, subscription: subscription, wholeLayer: wholeLayer)
            return EncodedPayload(bytes: list.bytes, contentType: PurgeList.contentType, contentEncoding: nil)
        case .expireFiles:
            if wholeLayer {
                return EncodedPayload(
                    bytes: Array(wholeLayerMarker(of: event, layer: layer).utf8),
                    contentType: ExpireFilesOutput.wholeLayerContentType,
                    contentEncoding: nil
                )
            }
            return EncodedPayload(
                bytes: Array(event.zxyText().utf8),
                contentType: PayloadFormat.zxy.contentType,
                contentEncoding: nil
            )
        }
    }

    static func purgeList(of event: TileInvalidation, layer: Layer, subscription: Subscription, wholeLayer: Bool)
        -> PurgeList
    {
        let method = subscription.settings.method.rawValue
        guard let template = try? TileURLTemplate(subscription.settings.url) else {
            // Validated when the subscription was written; one written by hand is refused at send time.
            return PurgeList([])
        }
        if wholeLayer {
            return PurgeList([
                .init(method: "BAN", target: "/", banExpression: "^" + regexEscaped(template.prefix(layer: layer.name)))
            ])
        }
        var requests: [PurgeList.Request] = []
        requests.reserveCapacity(event.tileCount)
        for zoom in event.zooms {
            let height = (try? layer.tileMatrixSet.matrix(at: zoom.tiles.zoom).matrixHeight) ?? (1 << zoom.tiles.zoom)
            for t in zoom.tiles {
                requests.append(
                    .init(
                        method: method,
                        target: template.target(layer: layer.name, z: t.z, x: t.x, y: t.y, matrixHeight: height)
                    )
                )
            }
        }
        return PurgeList(requests)
    }

    /// POSIX extended regex metacharacters escaped (Varnish uses PCRE, which reads these the same).
    static func regexEscaped(_ s: String) -> String {
        var out = ""
        for c in s {
            if "\\^$.|?*+()[]{}".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    static func wholeLayerMarker(of event: TileInvalidation, layer: Layer) -> String {
        JSONValue.object([
            ("layer", .string(layer.name)),
            ("tile_matrix_set", .string(layer.tileMatrixSet.identifier)),
            ("min_zoom", .number(Double(layer.zooms.lowerBound))),
            ("max_zoom", .number(Double(layer.zooms.upperBound))),
            ("reason", .string("every tile of the layer is stale (a TRUNCATE, or more tiles than max_tiles)")),
            ("event_id", .string(event.eventID)),
        ]).serialized() + "\n"
    }
}
