/// The 20 faces of the icosahedron H3 projects onto: where they are and how they join.
///
/// Values are the published H3 v4 face tables (`faceijk.c` of uber/h3 4.5.0).
@usableFromInline
enum H3Faces {

    /// Unit vector of each face centre (x, y, z per face).
    @usableFromInline static let centers: [Double] = [
        0.2199307791404606, 0.6583691780274996, 0.7198475378926182,
        -0.2139234834501421, 0.1478171829550703, 0.9656017935214205,
        0.1092625278784797, -0.4811951572873210, 0.8697775121287253,
        0.7428567301586791, -0.3593941678278028, 0.5648005936517033,
        0.8112534709140969, 0.3448953237639384, 0.4721387736413930,
        -0.1055498149613921, 0.9794457296411413, 0.1718874610009365,
        -0.8075407579970092, 0.1533552485898818, 0.5695261994882688,
        -0.2846148069787907, -0.8644080972654206, 0.4144792552473539,
        0.7405621473854482, -0.6673299564565524, -0.0789837646326737,
        0.8512303986474293, 0.4722343788582681, -0.2289137388687808,
        -0.7405621473854481, 0.6673299564565524, 0.0789837646326737,
        -0.8512303986474292, -0.4722343788582682, 0.2289137388687808,
        0.1055498149613919, -0.9794457296411413, -0.1718874610009365,
        0.8075407579970092, -0.1533552485898819, -0.5695261994882688,
        0.2846148069787908, 0.8644080972654204, -0.4144792552473539,
        -0.7428567301586791, 0.3593941678278027, -0.5648005936517033,
        -0.8112534709140971, -0.3448953237639382, -0.4721387736413930,
        -0.2199307791404607, -0.6583691780274996, -0.7198475378926182,
        0.2139234834501420, -0.1478171829550704, -0.9656017935214205,
        -0.1092625278784796, 0.4811951572873210, -0.8697775121287253,
    ]

    /// Azimuth (radians) from each face centre of its Class II i, j and k axes.
    @usableFromInline static let axesAzimuths: [Double] = [
        5.619958268523939882, 3.525563166130744542, 1.431168063737548730,
        5.760339081714187279, 3.665943979320991689, 1.571548876927796127,
        0.780213654393430055, 4.969003859179821079, 2.874608756786625655,
        0.430469363979999913, 4.619259568766391033, 2.524864466373195467,
        6.130269123335111400, 4.035874020941915804, 1.941478918548720291,
        2.692877706530642877, 0.598482604137447119, 4.787272808923838195,
        2.982963003477243874, 0.888567901084048369, 5.077358105870439581,
        3.532912002790141181, 1.438516900396945656, 5.627307105183336758,
        3.494305004259568154, 1.399909901866372864, 5.588700106652763840,
        3.003214169499538391, 0.908819067106342928, 5.097609271892733906,
        5.930472956509811562, 3.836077854116615875, 1.741682751723420374,
        0.138378484090254847, 4.327168688876645809, 2.232773586483450311,
        0.448714947059150361, 4.637505151845541521, 2.543110049452346120,
        0.158629650112549365, 4.347419854898940135, 2.253024752505744869,
        5.891865957979238535, 3.797470855586042958, 1.703075753192847583,
        2.711123289609793325, 0.616728187216597771, 4.805518392002988683,
        3.294508837434268316, 1.200113735041072948, 5.388903939827463911,
        3.804819692245439833, 1.710424589852244509, 5.899214794638635174,
        3.664438879055192436, 1.570043776661997111, 5.758833981448388027,
        2.361378999196363184, 0.266983896803167583, 4.455774101589558636,
    ]

    /// For each face and quadrant (0 self, 1 ij, 2 ki, 3 jk): neighbour face, translation i, j, k
    /// (in units of the resolution's face width) and counter-clockwise 60° rotations, 5 values each.
    @usableFromInline static let neighbors: [Int] = [
        0, 0, 0, 0, 0, 4, 2, 0, 2, 1,
        1, 2, 2, 0, 5, 5, 0, 2, 2, 3,
        1, 0, 0, 0, 0, 0, 2, 0, 2, 1,
        2, 2, 2, 0, 5, 6, 0, 2, 2, 3,
        2, 0, 0, 0, 0, 1, 2, 0, 2, 1,
        3, 2, 2, 0, 5, 7, 0, 2, 2, 3,
        3, 0, 0, 0, 0, 2, 2, 0, 2, 1,
        4, 2, 2, 0, 5, 8, 0, 2, 2, 3,
        4, 0, 0, 0, 0, 3, 2, 0, 2, 1,
        0, 2, 2, 0, 5, 9, 0, 2, 2, 3,
        5, 0, 0, 0, 0, 10, 2, 2, 0, 3,
        14, 2, 0, 2, 3, 0, 0, 2, 2, 3,
        6, 0, 0, 0, 0, 11, 2, 2, 0, 3,
        10, 2, 0, 2, 3, 1, 0, 2, 2, 3,
        7, 0, 0, 0, 0, 12, 2, 2, 0, 3,
        11, 2, 0, 2, 3, 2, 0, 2, 2, 3,
        8, 0, 0, 0, 0, 13, 2, 2, 0, 3,
        12, 2, 0, 2, 3, 3, 0, 2, 2, 3,
        9, 0, 0, 0, 0, 14, 2, 2, 0, 3,
        13, 2, 0, 2, 3, 4, 0, 2, 2, 3,
        10, 0, 0, 0, 0, 5, 2, 2, 0, 3,
        6, 2, 0, 2, 3, 15, 0, 2, 2, 3,
        11, 0, 0, 0, 0, 6, 2, 2, 0, 3,
        7, 2, 0, 2, 3, 16, 0, 2, 2, 3,
        12, 0, 0, 0, 0, 7, 2, 2, 0, 3,
        8, 2, 0, 2, 3, 17, 0, 2, 2, 3,
        13, 0, 0, 0, 0, 8, 2, 2, 0, 3,
        9, 2, 0, 2, 3, 18, 0, 2, 2, 3,
        14, 0, 0, 0, 0, 9, 2, 2, 0, 3,
        5, 2, 0, 2, 3, 19, 0, 2, 2, 3,
        15, 0, 0, 0, 0, 16, 2, 0, 2, 1,
        19, 2, 2, 0, 5, 10, 0, 2, 2, 3,
        16, 0, 0, 0, 0, 17, 2, 0, 2, 1,
        15, 2, 2, 0, 5, 11, 0, 2, 2, 3,
        17, 0, 0, 0, 0, 18, 2, 0, 2, 1,
        16, 2, 2, 0, 5, 12, 0, 2, 2, 3,
        18, 0, 0, 0, 0, 19, 2, 0, 2, 1,
        17, 2, 2, 0, 5, 13, 0, 2, 2, 3,
        19, 0, 0, 0, 0, 15, 2, 0, 2, 1,
        18, 2, 2, 0, 5, 14, 0, 2, 2, 3,
    ]

    /// Quadrant (1 ij, 2 ki, 3 jk) in which face b lies as seen from face a, index a*20+b; 0 self, -1 not adjacent.
    @usableFromInline static let adjacentDirection: [Int8] = [
        0, 2, -1, -1, 1, 3, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        1, 0, 2, -1, -1, -1, 3, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, 1, 0, 2, -1, -1, -1, 3, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, 1, 0, 2, -1, -1, -1, 3, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        2, -1, -1, 1, 0, -1, -1, -1, -1, 3, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        3, -1, -1, -1, -1, 0, -1, -1, -1, -1, 1, -1, -1, -1, 2, -1, -1, -1, -1, -1,
        -1, 3, -1, -1, -1, -1, 0, -1, -1, -1, 2, 1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, 3, -1, -1, -1, -1, 0, -1, -1, -1, 2, 1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, 3, -1, -1, -1, -1, 0, -1, -1, -1, 2, 1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, 3, -1, -1, -1, -1, 0, -1, -1, -1, 2, 1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, 1, 2, -1, -1, -1, 0, -1, -1, -1, -1, 3, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, 1, 2, -1, -1, -1, 0, -1, -1, -1, -1, 3, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, 1, 2, -1, -1, -1, 0, -1, -1, -1, -1, 3, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, 1, 2, -1, -1, -1, 0, -1, -1, -1, -1, 3, -1,
        -1, -1, -1, -1, -1, 2, -1, -1, -1, 1, -1, -1, -1, -1, 0, -1, -1, -1, -1, 3,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 3, -1, -1, -1, -1, 0, 1, -1, -1, 2,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 3, -1, -1, -1, 2, 0, 1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 3, -1, -1, -1, 2, 0, 1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 3, -1, -1, -1, 2, 0, 1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 3, 1, -1, -1, 2, 0,
    ]

    /// Everything the projection needs about one face: centre, tangent basis at the centre
    /// and the azimuth of its Class II i axis.
    @usableFromInline
    struct Frame: Sendable {
        @usableFromInline var center: H3Vec3
        @usableFromInline var north: H3Vec3
        @usableFromInline var east: H3Vec3
        @usableFromInline var iAxisAzimuth: Double

        /// Reads face `face` of ``frameTable`` through `table`.
        @inlinable
        init(_ table: UnsafeBufferPointer<Double>, face: Int) {
            let n = face &* 10
            center = H3Vec3(x: table[n], y: table[n &+ 1], z: table[n &+ 2])
            north = H3Vec3(x: table[n &+ 3], y: table[n &+ 4], z: table[n &+ 5])
            east = H3Vec3(x: table[n &+ 6], y: table[n &+ 7], z: table[n &+ 8])
            iAxisAzimuth = table[n &+ 9]
        }
    }

    /// ``Frame`` of each face, 10 values per face. The tangent basis is what ``tangentBasis(_:)``
    /// computes from ``centers`` (as the reference does on every call), written out as literals so
    /// the table is static data; a test checks every value against that computation.
    @usableFromInline static let frameTable: [Double] = [
        // face 0: centre, north, east, i-axis azimuth
        0.2199307791404606, 0.6583691780274996, 0.7198475378926182,
        -0.22807849577543152, -0.6827596045277435, 0.694132208005028,
        -0.9484780715185176, 0.3168427809632304, 0.0,
        5.6199582685239395,
        // face 1: centre, north, east, i-axis azimuth
        -0.2139234834501421, 0.1478171829550703, 0.9656017935214205,
        0.7944029645987296, -0.5489178021239006, 0.26002533789655186,
        -0.5684722271714833, -0.8227024534633974, 1.3877787807814457e-17,
        5.7603390817141875,
        // face 2: centre, north, east, i-axis azimuth
        0.1092625278784797, -0.481195157287321, 0.8697775121287253,
        -0.19259342598459628, 0.8481867087336084, 0.49344409956464663,
        0.9751766364454802, 0.22142838059038347, 0.0,
        0.78021365439343,
        // face 3: centre, north, east, i-axis azimuth
        0.7428567301586791, -0.3593941678278028, 0.5648005936517033,
        -0.5084246035199391, 0.24597587915262994, 0.8252274167832061,
        0.43550924329289276, 0.9001842583640595, 2.7755575615628914e-17,
        0.4304693639799999,
        // face 4: centre, north, east, i-axis azimuth
        0.8112534709140969, 0.3448953237639384, 0.472138773641393,
        -0.4345021989011209, -0.18472374164056252, 0.881524235868987,
        -0.3912488275764174, 0.9202849313772766, 0.0,
        6.130269123335111,
        // face 5: centre, north, east, i-axis azimuth
        -0.1055498149613921, 0.9794457296411413, 0.1718874610009365,
        0.018416794358754516, -0.17089798399892206, 0.9851165924654054,
        -0.9942434602486272, -0.10714449007222332, 0.0,
        2.692877706530643,
        // face 6: centre, north, east, i-axis azimuth
        -0.8075407579970092, 0.1533552485898818, 0.5695261994882688,
        0.5595263084115215, -0.10625630380794422, 0.8219731796697801,
        -0.18656965018188404, -0.9824417365070609, -1.3877787807814457e-17,
        2.982963003477244,
        // face 7: centre, north, east, i-axis azimuth
        -0.2846148069787907, -0.8644080972654206, 0.4144792552473539,
        0.1296256224228557, 0.39368801231671813, 0.9100587601740883,
        0.9498376754266558, -0.3127433298091057, -1.3877787807814457e-17,
        3.532912002790141,
        // face 8: centre, north, east, i-axis azimuth
        0.7405621473854482, -0.6673299564565524, -0.0789837646326737,
        0.05867569493861569, -0.052873413914935614, 0.9968759024695354,
        0.6694212938675647, 0.742882986288336, 0.0,
        3.494305004259568,
        // face 9: centre, north, east, i-axis azimuth
        0.8512303986474293, 0.4722343788582681, -0.2289137388687808,
        0.2001736005560226, 0.11104967124364792, 0.9734467115138433,
        -0.4851157986078959, 0.8744499196300629, 0.0,
        3.0032141694995382,
        // face 10: centre, north, east, i-axis azimuth
        -0.7405621473854481, 0.6673299564565524, 0.0789837646326737,
        0.05867569493861568, -0.052873413914935614, 0.9968759024695354,
        -0.6694212938675647, -0.7428829862883359, 0.0,
        5.930472956509812,
        // face 11: centre, north, east, i-axis azimuth
        -0.8512303986474292, -0.4722343788582682, 0.2289137388687808,
        0.20017360055602257, 0.11104967124364795, 0.9734467115138433,
        0.485115798607896, -0.8744499196300628, 0.0,
        0.13837848409025486,
        // face 12: centre, north, east, i-axis azimuth
        0.1055498149613919, -0.9794457296411413, -0.1718874610009365,
        0.01841679435875448, -0.17089798399892206, 0.9851165924654054,
        0.9942434602486272, 0.10714449007222314, 0.0,
        0.4487149470591504,
        // face 13: centre, north, east, i-axis azimuth
        0.8075407579970092, -0.1533552485898819, -0.5695261994882688,
        0.5595263084115215, -0.10625630380794426, 0.8219731796697801,
        0.18656965018188415, 0.9824417365070609, 0.0,
        0.15862965011254937,
        // face 14: centre, north, east, i-axis azimuth
        0.2846148069787908, 0.8644080972654204, -0.4144792552473539,
        0.12962562242285572, 0.3936880123167181, 0.9100587601740883,
        -0.9498376754266556, 0.31274332980910574, 0.0,
        5.891865957979238,
        // face 15: centre, north, east, i-axis azimuth
        -0.7428567301586791, 0.3593941678278027, -0.5648005936517033,
        -0.5084246035199391, 0.2459758791526299, 0.8252274167832061,
        -0.43550924329289264, -0.9001842583640595, 2.7755575615628914e-17,
        2.711123289609793,
        // face 16: centre, north, east, i-axis azimuth
        -0.811253470914097, -0.3448953237639382, -0.472138773641393,
        -0.43450219890112096, -0.18472374164056243, 0.881524235868987,
        0.39124882757641716, -0.9202849313772767, 0.0,
        3.294508837434268,
        // face 17: centre, north, east, i-axis azimuth
        -0.2199307791404607, -0.6583691780274996, -0.7198475378926182,
        -0.2280784957754316, -0.6827596045277435, 0.694132208005028,
        0.9484780715185176, -0.3168427809632305, 0.0,
        3.80481969224544,
        // face 18: centre, north, east, i-axis azimuth
        0.213923483450142, -0.1478171829550704, -0.9656017935214205,
        0.7944029645987293, -0.5489178021239011, 0.26002533789655186,
        0.5684722271714837, 0.8227024534633971, 0.0,
        3.6644388790551923,
        // face 19: centre, north, east, i-axis azimuth
        -0.1092625278784796, 0.481195157287321, -0.8697775121287253,
        -0.1925934259845961, 0.8481867087336084, 0.49344409956464663,
        -0.9751766364454802, -0.22142838059038328, 0.0,
        2.361378999196363,
    ]

    /// ``Frame`` of `face`.
    @inlinable
    static func frame(_ face: Int) -> Frame {
        frameTable.withUnsafeBufferPointer { Frame($0, face: face) }
    }

    /// Largest i+j+k on a face at each Class II resolution 0...16 (0 for Class III).
    @usableFromInline static let maxDimension: [Int] = [
        2, 0, 14, 0, 98, 0, 686, 0, 4802, 0, 33614, 0, 235298, 0, 1647086, 0, 11529602,
    ]

    /// Cell spacing of the resolution-0 grid in units of each Class II resolution (0 for Class III).
    @usableFromInline static let unitScale: [Int] = [
        1, 0, 7, 0, 49, 0, 343, 0, 2401, 0, 16807, 0, 117649, 0, 823543, 0, 5764801,
    ]

    @inlinable
    static func center(_ face: Int) -> H3Vec3 {
        H3Vec3(x: centers[face * 3], y: centers[face * 3 + 1], z: centers[face * 3 + 2])
    }

    @inlinable
    static func tangentBasis(_ p: H3Vec3) -> (north: H3Vec3, east: H3Vec3) {
        let pole = H3Vec3(x: 0, y: 0, z: 1)
        var north = H3Vec3.combine(1.0, pole, -pole.dot(p), p)
        north.normalize()
        return (north, north.cross(p))
    }
}

/// Where a cell or vertex lands when its coordinates run past its face.
@usableFromInline
enum H3Overage: Sendable {
    /// Still on the original face.
    case none
    /// Exactly on the face edge (substrate grids only).
    case faceEdge
    /// Moved onto a neighbouring face.
    case newFace
}

/// A position on the H3 grid: an icosahedron face and ijk coordinates on it.
@usableFromInline
struct H3FaceIJK: Sendable {
    @usableFromInline var face: Int
    @usableFromInline var coord: H3CoordIJK

    @inlinable
    init(face: Int, coord: H3CoordIJK) {
        self.face = face
        self.coord = coord
    }

    /// The cell containing unit vector `p` at resolution `res` on its closest face.
    @inlinable
    init(_ p: H3Vec3, resolution res: Int) {
        self = H3FaceIJK.project(p, resolution: res)
    }

    @inlinable
    static func project(_ p: H3Vec3, resolution res: Int) -> H3FaceIJK {
        let (face, v) = hex2d(p, resolution: res)
        return H3FaceIJK(face: face, coord: H3CoordIJK(hex2d: v))
    }

    /// Closest face and planar coordinates of `p` on it, in units of the cell spacing at `res`.
    @inlinable
    static func hex2d(_ p: H3Vec3, resolution res: Int) -> (face: Int, point: H3Vec2) {
        let (face, sqd) = closestFace(p)
        return H3Faces.frameTable.withUnsafeBufferPointer { table in
            var r = H3Math.acos(1 - sqd * 0.5)
            if r < H3Constants.epsilon { return (face, H3Vec2(x: 0, y: 0)) }
            // Azimuth of p seen from the face centre, in the centre's tangent plane.
            let frame = H3Faces.Frame(table, face: face)
            var projected = H3Vec3.combine(1.0, p, -p.dot(frame.center), frame.center)
            projected.normalize()
            let azimuth = H3Math.atan2(projected.dot(frame.east), projected.dot(frame.north))
            var theta = H3Math.positiveAngle(frame.iAxisAzimuth - H3Math.positiveAngle(azimuth))
            if res & 1 == 1 { theta = H3Math.positiveAngle(theta - H3Constants.aperture7RotationRadians) }
            r = H3Math.tan(r)
            r *= H3Constants.inverseRes0UnitGnomonic
            for _ in 0..<res { r *= H3Constants.sqrt7 }
            return (face, H3Vec2(x: r * H3Math.cos(theta), y: r * H3Math.sin(theta)))
        }
    }

    /// The face whose centre is nearest to `p` and the squared distance to it: the reference's
    /// scan over the 20 faces, keeping the first face on a tie. The faces are scanned as four
    /// interleaved blocks (0–4, 5–9, 10–14, 15–19), each keeping its own first minimum, so the
    /// four comparison chains run side by side; merging the blocks in order keeps the first minimum.
    @inlinable
    static func closestFace(_ p: H3Vec3) -> (face: Int, sqd: Double) {
        H3Faces.centers.withUnsafeBufferPointer { c in
            @inline(__always)
            func distance(_ f: Int) -> Double {
                let dx = c[f &* 3] - p.x
                let dy = c[f &* 3 &+ 1] - p.y
                let dz = c[f &* 3 &+ 2] - p.z
                return dx * dx + dy * dy + dz * dz
            }
            var d0 = 5.0
            var d1 = 5.0
            var d2 = 5.0
            var d3 = 5.0
            var f0 = 0
            var f1 = 5
            var f2 = 10
            var f3 = 15
            for k in 0..<5 {
                let e0 = distance(k)
                let e1 = distance(5 &+ k)
                let e2 = distance(10 &+ k)
                let e3 = distance(15 &+ k)
                if e0 < d0 {
                    d0 = e0
                    f0 = k
                }
                if e1 < d1 {
                    d1 = e1
                    f1 = 5 &+ k
                }
                if e2 < d2 {
                    d2 = e2
                    f2 = 10 &+ k
                }
                if e3 < d3 {
                    d3 = e3
                    f3 = 15 &+ k
                }
            }
            if d1 < d0 {
                d0 = d1
                f0 = f1
            }
            if d3 < d2 {
                d2 = d3
                f2 = f3
            }
            return d2 < d0 ? (f2, d2) : (f0, d0)
        }
    }

    /// The unit vector of planar point `v` on `face` at resolution `res`; `substrate` means the
    /// point is on the aperture-3 vertex grid one Class II step finer.
    @inlinable
    static func sphere(_ v: H3Vec2, face: Int, resolution res: Int, substrate: Bool) -> H3Vec3 {
        var r = v.magnitude
        if r < H3Constants.epsilon { return H3Faces.center(face) }
        var theta = H3Math.atan2(v.y, v.x)
        for _ in 0..<res { r *= H3Constants.inverseSqrt7 }
        if substrate {
            r *= H3Constants.oneThird
            if res & 1 == 1 { r *= H3Constants.inverseSqrt7 }
        }
        r *= H3Constants.res0UnitGnomonic
        r = H3Math.atan(r)
        if !substrate && res & 1 == 1 {
            theta = H3Math.positiveAngle(theta + H3Constants.aperture7RotationRadians)
        }
        let frame = H3Faces.frame(face)
        theta = H3Math.positiveAngle(frame.iAxisAzimuth - theta)
        let dir = H3Vec3.combine(H3Math.cos(theta), frame.north, H3Math.sin(theta), frame.east)
        var out = H3Vec3.combine(H3Math.cos(r), frame.center, H3Math.sin(r), dir)
        out.normalize()
        return out
    }

    /// The cell centre as a unit vector.
    @inlinable
    func sphere(resolution res: Int) -> H3Vec3 {
        H3FaceIJK.sphere(coord.hex2d, face: face, resolution: res, substrate: false)
    }

    /// Moves coordinates that ran past this face onto the neighbouring face (Class II grids).
    @inlinable
    mutating func adjustOverage(resolution res: Int, pentagonLeading4: Bool, substrate: Bool) -> H3Overage {
        var overage = H3Overage.none
        var maxDim = H3Faces.maxDimension[res]
        if substrate { maxDim *= 3 }
        let sum = coord.i + coord.j + coord.k
        if substrate && sum == maxDim {
            overage = .faceEdge
        } else if sum > maxDim {
            overage = .newFace
            let quadrant: Int
            if coord.k > 0 {
                if coord.j > 0 {
                    quadrant = 3
                } else {
                    quadrant = 2
                    if pentagonLeading4 {
                        // Rotate about the pentagon centre to skip the deleted sub-sequence.
                        let origin = H3CoordIJK(maxDim, 0, 0)
                        var tmp = coord - origin
                        tmp.rotate60Clockwise()
                        coord = tmp + origin
                    }
                }
            } else {
                quadrant = 1
            }
            let n = (face * 4 + quadrant) * 5
            let orient = H3Faces.neighbors
            face = orient[n]
            for _ in 0..<orient[n + 4] { coord.rotate60CounterClockwise() }
            var unitScale = H3Faces.unitScale[res]
            if substrate { unitScale *= 3 }
            coord = (coord + H3CoordIJK(orient[n + 1], orient[n + 2], orient[n + 3]) * unitScale).normalized
            if substrate && coord.i + coord.j + coord.k == maxDim { overage = .faceEdge }
        }
        return overage
    }

    /// Repeats ``adjustOverage(resolution:pentagonLeading4:substrate:)`` for pentagon vertices,
    /// which can cross more than one face.
    @inlinable
    mutating func adjustPentagonVertexOverage(resolution res: Int) {
        while adjustOverage(resolution: res, pentagonLeading4: false, substrate: true) == .newFace {}
    }
}
