// Load generators for the partition benchmark: each window yields points (lat, lng, device).
import Foundation

struct Rng {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func gaussian() -> Double {
        let u = max(unit(), 1e-300)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * unit())
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

struct Point {
    var lat: Double
    var lng: Double
    var device: UInt64
}

/// A weighted set of places, each a Gaussian blob: sampling picks a place by weight.
struct Places {
    var lat: [Double] = []
    var lng: [Double] = []
    var sigmaDegrees: [Double] = []
    var cumulative: [Double] = []

    mutating func add(lat: Double, lng: Double, sigma: Double, weight: Double) {
        self.lat.append(lat)
        self.lng.append(lng)
        sigmaDegrees.append(sigma)
        cumulative.append((cumulative.last ?? 0) + weight)
    }

    func sample(_ rng: inout Rng) -> (Double, Double) {
        let u = rng.unit() * cumulative.last!
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] < u { low = middle + 1 } else { high = middle }
        }
        return jitter(low, &rng)
    }

    func jitter(_ i: Int, _ rng: inout Rng) -> (Double, Double) {
        let s = sigmaDegrees[i]
        let la = max(-89.9, min(89.9, lat[i] + s * rng.gaussian()))
        var lo = lng[i] + s * rng.gaussian() / max(0.2, cos(lat[i] * .pi / 180))
        if lo >= 180 { lo -= 360 }
        if lo < -180 { lo += 360 }
        return (la, lo)
    }
}

enum Scenario: String, CaseIterable {
    case uniform
    case zipfCities = "zipf-cities"
    case movingHotSpot = "moving-hot-spot"
    case stadium
    case geonames

    /// Windows after which the moving hot spot jumps.
    static let hotSpotPeriod = 6
}

/// Draws the points of one window of a scenario. Devices: 100,000, each reporting from its own
/// place for the city scenarios (a device keeps its id across windows).
struct Generator {
    let scenario: Scenario
    var cities = Places()
    var real = Places()
    let pointsPerWindow: Int

    init(_ scenario: Scenario, pointsPerWindow: Int, geonames: String?) throws {
        self.scenario = scenario
        self.pointsPerWindow = pointsPerWindow
        var rng = Rng(state: 1234)
        // 300 cities, Zipf weights (s = 1), spread 2–10 km, over the inhabited latitudes.
        for rank in 1...300 {
            let lat = asin(rng.unit() * (sin(60 * .pi / 180) + sin(45 * .pi / 180)) - sin(45 * .pi / 180)) * 180 / .pi
            cities.add(
                lat: lat,
                lng: rng.unit() * 360 - 180,
                sigma: (0.02 + 0.07 * rng.unit()),
                weight: 1 / Double(rank)
            )
        }
        if scenario == .geonames {
            guard let path = geonames, let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw BenchError(
                    "the geonames scenario needs a CSV of lat,lng,population (benchmarks/partitions/run.sh writes it)"
                )
            }
            for line in text.split(whereSeparator: \.isNewline) {
                let f = line.split(separator: ",")
                guard f.count == 3, let la = Double(f[0]), let lo = Double(f[1]), let pop = Double(f[2]), pop > 0 else {
                    continue
                }
                // A town's people spread over about 1 km per 100,000 inhabitants' square root.
                real.add(lat: la, lng: lo, sigma: 0.01 * max(0.3, (pop / 100_000).squareRoot()), weight: pop)
            }
            guard !real.lat.isEmpty else { throw BenchError("\(path) has no lat,lng,population line") }
        }
    }

    func points(window: Int) -> [Point] {
        var rng = Rng(state: UInt64(window + 1) &* 0x2545_f491_4f6c_dd1d ^ UInt64(scenario.rawValue.count))
        var out: [Point] = []
        out.reserveCapacity(pointsPerWindow)
        for _ in 0..<pointsPerWindow {
            let device = rng.next() % 100_000
            switch scenario {
            case .uniform:
                let lat = asin(rng.unit() * 2 - 1) * 180 / .pi
                out.append(Point(lat: lat, lng: rng.unit() * 360 - 180, device: device))
            case .zipfCities:
                let (la, lo) = cities.sample(&rng)
                out.append(Point(lat: la, lng: lo, device: device))
            case .movingHotSpot:
                // 10 % of the readings come from a hot spot (rush hour downtown, 2 km across) that
                // jumps to another city every few windows.
                if rng.unit() < 0.1 {
                    let city = (window / Scenario.hotSpotPeriod * 37 + 11) % 300
                    var spot = Places()
                    spot.add(lat: cities.lat[city], lng: cities.lng[city], sigma: 0.01, weight: 1)
                    let (la, lo) = spot.jitter(0, &rng)
                    out.append(Point(lat: la, lng: lo, device: device))
                } else {
                    let (la, lo) = cities.sample(&rng)
                    out.append(Point(lat: la, lng: lo, device: device))
                }
            case .stadium:
                // A fifth of the readings come from 60,000 people in one stadium (about 200 m across).
                if rng.unit() < 0.2 {
                    var spot = Places()
                    spot.add(lat: 48.9245, lng: 2.3601, sigma: 0.0008, weight: 1)
                    let (la, lo) = spot.jitter(0, &rng)
                    out.append(Point(lat: la, lng: lo, device: 1_000_000 + rng.next() % 60_000))
                } else {
                    let (la, lo) = cities.sample(&rng)
                    out.append(Point(lat: la, lng: lo, device: device))
                }
            case .geonames:
                let (la, lo) = real.sample(&rng)
                out.append(Point(lat: la, lng: lo, device: device))
            }
        }
        return out
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ text: String) { description = text }
}
