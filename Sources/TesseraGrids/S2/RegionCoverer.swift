/// Approximates a region by a small set of cells, in the manner of s2geometry's `S2RegionCoverer`.
///
/// A covering's cells together contain the whole region; an interior covering's cells all lie
/// inside it. Cells are between ``Options/minLevel`` and ``Options/maxLevel``, on levels
/// `minLevel + k·levelMod`, and there are at most ``Options/maxCells`` of them unless the level
/// constraints force more (the limit is soft, as in the reference). The algorithm keeps a
/// priority queue of candidate cells and refines the ones that promise the most improvement,
/// as s2geometry does.
public struct S2RegionCoverer: Sendable {
    /// Validated coverer options.
    public struct Options: Hashable, Sendable {
        public let minLevel: Int
        public let maxLevel: Int
        public let maxCells: Int
        public let levelMod: Int

        /// Validates the options.
        /// - Throws: ``S2Error`` (`invalidOptions`) naming the option when a level is outside
        ///   0...30, `minLevel > maxLevel`, `maxCells < 1` or `levelMod` is outside 1...3.
        public init(minLevel: Int = 0, maxLevel: Int = 30, maxCells: Int = 8, levelMod: Int = 1) throws(S2Error) {
            guard (0...30).contains(minLevel) else {
                throw S2Error(.invalidOptions, "min-level \(minLevel) is outside 0...30")
            }
            guard (0...30).contains(maxLevel) else {
                throw S2Error(.invalidOptions, "max-level \(maxLevel) is outside 0...30")
            }
            guard minLevel <= maxLevel else {
                throw S2Error(.invalidOptions, "min-level \(minLevel) is greater than max-level \(maxLevel)")
            }
            guard maxCells >= 1 else {
                throw S2Error(.invalidOptions, "max-cells \(maxCells) must be at least 1")
            }
            guard (1...3).contains(levelMod) else {
                throw S2Error(.invalidOptions, "level-mod \(levelMod) is outside 1...3")
            }
            self.minLevel = minLevel
            self.maxLevel = maxLevel
            self.maxCells = maxCells
            self.levelMod = levelMod
        }

        /// The deepest level actually used: `maxLevel` rounded down onto the level-mod grid.
        var trueMaxLevel: Int {
            levelMod == 1 ? maxLevel : maxLevel - (maxLevel - minLevel) % levelMod
        }
    }

    /// The options this coverer uses.
    public let options: Options

    /// A coverer with validated `options`.
    public init(options: Options) { self.options = options }

    /// Cells whose union contains `region`, sorted by id.
    public func covering(of region: S2GeometryRegion) -> [S2CellID] {
        var run = Run(region: region, options: options, interior: false)
        return run.cover()
    }

    /// Cells that all lie inside `region`, sorted by id (empty for points and lines).
    public func interiorCovering(of region: S2GeometryRegion) -> [S2CellID] {
        var run = Run(region: region, options: options, interior: true)
        return run.cover()
    }

    /// Every cell at `level` that intersects `region`, sorted by id.
    ///
    /// Complexity: proportional to the number of cells returned plus the boundary cells visited
    /// on the way down; a large polygon at a fine level can return millions of cells.
    public static func cells(at level: S2Level, touching region: S2GeometryRegion) -> [S2CellID] {
        var output: [S2CellID] = []
        func visit(_ clip: S2ClippedRegion) {
            guard clip.mayIntersect else { return }
            if clip.cell.level == level.rawValue {
                output.append(clip.cell.id)
            } else if clip.isContained(in: region) {
                output.append(contentsOf: clip.cell.id.children(at: level))
            } else {
                for child in clip.cell.children { visit(region.clipped(to: child, from: clip)) }
            }
        }
        for face in 0..<6 { visit(region.clipped(to: S2Cell(S2CellID(face: face)))) }
        return output
    }

    /// A cell being considered for the covering, with its children once expanded.
    private final class Candidate {
        let clip: S2ClippedRegion
        var isTerminal: Bool
        var children: [Candidate] = []

        init(clip: S2ClippedRegion, isTerminal: Bool) {
            self.clip = clip
            self.isTerminal = isTerminal
        }
    }

    /// One covering computation: the priority queue and the result so far.
    private struct Run {
        let region: S2GeometryRegion
        let options: Options
        let interior: Bool
        var result: [S2CellID] = []
        var queue = PriorityQueue()

        init(region: S2GeometryRegion, options: Options, interior: Bool) {
            self.region = region
            self.options = options
            self.interior = interior
        }

        /// log2 of the most children a candidate can have.
        var maxChildrenShift: Int { 2 * options.levelMod }

        func newCandidate(_ clip: S2ClippedRegion) -> Candidate? {
            guard clip.mayIntersect else { return nil }
            var terminal = false
            let level = clip.cell.level
            if level >= options.minLevel {
                if interior {
                    if clip.isContained(in: region) {
                        terminal = true
                    } else if level + options.levelMod > options.maxLevel {
                        return nil
                    }
                } else if level + options.levelMod > options.maxLevel || clip.isContained(in: region) {
                    terminal = true
                }
            }
            return Candidate(clip: clip, isTerminal: terminal)
        }

        /// Adds the descendants `levels` below `clip` as children of `candidate`; returns how
        /// many of them are terminal.
        func expandChildren(_ candidate: Candidate, _ clip: S2ClippedRegion, levels: Int) -> Int {
            var terminals = 0
            for child in clip.cell.children {
                let childClip = region.clipped(to: child, from: clip)
                if levels > 1 {
                    if childClip.mayIntersect { terminals += expandChildren(candidate, childClip, levels: levels - 1) }
                    continue
                }
                if let c = newCandidate(childClip) {
                    candidate.children.append(c)
                    if c.isTerminal { terminals += 1 }
                }
            }
            return terminals
        }

        mutating func add(_ candidate: Candidate?) {
            guard let candidate else { return }
            if candidate.isTerminal {
                result.append(candidate.clip.cell.id)
                return
            }
            let level = candidate.clip.cell.level
            let levels = level < options.minLevel ? 1 : options.levelMod
            let terminals = expandChildren(candidate, candidate.clip, levels: levels)
            if candidate.children.isEmpty {
                return
            }
            if !interior && terminals == 1 << maxChildrenShift && level >= options.minLevel {
                // Every child is terminal: the candidate itself is as good a covering.
                candidate.isTerminal = true
                candidate.children = []
                add(candidate)
                return
            }
            // Prefer coarse cells, then fewer children, then fewer terminal children.
            let priority = -((((level << maxChildrenShift) + candidate.children.count) << maxChildrenShift) + terminals)
            queue.push(priority, candidate)
        }

        /// The cells to start from: up to four cells around the region's bounding cap, or the
        /// six faces when the cap is large.
        func initialCells() -> [S2CellID] {
            if options.maxCells >= 4 {
                let cap = region.capBound
                // kMinWidth of the quadratic projection: 2√2/3 radians at level 0.
                let minWidthDerivative = 2 * 2.0.squareRoot() / 3
                var level = 0
                if cap.radius < Double.pi / 2 {
                    let ratio = 2 * cap.radius / minWidthDerivative
                    level = ratio > 0 ? -Int(ratio.exponent) : S2CellID.maxLevel
                    level = max(0, min(level, S2CellID.maxLevel))
                }
                level = min(level, min(options.maxLevel, S2CellID.maxLevel - 1))
                if options.levelMod > 1 && level > options.minLevel {
                    level -= (level - options.minLevel) % options.levelMod
                }
                if level > 0 {
                    return S2CellID(cap.center).vertexNeighbors(atLevel: level)
                }
            }
            return (0..<6).map { S2CellID(face: $0) }
        }

        mutating func cover() -> [S2CellID] {
            guard !region.isEmpty else { return [] }
            // Points and lines have no interior; without this the search would descend to
            // `maxLevel` along every line.
            if interior && region.polygonEdges.isEmpty { return [] }
            for id in initialCells() {
                add(newCandidate(region.clipped(to: S2Cell(id))))
            }
            while let candidate = queue.pop(), !interior || result.count < options.maxCells {
                if interior || candidate.clip.cell.level < options.minLevel || candidate.children.count == 1
                    || result.count + queue.count + candidate.children.count <= options.maxCells
                {
                    for child in candidate.children {
                        if interior && result.count >= options.maxCells { break }
                        add(child)
                    }
                } else {
                    candidate.isTerminal = true
                    candidate.children = []
                    add(candidate)
                }
            }
            var cells = S2CellUnion.normalize(result)
            if options.minLevel > 0 || options.levelMod > 1 {
                cells = S2CellUnion.denormalize(cells, minLevel: options.minLevel, levelMod: options.levelMod)
            }
            return cells
        }
    }

    /// A max-heap of candidates by priority; ties go to the earlier insertion (deterministic).
    private struct PriorityQueue {
        private var heap: [(priority: Int, order: Int, candidate: Candidate)] = []
        private var counter = 0

        var count: Int { heap.count }

        private func above(_ i: Int, _ j: Int) -> Bool {
            heap[i].priority != heap[j].priority ? heap[i].priority > heap[j].priority : heap[i].order < heap[j].order
        }

        mutating func push(_ priority: Int, _ candidate: Candidate) {
            heap.append((priority, counter, candidate))
            counter += 1
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard above(i, parent) else { break }
                heap.swapAt(i, parent)
                i = parent
            }
        }

        mutating func pop() -> Candidate? {
            guard !heap.isEmpty else { return nil }
            heap.swapAt(0, heap.count - 1)
            let top = heap.removeLast().candidate
            var i = 0
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var best = i
                if l < heap.count && above(l, best) { best = l }
                if r < heap.count && above(r, best) { best = r }
                if best == i { break }
                heap.swapAt(i, best)
                i = best
            }
            return top
        }
    }
}
